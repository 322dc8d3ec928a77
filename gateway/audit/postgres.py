"""The PostgreSQL audit store: one database shared by several gateway replicas.

Connections come from a psycopg pool. Each batch is one transaction that first
takes a transaction-scoped advisory lock, so replicas append to one hash chain
in turn (a batch every few tens of milliseconds per replica; the lock is held
for one INSERT). Schema changes are numbered in ``haetae_audit_migrations`` and
applied under the same lock, so replicas starting together migrate once.

``postgresql://…?schema=NAME`` keeps the tables in their own schema (created if
missing); the parameter is Haetae's and is removed before connecting.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from gateway.audit.query import Dialect
from gateway.audit.rollup import migration_sql
from gateway.audit.sqlstore import SQLAuditStore
from gateway.audit.store import AuditStoreError

__all__ = ["MIGRATIONS", "PostgresAuditStore", "split_schema"]

_LOCK = "SELECT pg_advisory_xact_lock(hashtext('haetae-audit:' || current_schema()))"

_DIALECT = Dialect(
    param="%s",
    array_contains="{col} ? %s",
    object_has_key="{col} ? %s",
    bucket="floor(time / {seconds}) * {seconds}",
    array_elements="jsonb_array_elements_text(audit_records.{col}) AS j(value)",
    object_keys="jsonb_object_keys(audit_records.{col}) AS j(value)",
    object_key="j.value",
    object_not_empty="COALESCE({col} <> '{{}}'::jsonb, false)",
    answer_entities="(audit_records.details -> 'response' -> 'entities')",
    answer_action="(audit_records.details -> 'response' ->> 'action')",
    answer_entity_keys=(
        "jsonb_object_keys(audit_records.details -> 'response' -> 'entities') AS j(value)"
    ),
    json_path="(audit_records.{col} #>> '{{{commas}}}')",
    array_left_join=(
        "LEFT JOIN LATERAL jsonb_array_elements_text("
        "CASE jsonb_typeof(audit_records.{col}) WHEN 'array' THEN audit_records.{col} "
        "ELSE '[]'::jsonb END) AS g(value) ON true"
    ),
)


#: (version, statements); never edit a released one, append a new one
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE audit_records (
            seq BIGINT PRIMARY KEY,
            record_id TEXT NOT NULL,
            time DOUBLE PRECISION NOT NULL,
            request_id TEXT NOT NULL,
            client_address TEXT,
            client_application TEXT,
            "user" TEXT,
            groups JSONB NOT NULL,
            provider TEXT,
            host TEXT,
            api TEXT,
            model TEXT,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            jurisdiction TEXT,
            endpoint_country TEXT,
            decision TEXT NOT NULL,
            status INTEGER,
            upstream_status INTEGER,
            rule_ids JSONB NOT NULL,
            monitored_rule_ids JSONB NOT NULL,
            entities JSONB NOT NULL,
            findings JSONB NOT NULL,
            edits JSONB NOT NULL,
            usage JSONB,
            policy_version TEXT,
            error TEXT,
            timings_ms JSONB NOT NULL,
            details JSONB,
            evidence TEXT,
            schema_version INTEGER NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TABLE audit_checkpoints (
            seq BIGINT PRIMARY KEY,
            hash TEXT NOT NULL,
            time DOUBLE PRECISION NOT NULL,
            key_id TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        CREATE INDEX audit_records_time ON audit_records (time, seq);
        CREATE INDEX audit_records_record_id ON audit_records (record_id);
        CREATE INDEX audit_records_request_id ON audit_records (request_id);
        CREATE INDEX audit_records_user_time ON audit_records ("user", time, seq);
        CREATE INDEX audit_records_provider_time ON audit_records (provider, time, seq);
        CREATE INDEX audit_records_decision_time ON audit_records (decision, time, seq);
        CREATE INDEX audit_records_rules ON audit_records USING gin (rule_ids);
        CREATE INDEX audit_records_entities ON audit_records USING gin (entities);
        """,
    ),
    # the hourly counts (rollup.py), counted from the records already there
    (2, ";".join(migration_sql(_DIALECT, without_rowid=False))),
)


def split_schema(url: str) -> tuple[str, str | None]:
    """``(url without ?schema=, schema)``: the schema is Haetae's option, not libpq's."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema or None


def _error_kind(exc: BaseException) -> str:
    """Class name plus SQLSTATE: never the message, which may quote data or the URL."""
    state = getattr(exc, "sqlstate", None)
    return f"{type(exc).__name__}:{state}" if state else type(exc).__name__


class PostgresAuditStore(SQLAuditStore):
    """An AuditStore in a PostgreSQL database (psycopg 3 and psycopg_pool)."""

    dialect = _DIALECT
    details_writer = "{table}.details->>'writer'"

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        pool_size: int = 4,
        connect_timeout: float = 5.0,
        **options: Any,
    ) -> None:
        self._conninfo, url_schema = split_schema(url)
        self.schema = schema or url_schema
        self.label = self._describe()
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._pool: Any = None
        super().__init__(**options)

    def _describe(self) -> str:
        parts = urlsplit(self._conninfo)
        where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
        return f"postgresql {where}" + (f" schema {self.schema}" if self.schema else "")

    # -- connections -------------------------------------------------------------

    def _get_pool(self) -> Any:
        if self._pool is None:
            from psycopg_pool import ConnectionPool

            schema = self.schema

            def configure(conn: Any) -> None:
                from psycopg.types.json import set_json_loads

                set_json_loads(orjson.loads, conn)  # several times faster on review pages
                if schema:
                    from psycopg import sql

                    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
                    conn.commit()

            pool = ConnectionPool(
                self._conninfo,
                min_size=1,
                max_size=self._pool_size,
                open=False,
                configure=configure,
                timeout=self._connect_timeout,
                kwargs={"connect_timeout": max(1, int(self._connect_timeout))},
            )
            try:
                pool.open(wait=True, timeout=self._connect_timeout)
            except BaseException:
                pool.close()
                raise
            self._pool = pool
        return self._pool

    def _open(self) -> None:
        if self.schema:
            self._create_schema()
        pool = self._get_pool()
        with pool.connection() as conn, conn.transaction():
            conn.execute(_LOCK)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS haetae_audit_migrations "
                "(version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM haetae_audit_migrations")}
            newest = max((v for v, _ in MIGRATIONS), default=0)
            if done and max(done) > newest:
                raise AuditStoreError(
                    f"audit database {self.label} has schema version {max(done)}, newer "
                    f"than this gateway's {newest}"
                )
            for version, statements in MIGRATIONS:
                if version in done:
                    continue
                for statement in statements.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO haetae_audit_migrations VALUES (%s, %s)", (version, time.time())
                )

    def _create_schema(self) -> None:
        assert self.schema is not None
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            self._conninfo, connect_timeout=max(1, int(self._connect_timeout))
        ) as conn:
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
            )

    def _close_backend(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(timeout=self._connect_timeout)

    def close(self) -> None:
        super().close()
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._close_backend()

    def _ready_pool(self) -> Any:
        """The pool, opening and migrating first when nothing has yet (the CLI reads cold)."""
        if self._pool is None:
            self._open()
        return self._pool

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._ready_pool().connection() as conn, conn.transaction():
            conn.execute(_LOCK)
            yield conn

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Any]:
        with self._ready_pool().connection() as conn:
            yield conn

    def _executemany(self, conn: Any, sql: str, rows: list[tuple[object, ...]]) -> None:
        with conn.cursor() as cursor:
            cursor.executemany(sql, rows)

    def _load_json(self, value: object) -> Any:
        return value  # psycopg already parsed the jsonb

    def _is_transient(self, exc: Exception) -> bool:
        # serialization failure, deadlock: another replica's transaction won
        return getattr(exc, "sqlstate", None) in ("40001", "40P01")

    def _error_kind(self, exc: BaseException) -> str:
        return _error_kind(exc)
