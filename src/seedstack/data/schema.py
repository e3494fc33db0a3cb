"""Strict schemas: an input block must match the dataset's Arrow schema exactly, or be refused.

delta-rs will happily store the string "5" as 5 and 1.7 as 1 in an int64 column; this module is
the gate in front of it. Accepted without a schema change: a column that is entirely null in a
block, a missing nullable column (written as nulls), and integers in a float64 column when every
value converts exactly. A new column is additive evolution and needs ``--evolve``. Anything else
is refused with the column, both types and the first offending row.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import SchemaMismatchError

__all__ = ["ROW_HASH", "canonical_type", "conform", "schema_diff", "schema_hash", "user_schema"]

ROW_HASH = "_seedstack_row_hash"


def canonical_type(t: pa.DataType) -> str:
    """A spelling of ``t`` that ignores what Delta round-trips differently (list field names, large_*)."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t) or pa.types.is_string(t):
        return "string"
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t) or pa.types.is_binary(t):
        return "binary"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return f"list<{canonical_type(t.value_type)}>"
    if pa.types.is_struct(t):
        inner = ", ".join(
            f"{t.field(i).name}: {canonical_type(t.field(i).type)}" for i in range(t.num_fields)
        )
        return f"struct<{inner}>"
    if pa.types.is_map(t):
        return f"map<{canonical_type(t.key_type)}, {canonical_type(t.item_type)}>"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}{', ' + t.tz if t.tz else ''}]"
    return str(t)


def user_schema(schema: pa.Schema) -> pa.Schema:
    """The dataset's schema as users see it (without the internal row-hash column)."""
    idx = schema.get_field_index(ROW_HASH)
    return schema.remove(idx) if idx >= 0 else schema


def schema_hash(schema: pa.Schema) -> str:
    spelled = "\n".join(f"{f.name}: {canonical_type(f.type)}" for f in user_schema(schema))
    return hashlib.sha256(spelled.encode()).hexdigest()[:16]


def schema_diff(old: pa.Schema, new: pa.Schema) -> dict[str, list[str]]:
    a = {f.name: canonical_type(f.type) for f in user_schema(old)}
    b = {f.name: canonical_type(f.type) for f in user_schema(new)}
    return {
        "added": [f"{n}: {b[n]}" for n in b if n not in a],
        "removed": [f"{n}: {a[n]}" for n in a if n not in b],
        "changed": [f"{n}: {a[n]} -> {b[n]}" for n in a if n in b and a[n] != b[n]],
    }


def _first_bad_row(col: pa.ChunkedArray | pa.Array, want: pa.DataType) -> int:
    """Index of the first value that cannot live in ``want`` (else the first non-null value)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_floating(arr.type) and pa.types.is_integer(want):
        vals = arr.to_numpy(zero_copy_only=False)
        bad = np.nonzero(~np.isnan(vals) & (vals != np.floor(vals)))[0]
        if len(bad):
            return int(bad[0])
    valid = np.nonzero(arr.is_valid().to_numpy(zero_copy_only=False))[0]
    return int(valid[0]) if len(valid) else 0


def _refuse(
    source: str, name: str, want: pa.DataType, got: pa.DataType, col: pa.ChunkedArray, first_row: int
) -> None:
    i = _first_bad_row(col, want)
    value = col[i].as_py() if len(col) else None
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    raise SchemaMismatchError(
        f"{source}: column '{name}' is {canonical_type(want)} in the dataset but the input has "
        f"{canonical_type(got)} (row {first_row + i}: {shown}); fix the input type, nothing was written",
        column=name,
        row=first_row + i,
    )


def conform(
    table: pa.Table, target: pa.Schema, *, source: str, first_row: int, evolve: bool
) -> tuple[pa.Table, pa.Schema]:
    """Return ``table`` laid out exactly as ``target`` (plus new columns when ``evolve``), and the schema.

    Raises ``SchemaMismatchError`` for anything that would silently change a value or the schema.
    """
    target = user_schema(target)
    columns: list[pa.ChunkedArray] = []
    fields: list[pa.Field] = []
    for field in target:
        if field.name not in table.column_names:
            if not field.nullable:
                raise SchemaMismatchError(
                    f"{source}: required column '{field.name}' ({canonical_type(field.type)}) is missing "
                    f"from the block starting at row {first_row}",
                    column=field.name,
                    row=first_row,
                )
            columns.append(pa.chunked_array([pa.nulls(table.num_rows, field.type)]))
            fields.append(field)
            continue
        col = table.column(field.name)
        got = col.type
        if canonical_type(got) == canonical_type(field.type):
            col = col.cast(field.type) if got != field.type else col
        elif pa.types.is_null(got):
            col = pa.chunked_array([pa.nulls(table.num_rows, field.type)])
        elif pa.types.is_integer(got) and pa.types.is_floating(field.type):
            as_float = pc.cast(col, field.type)
            back = pc.cast(as_float, got, safe=False)
            if pc.all(pc.equal(back, col)).as_py() not in (True, None):
                _refuse(source, field.name, field.type, got, col, first_row)
            col = as_float
        else:
            _refuse(source, field.name, field.type, got, col, first_row)
        columns.append(col)
        fields.append(field)
    extra = [n for n in table.column_names if n not in target.names and n != ROW_HASH]
    if extra and not evolve:
        name = extra[0]
        col = table.column(name)
        raise SchemaMismatchError(
            f"{source}: new column '{name}' ({canonical_type(col.type)}, first at row "
            f"{first_row + _first_bad_row(col, col.type)}) is not in the dataset; pass --evolve to add it "
            "as a nullable column",
            column=name,
            row=first_row,
        )
    for name in extra:
        col = table.column(name)
        if pa.types.is_null(col.type):
            raise SchemaMismatchError(
                f"{source}: new column '{name}' is null in every row of the block "
                f"starting at row {first_row}, "
                "so its type is unknown; add it once it has values",
                column=name,
            )
        columns.append(col)
        fields.append(pa.field(name, col.type, nullable=True))
    schema = pa.schema(fields)
    return pa.Table.from_arrays(columns, schema=schema), schema
