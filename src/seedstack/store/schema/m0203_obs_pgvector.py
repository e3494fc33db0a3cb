"""Observability: semantic search in SQL with pgvector, on PostgreSQL servers that have it.

Only when the ``vector`` extension can be used, ``obs_docs`` gains ``emb vector(384)``, generated
from the int8 ``vec`` bytes (so existing rows are backfilled by this migration and new rows need no
code change), with an HNSW index on inner product. Search then ranks in SQL
(``ORDER BY emb <#> q``) instead of fetching vectors to numpy (``explain/vector_index.py``).

The condition lives in one PL/pgSQL function, ``seedstack_enable_pgvector()``, which this
migration creates and calls. It returns false and changes nothing when pgvector is not installed
on the server, when the role may not ``CREATE EXTENSION vector``, when the extension lives in a
schema that is not on ``search_path``, or when the installed pgvector has no HNSW (before 0.5);
a NOTICE says which. A database that gains pgvector later runs ``SELECT
seedstack_enable_pgvector()`` once, as a role that may create the extension (existing rows are
backfilled then). The SQL avoids ``%`` and ``?``, which the store's placeholder translation would
rewrite.

SQLite keeps the numpy scan: sqlite-vec needs loadable extensions, which not every Python build
has (see docs/observability.md).
"""

from __future__ import annotations

_ENABLE = """
CREATE OR REPLACE FUNCTION seedstack_enable_pgvector() RETURNS boolean LANGUAGE plpgsql AS $fn$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
               AND table_name = 'obs_docs' AND column_name = 'emb') THEN
        RETURN true;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
        IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
            RAISE NOTICE 'pgvector is not installed: semantic search scans int8 vectors outside SQL';
            RETURN false;
        END IF;
        BEGIN
            CREATE EXTENSION IF NOT EXISTS vector;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE USING MESSAGE = 'cannot create the vector extension (' || SQLERRM
                || '): a superuser runs CREATE EXTENSION vector, then SELECT seedstack_enable_pgvector()';
            RETURN false;
        END;
    END IF;
    IF to_regtype('vector') IS NULL THEN
        RAISE NOTICE USING MESSAGE = 'the vector extension is in schema '
            || (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector')
            || ', which is not on search_path: add it, then SELECT seedstack_enable_pgvector()';
        RETURN false;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_am WHERE amname = 'hnsw') THEN
        RAISE NOTICE 'pgvector has no HNSW index (0.5 or later needed): semantic search stays outside SQL';
        RETURN false;
    END IF;
    EXECUTE $sql$
        CREATE OR REPLACE FUNCTION seedstack_int8_vector(v bytea) RETURNS vector
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $body$
            SELECT CASE WHEN length(v) = 384 THEN
                (SELECT array_agg(mod(get_byte(v, i) + 128, 256) - 128 ORDER BY i)
                 FROM generate_series(0, 383) AS i)::real[]::vector
            END
        $body$
    $sql$;
    EXECUTE 'ALTER TABLE obs_docs ADD COLUMN emb vector(384) '
            'GENERATED ALWAYS AS (seedstack_int8_vector(vec)) STORED';
    EXECUTE 'CREATE INDEX obs_docs_emb ON obs_docs USING hnsw (emb vector_ip_ops)';
    RETURN true;
END
$fn$
"""


def statements(dialect: str) -> list[str]:
    if dialect != "postgres":
        return []
    return [_ENABLE, "SELECT seedstack_enable_pgvector()"]
