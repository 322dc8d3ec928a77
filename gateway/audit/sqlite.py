"""The SQLite audit store: one file in WAL mode, for a gateway on one machine.

The writer holds one connection and writes each batch inside ``BEGIN
IMMEDIATE``, which is also what serializes the hash chain when several gateway
processes share the file. Readers open a connection per call. WAL with
``synchronous=NORMAL`` keeps commits cheap and durable against a gateway crash
(not a power loss).

Schema versions live in ``PRAGMA user_version``: 1 is the first release's table;
2 adds the version 2 record fields, the chain columns, checkpoints and the
review indexes, and chains the rows already there when it migrates; 3 adds the
hourly counts (``rollup``), counted from the rows already there.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from gateway.audit.chain import GENESIS, record_hash
from gateway.audit.checkpointer import WAL_LIMIT_BYTES, WalCheckpointer
from gateway.audit.query import Dialect
from gateway.audit.record import AuditRecord
from gateway.audit.rollup import migration_sql
from gateway.audit.sqlstore import COLUMNS, JSON_COLUMNS, SQLAuditStore
from gateway.audit.store import AuditStoreError
from gateway.audit.writer import StoreReplaced

__all__ = ["MEMORY", "SCHEMA_VERSION", "SQLiteAuditStore"]

MEMORY = ":memory:"
#: ``None`` in, ``None`` out, called from C (the empty mapping's ``get``); see ``_open``
_NULL_AS_IS = dict[object, None]().get
_UNSHARED = contextlib.nullcontext()
SCHEMA_VERSION = 3

_V1 = """
CREATE TABLE IF NOT EXISTS audit_records (
    seq INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL,
    time REAL NOT NULL,
    request_id TEXT NOT NULL,
    client_address TEXT,
    user TEXT,
    provider TEXT,
    api TEXT,
    model TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    decision TEXT NOT NULL,
    status INTEGER,
    upstream_status INTEGER,
    rule_ids TEXT NOT NULL,
    monitored_rule_ids TEXT NOT NULL,
    entities TEXT NOT NULL,
    policy_version TEXT,
    error TEXT,
    timings_ms TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time);
CREATE INDEX IF NOT EXISTS audit_records_request_id ON audit_records (request_id);
"""

_V2_COLUMNS = (
    "client_application TEXT",
    "groups TEXT NOT NULL DEFAULT '[]'",
    "host TEXT",
    "jurisdiction TEXT",
    "endpoint_country TEXT",
    "findings TEXT NOT NULL DEFAULT '[]'",
    "edits TEXT NOT NULL DEFAULT '{}'",
    "usage TEXT",
    "details TEXT",
    "evidence TEXT",
    "schema_version INTEGER NOT NULL DEFAULT 1",
    "prev_hash TEXT",
    "hash TEXT",
)
# Every index ends in the rowid (seq), so "ORDER BY time, seq" reads straight off it.
_V2 = """
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    time REAL NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_record_id ON audit_records (record_id);
CREATE INDEX IF NOT EXISTS audit_records_user_time ON audit_records ("user", time);
CREATE INDEX IF NOT EXISTS audit_records_provider_time ON audit_records (provider, time);
CREATE INDEX IF NOT EXISTS audit_records_decision_time ON audit_records (decision, time);
"""

_DIALECT = Dialect(
    param="?",
    array_contains="EXISTS (SELECT 1 FROM json_each({col}) WHERE value = ?)",
    object_has_key="EXISTS (SELECT 1 FROM json_each({col}) WHERE key = ?)",
    bucket="CAST(time / {seconds} AS INTEGER) * {seconds}",
    array_elements="json_each(audit_records.{col}) AS j",
    object_keys="json_each(audit_records.{col}) AS j",
    object_key="j.key",
    object_not_empty="EXISTS (SELECT 1 FROM json_each({col}))",
    answer_entities="json_extract(audit_records.details, '$.response.entities')",
    answer_action="json_extract(audit_records.details, '$.response.action')",
    answer_entity_keys="json_each(json_extract(audit_records.details, '$.response.entities')) AS j",
    json_path="json_extract(audit_records.{col}, '$.{dotted}')",
    array_left_join="LEFT JOIN json_each(audit_records.{col}) AS g",
)


def _error_kind(exc: BaseException) -> str:
    """A class name plus SQLite's code name: never the message, which may quote SQL."""
    name = getattr(exc, "sqlite_errorname", None)
    return f"{type(exc).__name__}:{name}" if name else type(exc).__name__


class SQLiteAuditStore(SQLAuditStore):
    """An AuditStore over one SQLite file (or a private in-memory database for tests).

    ``start()`` raises AuditStoreError if the database can't be opened or set up
    and there is no spool. A write failing later (after ``busy_retries``
    retries for a locked database) goes to the spool if there is one; without
    one it turns ``healthy`` False for good. A backlog past ``max_pending``
    counts as a failure too, so memory stays bounded when the disk stalls.
    """

    dialect = _DIALECT
    details_writer = "json_extract({table}.details, '$.writer')"

    def __init__(self, path: str | Path, *, busy_timeout: float = 1.0, **options: Any) -> None:
        self.path = str(path)
        self.label = repr(self.path)
        self._memory = self.path == MEMORY
        self._busy_timeout = busy_timeout
        self._conn: sqlite3.Connection | None = None
        # the writer's statements run on one cursor: ``conn.execute`` makes a new one each
        # time, four a commit
        self._cursor: sqlite3.Cursor | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file we opened
        # the writer's log is checkpointed on a thread of its own (checkpointer.py)
        self._checkpointer = None if self._memory else WalCheckpointer(self.path)
        self._started_writing = False  # the CLI's one-off transactions keep SQLite's own
        self._conn_lock = threading.Lock()  # the shared connection, in-memory mode only
        super().__init__(**options)

    # -- backend hooks -------------------------------------------------------------

    def _open(self) -> None:
        # The sqlite3 module binds a None by trying its adaptation protocol: a registry
        # lookup, then two attribute lookups that fail, one formatting an AttributeError
        # message (~3,300 instructions; an opening has 7 None columns of 33, a completion
        # 4). A registered adapter ends it at the lookup; None is still bound as NULL.
        # The registry is the process's; None stays None for every other user of it.
        sqlite3.register_adapter(type(None), _NULL_AS_IS)
        try:
            self._conn = self._connect_and_migrate()
            self._cursor = self._conn.cursor()
            if self._checkpointer is not None and self._started_writing:
                self._conn.execute("PRAGMA wal_autocheckpoint=0")
            if not self._memory:
                found = os.stat(self.path)
                self._identity = (found.st_dev, found.st_ino)
        except AuditStoreError:
            raise
        except (OSError, sqlite3.Error) as exc:
            raise AuditStoreError(
                f"cannot open audit database {self.path!r}: {_error_kind(exc)}"
            ) from exc

    def _close_backend(self) -> None:
        conn, self._conn, self._cursor = self._conn, None, None
        if conn is not None and not self._memory:
            conn.close()

    def start(self) -> None:
        self._started_writing = True
        super().start()
        if self._checkpointer is not None:
            self._checkpointer.start()

    def close(self) -> None:
        super().close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        thread = self._thread
        if self._memory and self._conn is not None and (thread is None or not thread.is_alive()):
            with self._conn_lock:
                self._conn.close()
                self._conn = self._cursor = None

    def _is_transient(self, exc: Exception) -> bool:
        name = getattr(exc, "sqlite_errorname", "") or ""
        return isinstance(exc, sqlite3.Error) and name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))

    def _error_kind(self, exc: BaseException) -> str:
        if isinstance(exc, AuditStoreError) and exc.__cause__ is not None:
            return _error_kind(exc.__cause__)
        return _error_kind(exc)

    def _load_json(self, value: object) -> Any:
        return orjson.loads(value)  # type: ignore[arg-type]

    def _executemany(self, conn: Any, sql: str, rows: list[tuple[object, ...]]) -> None:
        conn.executemany(sql, rows)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        own = self._conn is None  # the CLI purges without starting a writer
        if own:
            self._open()
        conn, cursor = self._conn, self._cursor
        assert conn is not None and cursor is not None
        try:
            with self._lock_shared():
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    self._check_same_file()
                    yield cursor  # executes as the connection does; each result read at once
                    cursor.execute("COMMIT")
                except BaseException:
                    # COMMIT itself can fail (disk full); never leave the writer's
                    # connection inside a transaction the next batch can't begin.
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            cursor.execute("ROLLBACK")
                    raise
        finally:
            if own:
                self._close_backend()

    def _check_same_file(self) -> None:
        """Raise StoreReplaced if the path no longer names the file we hold open.

        Our connection would go on writing into a deleted (or renamed) file that
        nobody can ever read, so it is checked inside every write transaction,
        before the commit: one ``stat``, about a microsecond.
        """
        if self._memory or self._identity is None:
            return
        try:
            found = os.stat(self.path)
        except OSError:
            raise StoreReplaced(f"audit database {self.path!r} is gone") from None
        if (found.st_dev, found.st_ino) != self._identity:
            raise StoreReplaced(f"audit database {self.path!r} was replaced by another file")

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Any]:
        if self._memory:
            with self._conn_lock:
                yield None if self._conn is None or self._closed else self._conn
            return
        if not Path(self.path).exists():
            yield None
            return
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                # Written by an older gateway and not yet migrated: read through a
                # migrated copy of the schema rather than failing the reviewer.
                conn.close()
                conn = self._connect_and_migrate()
            yield conn
        finally:
            conn.close()

    def _lock_shared(self) -> contextlib.AbstractContextManager[object]:
        """The in-memory database's one connection is shared with readers; a file's is not."""
        return self._conn_lock if self._memory else _UNSHARED

    # -- schema --------------------------------------------------------------------

    def _connect_and_migrate(self) -> sqlite3.Connection:
        if not self._memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, check_same_thread=False, isolation_level=None
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # a rewound log is cut back to this size (checkpointer.py bounds it)
            conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._migrate(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise AuditStoreError(
                f"audit database {self.path!r} has schema version {version}, newer "
                f"than this gateway's {SCHEMA_VERSION}"
            )
        if version == SCHEMA_VERSION:
            return
        if version < 2:
            self._migrate_to_2(conn)
        for statement in migration_sql(_DIALECT, without_rowid=True):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _migrate_to_2(self, conn: sqlite3.Connection) -> None:
        for statement in _V1.split(";"):
            if statement.strip():
                conn.execute(statement)
        existing = {row[1] for row in conn.execute("PRAGMA table_info(audit_records)")}
        for column in _V2_COLUMNS:
            if column.split()[0] not in existing:
                conn.execute(f"ALTER TABLE audit_records ADD COLUMN {column}")
        for statement in _V2.split(";"):
            if statement.strip():
                conn.execute(statement)
        _chain_legacy_rows(conn)


def _chain_legacy_rows(conn: sqlite3.Connection) -> None:
    """Give rows written before the chain existed their hashes, in order.

    From here on they are tamper-evident; what happened to them before the
    migration cannot be known, and docs/audit.md says so.
    """
    select = ", ".join('"user"' if c == "user" else c for c in COLUMNS)
    rows = conn.execute(
        f"SELECT {select} FROM audit_records WHERE hash IS NULL ORDER BY seq"
    ).fetchall()
    if not rows:
        return
    first_seq = rows[0][0]
    previous = conn.execute(
        "SELECT hash FROM audit_records WHERE seq < ? ORDER BY seq DESC LIMIT 1", (first_seq,)
    ).fetchone()
    last_hash = previous[0] if previous and previous[0] else GENESIS
    updates = []
    for row in rows:
        data = {
            c: orjson.loads(v) if c in JSON_COLUMNS and v is not None else v
            for c, v in zip(COLUMNS, row, strict=True)
        }
        record = AuditRecord.from_dict(data)
        record.prev_hash = last_hash
        record.hash = last_hash = record_hash(record)
        updates.append((record.prev_hash, record.hash, record.seq))
    conn.executemany("UPDATE audit_records SET prev_hash = ?, hash = ? WHERE seq = ?", updates)
