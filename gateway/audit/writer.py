"""The writing half every store shares: a queue on the caller's side, one thread behind it.

The event loop only ever appends to a ``Handoff`` (``gateway/audit/handoff.py``:
a lock-free append, and a wake-up only when the writer must act); a single
thread commits whatever is queued in batches, one transaction each. ``flush`` rides
the same queue as a marker, so when the writer reaches it everything appended
before it is durable. A backend supplies ``_open``/``_write_batch`` and its
error mapping; chaining happens inside ``_write_batch``, under the store's
write lock, so several gateway processes can share one chain.

Group commit: a flush marker ends the batch at once, so a request waiting
for its opening record (``gateway/audit/phases.py``) waits for one commit,
and every record and marker that arrived while that commit ran shares the
next one: one transaction for all of them, however many requests wait.

When a write fails and a spool is configured, the batch goes to the spool
instead (fsync'd), the store keeps retrying in the background, and the spool
is replayed, in order, once it answers again. Without a spool, or if the spool
fails too, ``healthy`` turns False for good and the gateway stops serving.
A store that was replaced under the gateway (``StoreReplaced``) is never
reconnected to by this process: its records stay in the spool.

With ``writers`` (a file name prefix), each process registers as a writer there
(``gateway/audit/writers.py``) and, once the store and spool allow, replays what
dead writers journaled and closes the openings they left without a completion, as
``outcome: unknown``. With ``journal`` as well, a flush that guards a request about to
leave (an opening; a request an ICAP proxy will send) is satisfied by appending its
records to this process's journal (``gateway/audit/journal.py``) instead of waiting for
a commit; the writer then commits them in batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gateway.audit.handoff import Handoff
from gateway.audit.journal import OpeningJournal, read_journal, remove_journal
from gateway.audit.phases import is_completion, is_opening
from gateway.audit.record import AuditRecord
from gateway.audit.spool import Spool
from gateway.audit.store import AuditStoreError
from gateway.audit.writers import DeadWriter, WriterRegistry

__all__ = ["StoreReplaced", "ThreadedAuditStore"]

log = logging.getLogger("haetae.audit")

_STOP = object()


@dataclass(slots=True)
class _Waiter:
    """A flush marker: resolved by the writer once everything before it is durable."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


def _resolve(waiters: list[_Waiter], error: str | None) -> None:
    """Wake each event loop once for all of its waiters in a batch (one self-pipe write)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for waiter in waiters:
        by_loop.setdefault(waiter.loop, []).append(waiter.future)
    for loop, futures in by_loop.items():
        # The loop may be gone if the waiter timed out during shutdown.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle_all, futures, error)


def _settle_all(futures: list[asyncio.Future[None]], error: str | None) -> None:
    for future in futures:
        _settle(future, error)


class StoreReplaced(AuditStoreError):
    """The store's file is not the one the writer opened: deleted, moved or swapped."""


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():  # the writer has not reached the flush marker in time
        future.set_exception(TimeoutError())


def _settle(future: asyncio.Future[None], error: str | None) -> None:
    if future.done():  # expired by the flush timeout, or its flush was cancelled
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(AuditStoreError(f"audit write failed: {error}"))


class ThreadedAuditStore:
    """Batching, flushing, spooling and health; subclasses say how to store a batch."""

    #: where the store is, for messages (never a URL with a password)
    label: str = "audit store"

    def __init__(
        self,
        *,
        spool: str | None = None,
        batch_size: int = 500,
        linger: float = 0.02,
        busy_retries: int = 3,
        retry_delay: float = 0.05,
        max_pending: int = 100_000,
        close_timeout: float = 5.0,
        replay_interval: float = 5.0,
        writers: str | None = None,
        journal: bool = False,
    ) -> None:
        self._batch_size = batch_size
        # Waiting briefly for more records turns one commit per request into one
        # per batch; a flush marker ends the wait, so refusals never linger.
        self._linger = linger
        self._busy_retries = busy_retries
        self._retry_delay = retry_delay
        self._max_pending = max_pending
        self._close_timeout = close_timeout
        self._replay_interval = replay_interval
        self._spool = Spool(spool) if spool else None
        self._writers = WriterRegistry(writers) if writers else None
        self._dead: list[DeadWriter] = []  # their openings wait to be closed
        self._journaling = journal and self._writers is not None
        self._journal: OpeningJournal | None = None  # opened once registered
        self._appended = 0  # records put in the hand-off (the writer commits them in order)
        self._committed = 0  # of those, committed to the store or the spool
        self._unflushed: list[AuditRecord] = []  # since the last flush, but completions
        self._open_requests = 0  # openings appended and not yet completed
        self._replaced = False  # the store was swapped under us: never reconnect
        self._handoff = Handoff(batch_size)
        self._thread: threading.Thread | None = None
        self._started = False
        self._closed = False
        self._failure: str | None = None
        self._backend_error: str | None = None  # the store is down; records go to the spool
        self._next_retry = 0.0
        self.dropped = 0  # records lost to a failed write or a full backlog
        self.commits = 0  # batches written to the store (records per commit: group commit)

    # -- what a backend provides -------------------------------------------------

    def _open(self) -> None:
        """Connect and migrate; raise the backend's error if it can't."""
        raise NotImplementedError

    def _close_backend(self) -> None:
        """Release the writer's connection (called on the writer thread, or after it)."""

    def _write_batch(self, records: list[AuditRecord]) -> None:
        """In one transaction under the write lock: chain after the tail, insert, sign."""
        raise NotImplementedError

    def _stored_ids(self, record_ids: list[str]) -> set[str]:
        """Which of these records the store already has (a replay may repeat a batch)."""
        raise NotImplementedError

    def _is_transient(self, exc: Exception) -> bool:
        return False

    def _idle_timeout(self) -> float | None:
        """How long the writer may wait for records before ``_idle`` is due (None: forever)."""
        return None

    def _idle(self) -> None:
        """Housekeeping when no record came for ``_idle_timeout`` seconds."""

    def _before_close(self) -> None:
        """On the writer thread, once a close has drained the queue (a final checkpoint)."""

    def _error_kind(self, exc: BaseException) -> str:
        return type(exc).__name__

    def _close_open_records(self, writer_id: str, since: float) -> int:
        """Complete, as outcome unknown, the openings ``writer_id`` left; how many."""
        raise NotImplementedError

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Open the store on the caller's thread, then start the writer.

        Raises AuditStoreError if it can't open and there is no spool to fall
        back on; with a spool, the gateway starts and records wait there.
        """
        if self._closed:
            raise AuditStoreError("audit store is closed")
        if self._started:
            return
        if self._spool is not None:
            try:
                self._spool.load()
            except OSError as exc:
                raise AuditStoreError(
                    f"cannot read the audit spool {self._spool.path}: {type(exc).__name__}"
                ) from exc
        try:
            self._open()
        except Exception as exc:
            # A store that answered but is unusable (e.g. a newer schema) is a
            # configuration error, not an outage to ride out on the spool.
            refused = isinstance(exc, AuditStoreError) and exc.__cause__ is None
            if self._spool is None or refused:
                if isinstance(exc, AuditStoreError):
                    raise
                kind = self._error_kind(exc)
                raise AuditStoreError(f"cannot open audit database {self.label}: {kind}") from exc
            self._store_down(self._error_kind(exc))
        self._register_writer()
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
        self._handoff.put(_STOP, urgent=True)
        self._thread.join(self._close_timeout)
        if self._thread.is_alive():
            log.error("audit writer did not stop within %.1fs", self._close_timeout)
        if self._writers is not None:
            # Anything still open, or journaled and not stored, is for the next writer.
            stopped = not self._thread.is_alive()
            clean = self._open_requests == 0 and stopped
            journal, self._journal = self._journal, None
            if journal is not None and stopped:  # else the writer may still use its file
                clean = clean and journal.empty
                journal.close()
            self._writers.close(clean=clean and self._failure is None)

    # -- the caller's side ---------------------------------------------------------

    def append(self, record: AuditRecord) -> None:
        """Queue one record: a lock-free put, no I/O."""
        if is_opening(record):
            assert record.details is not None
            record.details["writer"] = self.writer_id
            self._open_requests += 1
        elif is_completion(record):
            self._open_requests -= 1
        if self._closed:
            self.dropped += 1
            return
        if len(self._handoff) >= self._max_pending:
            self.dropped += 1
            self._fail("BacklogFull")
            return
        self._handoff.put(record, urgent=False)
        self._appended += 1
        if self._journal is not None and not is_completion(record):
            self._unflushed.append(record)

    async def flush(self, timeout: float = 5.0, *, leaving: bool = False) -> None:  # noqa: ASYNC109
        """Make every record appended so far durable: journal it if it guards a request
        about to leave (``leaving``) and there is a journal, else await the writer reaching
        a marker queued behind it (completions are never journaled: nothing waits for them).

        What a flush journals was appended by its caller just before: append and flush run
        without an ``await`` between them, so no other request's record is in between.
        """
        self._check_usable()
        unflushed, self._unflushed = self._unflushed, []
        if leaving and self._journal is not None:
            try:
                self._journal.append(unflushed, self._appended)
                return
            except OSError as exc:
                # Fail over to the commit: slower, as durable; the journal is not used again.
                log.error("audit journal write failed (%s); awaiting commits", type(exc).__name__)
                self._journal = None
        loop = asyncio.get_running_loop()
        waiter = _Waiter(loop, loop.create_future())
        self._handoff.put(waiter, urgent=True)
        # A bare timer, not asyncio.timeout(): half the cost, once for every request.
        timer = loop.call_later(timeout, _expire, waiter.future)
        try:
            await waiter.future
        finally:
            timer.cancel()

    @property
    def writer_id(self) -> str | None:
        """This process's name in its openings, for closing them after a crash."""
        return self._writers.writer_id if self._writers is not None else None

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
        """The fatal failure, else why records are going to the spool, else None."""
        return self._failure or self._backend_error

    @property
    def queue_depth(self) -> int:
        """Records waiting for the writer (a stalled disk or database shows here first)."""
        return len(self._handoff)

    def witness_status(self) -> dict[str, Any]:
        """No signer here: the SQL stores sign and witness checkpoints."""
        return {"kind": "off", "state": "off", "why": "checkpoints are not signed"}

    @property
    def uncommitted(self) -> int:
        """Records appended and not yet in the store or the spool (journaled openings among
        them): what a reader of the store does not see yet."""
        return self._appended - self._committed

    @property
    def spool_depth(self) -> int:
        """Records waiting in the spool for the store to come back."""
        return self._spool.depth if self._spool is not None else 0

    # -- the writer's side ---------------------------------------------------------

    def _run(self) -> None:
        try:
            self._close_dead_writers()
            self._drain_forever()
            self._before_close()
        except BaseException as exc:  # never die silently: healthy must turn False
            self._fail(f"WriterCrashed:{self._error_kind(exc)}")
            raise
        finally:
            with contextlib.suppress(Exception):
                self._close_backend()

    def _waiting_on_spool(self) -> bool:
        return self._spool is not None and (
            self._backend_error is not None or self._spool.depth > 0
        )

    def _drain_forever(self) -> None:
        batch: list[object] = []
        urgent = stopping = False
        # Records in hand, or arriving meanwhile, are committed by then at the latest;
        # until then a record does not wake the writer (``handoff``), which after a
        # commit spares one wake-up per request: a completion rides with the next opening.
        deadline: float | None = None
        while True:
            taken = self._handoff.take(self._batch_size - len(batch))
            if taken:
                batch += taken
                urgent = urgent or any(not isinstance(i, AuditRecord) for i in taken)
            now = time.monotonic()
            if batch and not (urgent or stopping) and len(batch) < self._batch_size:
                if deadline is None:
                    deadline = now + self._linger
                if now < deadline:
                    self._handoff.wait(deadline - now, wake_on_any=False)
                    continue
            if batch:
                stopping = stopping or any(i is _STOP for i in batch)
                self._settle_batch(batch, stopping)
                batch, urgent = [], False
                deadline = time.monotonic() + self._linger
                continue
            if stopping:
                return  # and nothing is left
            if deadline is not None and now < deadline:
                self._handoff.wait(deadline - now, wake_on_any=False)
                continue
            deadline = None
            spooling = self._waiting_on_spool()
            timeout = self._replay_interval if spooling else self._idle_timeout()
            if not self._handoff.wait(timeout, wake_on_any=True):
                if spooling:
                    self._recover()
                else:
                    self._idle()

    def _settle_batch(self, items: list[object], stopping: bool) -> None:
        """Commit the records, then wake whoever flushed behind them."""
        records = [i for i in items if isinstance(i, AuditRecord)]
        if records:
            self._commit(records)
        waiters = [item for item in items if isinstance(item, _Waiter)]
        if waiters:
            _resolve(waiters, self._failure)
        # After the waiters: a reconnect attempt may take seconds, and a
        # refusal waiting on its flush should not wait for it.
        if self._waiting_on_spool() and not stopping:
            self._recover()

    def _commit(self, records: list[AuditRecord]) -> None:
        if self._waiting_on_spool():
            if self._to_spool(records):  # behind what is already waiting, to keep the order
                self._count_committed(records)
            return
        try:
            self._write_with_retries(records)
        except Exception as exc:
            kind = self._error_kind(exc)
            if isinstance(exc, StoreReplaced) and not self._replaced:
                self._replaced = True
                log.error("audit store %s was replaced or deleted under the gateway", self.label)
            if self._spool is None:
                self.dropped += len(records)
                self._fail(kind)
                return
            self._store_down(kind)
            if self._to_spool(records):
                self._count_committed(records)
            return
        self.commits += 1
        self._count_committed(records)
        if self._dead:
            self._close_dead_writers()

    def _count_committed(self, records: list[AuditRecord]) -> None:
        """``records`` are durable in the store or the spool: the journal can let them go."""
        self._committed += len(records)
        journal = self._journal
        if journal is not None:
            try:
                journal.committed(self._committed)
            except OSError as exc:  # it only grows: it is replayed after a restart
                log.warning("audit journal could not be emptied: %s", type(exc).__name__)

    def _write_with_retries(self, records: list[AuditRecord]) -> None:
        for attempt in range(self._busy_retries + 1):
            try:
                self._write_batch(records)
                return
            except Exception as exc:
                if self._is_transient(exc) and attempt < self._busy_retries:
                    time.sleep(self._retry_delay * 2**attempt)
                    continue
                raise

    def _store_missing(self, batches: Iterable[list[AuditRecord]]) -> int:
        """Write the records of ``batches`` the store does not have yet (a replay may
        repeat a batch a crash interrupted); how many were written."""
        written = 0
        for batch in batches:
            seen = self._stored_ids([r.record_id for r in batch])
            fresh = [r for r in batch if r.record_id not in seen]
            if fresh:
                self._write_with_retries(fresh)
                written += len(fresh)
        return written

    def _to_spool(self, records: list[AuditRecord]) -> bool:
        """Whether ``records`` are durable in the spool (if not, the store has failed; a
        journal keeps what it holds of them for the next start)."""
        assert self._spool is not None
        try:
            self._spool.append(records)
        except OSError as exc:
            self.dropped += len(records)
            self._fail(f"SpoolFailed:{type(exc).__name__}")
            return False
        return True

    def _store_down(self, kind: str) -> None:
        if self._backend_error is None:
            log.error("audit store %s failed (%s); records go to the spool", self.label, kind)
        self._backend_error = kind
        self._next_retry = time.monotonic() + self._replay_interval

    def _recover(self) -> None:
        """Reconnect if needed and replay the spool, oldest first; at most once per interval."""
        if self._spool is None or time.monotonic() < self._next_retry or self._failure:
            return
        if self._replaced:  # an operator must look first; a restart opens what is there
            self._next_retry = time.monotonic() + self._replay_interval
            return
        try:
            if self._backend_error is not None:
                with contextlib.suppress(Exception):
                    self._close_backend()
                self._open()
            replayed = self._spool.depth
            with self._spool.locked():
                self._store_missing(self._spool.batches(self._batch_size))
                self._spool.clear()
        except Exception as exc:
            self._store_down(self._error_kind(exc))
            return
        if replayed or self._backend_error:
            log.warning("audit store %s is back; %d spooled records replayed", self.label, replayed)
        self._backend_error = None
        self._close_dead_writers()

    # -- after a crash -------------------------------------------------------------

    def _register_writer(self) -> None:
        if self._writers is None:
            return
        try:
            writer_id = self._writers.register()
            self._dead = self._writers.dead()
            if self._journaling:
                self._journal = OpeningJournal(self._writers.journal_prefix(writer_id))
        except OSError as exc:
            raise AuditStoreError(
                f"cannot register the audit writer in {self._writers.folder}: {type(exc).__name__}"
            ) from exc

    def _close_dead_writers(self) -> None:
        """Close what dead writers left open, once their spooled records are stored."""
        if not self._dead or self._waiting_on_spool() or self._failure:
            return
        assert self._writers is not None
        while self._dead:
            dead = self._dead[0]
            try:
                self._replay_journal(dead)
                closed = self._close_open_records(dead.writer_id, dead.started)
            except Exception as exc:  # the store's next write says whether it is down
                log.warning(
                    "closing a dead writer's open records failed: %s", self._error_kind(exc)
                )
                return
            self._writers.release(dead)
            self._dead.pop(0)
            if closed:
                log.warning(
                    "audit: %d requests forwarded by a gateway process that ended before "
                    "their answers did are recorded with outcome unknown",
                    closed,
                )

    def _replay_journal(self, dead: DeadWriter) -> None:
        """Store what a dead writer journaled and never committed, then forget its journal."""
        assert self._writers is not None
        prefix = self._writers.journal_prefix(dead.writer_id)
        replayed = self._store_missing(read_journal(prefix, self._batch_size))
        remove_journal(prefix)
        if replayed:
            log.warning("audit: %d journaled openings of an ended process stored", replayed)

    def _fail(self, kind: str) -> None:
        if self._failure is None:
            self._failure = kind
            log.error("audit store %s failed (%s); the gateway must stop serving", self.label, kind)

    def _check_usable(self) -> None:
        if not self._started:
            raise AuditStoreError("audit store is not started")
        if self._closed:
            raise AuditStoreError("audit store is closed")
        if self._failure is not None:
            raise AuditStoreError(f"audit write failed: {self._failure}")
