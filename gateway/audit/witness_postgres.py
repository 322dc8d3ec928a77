"""A table in a second PostgreSQL database as the checkpoint witness.

``audit.witness: postgresql://user@host:5432/db[?schema=NAME]``: each checkpoint
is one row of ``haetae_audit_witness``, inserted on the writer thread over a
short-lived connection (checkpoints are rare). The point is a database the
store's administrators don't run, reached by a role that may only ``INSERT``
and ``SELECT`` there; then no one who can rewrite the store can rewrite this.
The table (and schema) is created on first use if the role may; a role that
may not needs it made beforehand:

    CREATE TABLE haetae_audit_witness (id bigserial PRIMARY KEY, entry text NOT NULL,
                                       added timestamptz NOT NULL DEFAULT now());
    GRANT INSERT, SELECT ON haetae_audit_witness TO haetae_witness;
    GRANT USAGE ON SEQUENCE haetae_audit_witness_id_seq TO haetae_witness;
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from gateway.audit.chain import Checkpoint, decode_entry, encode_entry
from gateway.audit.postgres import split_schema
from gateway.extras import require

__all__ = ["TABLE", "PostgresWitness"]

TABLE = "haetae_audit_witness"
_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, entry text NOT NULL, "
    "added timestamptz NOT NULL DEFAULT now())"
)


class PostgresWitness:
    kind = "postgresql"

    def __init__(self, url: str) -> None:
        require("postgres", "audit.witness postgresql://")
        self._url, self._schema = split_schema(url)
        parts = urlsplit(self._url)
        where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
        schema = f" schema {self._schema}" if self._schema else ""
        self.label = f"postgresql://{where}{schema} table {TABLE}"  # never the password

    def _connect(self) -> Any:
        import psycopg
        from psycopg import sql

        conn = psycopg.connect(self._url, autocommit=True, connect_timeout=5)
        if self._schema:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self._schema)))
        return conn

    def _create(self, conn: Any) -> None:
        from psycopg import sql

        if self._schema:
            create = sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self._schema))
            conn.execute(create)
        conn.execute(_CREATE)

    def append(self, checkpoint: Checkpoint) -> None:
        from psycopg import errors

        entry = encode_entry(checkpoint).decode()
        with self._connect() as conn:
            try:
                conn.execute(f"INSERT INTO {TABLE} (entry) VALUES (%s)", (entry,))
            except (errors.UndefinedTable, errors.InvalidSchemaName):
                self._create(conn)
                conn.execute(f"INSERT INTO {TABLE} (entry) VALUES (%s)", (entry,))

    def last(self) -> Checkpoint | None:
        from psycopg import errors

        with self._connect() as conn:
            try:
                row = conn.execute(f"SELECT entry FROM {TABLE} ORDER BY id DESC LIMIT 1").fetchone()
            except (errors.UndefinedTable, errors.InvalidSchemaName):
                return None
        return decode_entry(row[0]) if row else None

    def entries(self) -> Iterator[Checkpoint | None]:
        from psycopg import errors

        with self._connect() as conn:
            try:
                cursor = conn.execute(f"SELECT entry FROM {TABLE} ORDER BY id")
            except (errors.UndefinedTable, errors.InvalidSchemaName):
                return
            for (entry,) in cursor:
                yield decode_entry(entry)
