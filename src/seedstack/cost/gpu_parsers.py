"""Parsers for GPU telemetry files: nvidia-smi CSV logs, DCGM exporter scrapes (Prometheus text
format) and Prometheus range-query JSON. Each returns a ``SampleBatch``.

nvidia-smi CSV is the bulk path (a month of a node's minutes is ~350k lines), so it is parsed
column-wise with pyarrow; the text formats are small per file and parsed line by line.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..errors import InvalidRequestError
from .gpu_batch import ENGINE_ACTIVE, GPU_UTIL, SampleBatch, Series, SeriesBuilder

__all__ = [
    "FORMATS",
    "SMI_UTIL_METRIC",
    "detect_format",
    "parse_dcgm_text",
    "parse_file",
    "parse_nvidia_smi_csv",
    "parse_prometheus_json",
]

FORMATS = ("nvidia-smi", "dcgm", "prom-json")
SMI_UTIL_METRIC = "nvidia-smi:utilization.gpu"
_SMI_REQUIRED = ("timestamp", "utilization.gpu")
_SMI_EXPECTED = "timestamp, index, name, uuid, utilization.gpu [%], memory.used [MiB], power.draw [W]"
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
_NUMBER = r"^\s*(?P<v>-?[0-9]+(?:\.[0-9]+)?)"

_DCGM_KIND = {
    ENGINE_ACTIVE: "engine",
    GPU_UTIL: "util",
    "DCGM_FI_DEV_FB_USED": "mem_mib",
    "DCGM_FI_DEV_POWER_USAGE": "power_w",
}
_PROM_LINE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?\s*$")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _smi_column(name: str) -> str:
    """'utilization.gpu [%]' -> 'utilization.gpu': units live in the header."""
    return re.sub(r"\s*\[.*?\]\s*$", "", name.strip()).lower()


def parse_nvidia_smi_csv(source: Path | bytes, node: str) -> SampleBatch:
    """``nvidia-smi --query-gpu=timestamp,index,name,uuid,utilization.gpu,memory.used,power.draw
    --format=csv [-l 60]``; values may carry units ("87 %") or be ``[N/A]``. Timestamps are read as
    UTC (nvidia-smi prints local time: run it with TZ=UTC)."""
    raw = source.read_bytes() if isinstance(source, Path) else source
    head, _, _ = raw.partition(b"\n")
    header = [_smi_column(c) for c in head.decode("utf-8", "replace").split(",")]
    missing = [c for c in _SMI_REQUIRED if c not in header]
    if missing:
        raise InvalidRequestError(
            f"not an nvidia-smi CSV: missing column(s) {', '.join(missing)}; expected a header like "
            f"'{_SMI_EXPECTED}' (nvidia-smi --query-gpu=... --format=csv)"
        )
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(raw),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=lambda _row: "skip"),
        )
    except pa.ArrowInvalid as exc:
        raise InvalidRequestError(f"cannot read the nvidia-smi CSV: {exc}") from None
    col = {h: pc.utf8_trim_whitespace(table.column(n)) for h, n in zip(header, names, strict=True)}
    ts_col = col["timestamp"]
    not_header = pc.not_equal(ts_col, "timestamp")  # `-l` logs repeat the header
    col = {h: pc.filter(c, not_header) for h, c in col.items()}
    ts = _parse_times(col["timestamp"])
    index = col.get("index") or col.get("uuid")
    if index is None:
        index = pa.array(["0"] * len(ts))
    encoded = pc.dictionary_encode(index).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    keys = encoded.dictionary.to_pylist()
    builder = SeriesBuilder()
    first = np.unique(codes, return_index=True)[1] if len(codes) else np.zeros(0, dtype=np.int64)
    uuids = col.get("uuid")
    models = col.get("name")
    for code in range(len(keys)):
        pos = int(first[code]) if code < len(first) else 0
        builder.device(
            node,
            str(keys[code]),
            uuid=uuids[pos].as_py() if uuids is not None and len(uuids) else None,
            model=models[pos].as_py() if models is not None and len(models) else None,
        )
    batch = SampleBatch(devices=builder.devices)
    for d in batch.devices:
        d.metric = SMI_UTIL_METRIC
    batch.series["active"] = Series(codes, ts, _numbers(col["utilization.gpu"]) / 100.0)
    if "memory.used" in col:
        batch.series["mem_mib"] = Series(codes, ts, _numbers(col["memory.used"]))
    if "power.draw" in col:
        batch.series["power_w"] = Series(codes, ts, _numbers(col["power.draw"]))
    return batch


def _numbers(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """'87 %' -> 87.0; '[N/A]', '[Not Supported]', '' -> NaN."""
    found = pc.extract_regex(values, _NUMBER)
    num = pc.cast(pc.struct_field(found, "v"), pa.float64())
    return np.asarray(pc.fill_null(num, float("nan")).to_numpy(zero_copy_only=False), dtype=np.float64)


def _parse_times(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    text = pc.utf8_slice_codeunits(values, 0, 19)
    out = np.full(len(text), np.nan)
    for fmt in _TIME_FORMATS:
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        secs = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False)
        got = pc.is_valid(parsed).to_numpy(zero_copy_only=False)
        out = np.where(np.isnan(out) & got, np.nan_to_num(secs.astype(np.float64)), out)
        if not np.isnan(out).any():
            break
    return out


def parse_dcgm_text(text: str, *, node: str | None = None, at: float | None = None) -> SampleBatch:
    """One or more dcgm-exporter scrapes. A sample without its own timestamp is taken at ``at``
    (the scrape time; the CLI uses the file's modification time)."""
    builder = SeriesBuilder()
    seen = False
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _PROM_LINE.match(line)
        if m is None:
            continue
        name, labels_text, value_text, ts_text = m.groups()
        kind = _DCGM_KIND.get(name)
        if kind is None:
            continue
        seen = True
        labels = dict(_LABEL.findall(labels_text or ""))
        ts = int(ts_text) / 1000.0 if ts_text else at
        if ts is None:
            raise InvalidRequestError("a DCGM sample has no timestamp: pass the scrape time (--at)")
        dev = _prom_device(builder, labels, node)
        builder.add(kind, dev, ts, _float(value_text))
    if not seen:
        raise InvalidRequestError(
            "no DCGM GPU metrics found: expected dcgm-exporter lines such as "
            f'{ENGINE_ACTIVE}{{gpu="0",UUID="GPU-…",Hostname="node-1"}} 0.87 or {GPU_UTIL}{{…}} 87'
        )
    return builder.build()


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _prom_device(builder: SeriesBuilder, labels: dict[str, str], node: str | None) -> int:
    host = node or labels.get("Hostname") or labels.get("hostname") or labels.get("instance") or "unknown"
    gpu = labels.get("gpu") or labels.get("minor_number") or labels.get("UUID") or "0"
    return builder.device(
        host, gpu, uuid=labels.get("UUID") or labels.get("uuid"), model=labels.get("modelName")
    )


def parse_prometheus_json(
    data: bytes | str, *, node: str | None = None, metric: str | None = None
) -> SampleBatch:
    """The JSON of ``/api/v1/query_range`` over DCGM series (``resultType: matrix``). An
    expression result without ``__name__`` needs ``metric`` to say what it measured."""
    try:
        doc = orjson.loads(data)
        result = doc["data"]["result"]
        if doc["data"].get("resultType", "matrix") != "matrix":
            raise KeyError("resultType")
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise InvalidRequestError(
            'not a Prometheus range-query result: expected {"status": "success", "data": '
            '{"resultType": "matrix", "result": [{"metric": {...}, "values": [[ts, "v"], ...]}]}}'
        ) from None
    builder = SeriesBuilder()
    for series in result:
        labels = series.get("metric", {})
        name = labels.get("__name__") or metric
        kind = _DCGM_KIND.get(name or "")
        if kind is None:
            continue
        values = series.get("values") or []
        if not values:
            continue
        arr = np.array([(float(t), _float(v)) for t, v in values], dtype=np.float64)
        builder.add_many(kind, _prom_device(builder, labels, node), arr[:, 0], arr[:, 1])
    if not builder.devices:
        raise InvalidRequestError(
            f"no GPU series in the Prometheus result: query {ENGINE_ACTIVE} (preferred) or {GPU_UTIL}, "
            "or pass --metric when the query is an expression"
        )
    return builder.build()


def detect_format(path: Path) -> str:
    head = path.read_bytes()[:4096].lstrip()
    if head.startswith(b"{"):
        return "prom-json"
    if head.startswith(b"#") or b"DCGM_FI_" in head.split(b"\n", 1)[0]:
        return "dcgm"
    if b"timestamp" in head.split(b"\n", 1)[0].lower():
        return "nvidia-smi"
    raise InvalidRequestError(
        f"cannot tell the format of {path}: expected an nvidia-smi CSV (header starting 'timestamp'), "
        "a dcgm-exporter scrape, or Prometheus range-query JSON; pass --format"
    )


def parse_file(
    path: Path,
    fmt: str = "auto",
    *,
    node: str | None = None,
    at: float | None = None,
    metric: str | None = None,
) -> SampleBatch:
    if not path.is_file():
        raise InvalidRequestError(f"{path} does not exist or is not a file")
    kind = detect_format(path) if fmt == "auto" else fmt
    if kind == "nvidia-smi":
        return parse_nvidia_smi_csv(path, node or path.stem)
    if kind == "dcgm":
        return parse_dcgm_text(
            path.read_text(encoding="utf-8", errors="replace"),
            node=node,
            at=at if at is not None else path.stat().st_mtime,
        )
    if kind == "prom-json":
        return parse_prometheus_json(path.read_bytes(), node=node, metric=metric)
    raise InvalidRequestError(f"unknown telemetry format '{fmt}': use one of auto, {', '.join(FORMATS)}")
