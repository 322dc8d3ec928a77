"""The SQLite audit store: a queue on the caller's side, one writer thread behind it.

The event loop only ever puts onto a ``queue.SimpleQueue``; a single thread owns
the write connection and commits whatever is queued in batches, one transaction
each. ``flush`` rides the same queue as a marker, so when the writer reaches it,
everything appended before it has been committed. WAL with ``synchronous=NORMAL``
keeps commits cheap and durable against a gateway crash (not a power loss).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from gateway.audit.record import AuditRecord
from gateway.audit.store import AuditStoreError

__all__ = ["MEMORY", "SCHEMA_VERSION", "SQLiteAuditStore"]

log = logging.getLogger(__name__)

MEMORY = ":memory:"
SCHEMA_VERSION = 1

_COLUMNS = (
    "record_id", "time", "request_id", "client_address", "user", "provider", "api", "model",
    "method", "path", "decision", "status", "upstream_status", "rule_ids",
    "monitored_rule_ids", "entities", "policy_version", "error", "timings_ms",
)  # fmt: skip
_JSON_COLUMNS = frozenset({"rule_ids", "monitored_rule_ids", "entities", "timings_ms"})

_SCHEMA = """
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
_INSERT = (
    f"INSERT INTO audit_records ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
)
_SELECT_TAIL = f"SELECT {', '.join(_COLUMNS)} FROM audit_records ORDER BY seq DESC LIMIT ?"
_SELECT_BETWEEN = (
    f"SELECT {', '.join(_COLUMNS)} FROM audit_records WHERE time >= ? AND time < ? ORDER BY seq"
)


@dataclass(slots=True)
class _Waiter:
    """A flush marker: resolved by the writer once everything before it is committed."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]

    def resolve(self, error: str | None) -> None:
        # The loop may be gone if the waiter timed out during shutdown.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(_settle, self.future, error)


def _settle(future: asyncio.Future[None], error: str | None) -> None:
    if future.done():  # cancelled by the flush timeout
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(AuditStoreError(f"audit write failed: {error}"))


_STOP = object()


def _error_kind(exc: BaseException) -> str:
    """A class name plus SQLite's code name: never the message, which may quote SQL."""
    name = getattr(exc, "sqlite_errorname", None)
    return f"{type(exc).__name__}:{name}" if name else type(exc).__name__


def _is_busy(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _to_row(record: AuditRecord) -> tuple[object, ...]:
    # orjson: this runs for every request, on a thread that shares the GIL.
    return tuple(
        orjson.dumps(getattr(record, c)).decode() if c in _JSON_COLUMNS else getattr(record, c)
        for c in _COLUMNS
    )


def _from_row(row: tuple[object, ...]) -> AuditRecord:
    values = {
        c: orjson.loads(v) if c in _JSON_COLUMNS else v  # type: ignore[arg-type]
        for c, v in zip(_COLUMNS, row, strict=True)
    }
    return AuditRecord(**values)  # type: ignore[arg-type]


class SQLiteAuditStore:
    """An AuditStore over one SQLite file (or a private in-memory database for tests).

    ``start()`` raises AuditStoreError if the database can't be opened or set up;
    a write failing later (after ``busy_retries`` retries for a locked database)
    turns ``healthy`` False for good, fails every later ``flush``, and drops that
    batch. A backlog past ``max_pending`` counts as a failure too, so memory
    stays bounded when the disk stalls.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        batch_size: int = 500,
        linger: float = 0.02,
        busy_timeout: float = 1.0,
        busy_retries: int = 3,
        retry_delay: float = 0.05,
        max_pending: int = 100_000,
        close_timeout: float = 5.0,
    ) -> None:
        self.path = str(path)
        self._memory = self.path == MEMORY
        self._batch_size = batch_size
        # Waiting briefly for more records turns one commit per request into one
        # per batch; a flush marker ends the wait, so refusals never linger.
        self._linger = linger
        self._busy_timeout = busy_timeout
        self._busy_retries = busy_retries
        self._retry_delay = retry_delay
        self._max_pending = max_pending
        self._close_timeout = close_timeout
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._conn: sqlite3.Connection | None = None
        self._conn_lock = threading.Lock()  # shared connection, in-memory mode only
        self._thread: threading.Thread | None = None
        self._started = False
        self._closed = False
        self._failure: str | None = None
        self.dropped = 0  # records lost to a failed write or a full backlog

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Open and set up the database on the caller's thread, then start the writer."""
        if self._closed:
            raise AuditStoreError("audit store is closed")
        if self._started:
            return
        try:
            self._conn = self._open()
        except (OSError, sqlite3.Error) as exc:
            raise AuditStoreError(
                f"cannot open audit database {self.path!r}: {_error_kind(exc)}"
            ) from exc
        self._thread = threading.Thread(target=self._run, name="haetae-audit", daemon=True)
        self._started = True
        self._thread.start()

    def close(self) -> None:
        """Commit what is queued, stop the writer, wait at most ``close_timeout``."""
        if self._closed:
            return
        self._closed = True
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(self._close_timeout)
        if self._thread.is_alive():
            log.error("audit writer did not stop within %.1fs", self._close_timeout)
        elif self._memory and self._conn is not None:
            with self._conn_lock:
                self._conn.close()

    # -- the caller's side -----------------------------------------------------

    def append(self, record: AuditRecord) -> None:
        """Queue one record: a lock-free put, no I/O."""
        if self._closed:
            self.dropped += 1
            return
        if self._queue.qsize() >= self._max_pending:
            self.dropped += 1
            self._fail("BacklogFull")
            return
        self._queue.put(record)

    async def flush(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 (contract)
        """Await the writer reaching a marker queued behind every record appended so far."""
        self._check_usable()
        loop = asyncio.get_running_loop()
        waiter = _Waiter(loop, loop.create_future())
        self._queue.put(waiter)
        async with asyncio.timeout(timeout):
            await waiter.future

    @property
    def healthy(self) -> bool:
        thread = self._thread
        return (
            self._started
            and not self._closed
            and self._failure is None
            and thread is not None
            and thread.is_alive()
        )

    @property
    def last_error(self) -> str | None:
        return self._failure

    @property
    def queue_depth(self) -> int:
        """Records waiting for the writer (a stalled disk shows here first)."""
        return self._queue.qsize()

    def tail(self, limit: int) -> list[AuditRecord]:
        """Read the newest records over a connection of its own (the shared one in memory)."""
        if limit <= 0:
            return []
        with self._reader() as conn:
            if conn is None:
                return []
            rows = conn.execute(_SELECT_TAIL, (limit,)).fetchall()
        return [_from_row(row) for row in reversed(rows)]

    def records_between(self, start: float, end: float) -> list[AuditRecord]:
        """Records with ``start <= time < end``, oldest first."""
        with self._reader() as conn:
            if conn is None:
                return []
            rows = conn.execute(_SELECT_BETWEEN, (start, end)).fetchall()
        return [_from_row(row) for row in rows]

    # -- the writer's side -------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if not self._memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise AuditStoreError(
                    f"audit database {self.path!r} has schema version {version}, newer "
                    f"than this gateway's {SCHEMA_VERSION}"
                )
            with conn:
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _run(self) -> None:
        try:
            self._drain_forever()
        except BaseException as exc:  # never die silently: healthy must turn False
            self._fail(f"WriterCrashed:{_error_kind(exc)}")
            raise
        finally:
            if self._conn is not None and not self._memory:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()

    def _drain_forever(self) -> None:
        stopping = False
        while True:
            first = None if stopping else self._queue.get()
            items = [] if first is None else [first]
            urgent = stopping or not isinstance(first, AuditRecord)
            deadline = time.monotonic() + self._linger
            while len(items) < self._batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    remaining = deadline - time.monotonic()
                    if urgent or remaining <= 0:
                        break
                    try:
                        item = self._queue.get(timeout=remaining)
                    except queue.Empty:
                        break
                items.append(item)
                urgent = urgent or not isinstance(item, AuditRecord)
            if not items:
                return  # stopping, and nothing is left
            records = [i for i in items if isinstance(i, AuditRecord)]
            stopping = stopping or any(i is _STOP for i in items)
            if records:
                self._commit(records)
            for item in items:
                if isinstance(item, _Waiter):
                    item.resolve(self._failure)

    def _commit(self, records: list[AuditRecord]) -> None:
        for attempt in range(self._busy_retries + 1):
            try:
                with self._lock_shared():
                    self._write_batch(records)
                return
            except sqlite3.Error as exc:
                if _is_busy(exc) and attempt < self._busy_retries:
                    time.sleep(self._retry_delay * 2**attempt)
                    continue
                self.dropped += len(records)
                self._fail(_error_kind(exc))
                return

    def _write_batch(self, records: list[AuditRecord]) -> None:
        """One transaction for the whole batch; a test hook, too, to slow the writer."""
        assert self._conn is not None
        with self._conn:
            self._conn.executemany(_INSERT, [_to_row(r) for r in records])

    def _fail(self, kind: str) -> None:
        if self._failure is None:
            self._failure = kind
            log.error("audit store %r failed (%s); the gateway must stop serving", self.path, kind)

    def _check_usable(self) -> None:
        if not self._started:
            raise AuditStoreError("audit store is not started")
        if self._closed:
            raise AuditStoreError("audit store is closed")
        if self._failure is not None:
            raise AuditStoreError(f"audit write failed: {self._failure}")

    @contextlib.contextmanager
    def _lock_shared(self) -> Iterator[None]:
        if self._memory:
            with self._conn_lock:
                yield
        else:
            yield

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection | None]:
        if self._memory:
            with self._conn_lock:
                if self._conn is None or self._closed:
                    yield None
                else:
                    yield self._conn
            return
        if not Path(self.path).exists():
            yield None
            return
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout)
        try:
            yield conn
        finally:
            conn.close()
