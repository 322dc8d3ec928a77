"""The local spool: where records wait, durably, while the store is down.

One JSON record per line, appended and fsync'd per batch, read back in order
when the store returns and emptied only once every record in it is stored. The
records carry no chain fields yet: they are chained when they finally reach
the store, after everything written before them.

Several gateway processes (``listen.workers``) share one spool file, so every
append and every whole replay holds an exclusive ``flock`` on ``<spool>.lock``:
a replay can never empty the file under another process's fresh append.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from gateway.audit.record import AuditRecord

__all__ = ["Spool", "batches_of", "unchained_records"]


def unchained_records(paths: Iterable[Path]) -> Iterator[AuditRecord]:
    """The records of files of JSON lines (a spool, a journal), in order, without chain
    fields: they are chained when they reach the store.

    A torn last line (a crash mid-write, before the write was acknowledged) stands for
    a record nobody was told is durable, so it is skipped rather than failing the replay.
    """
    for path in paths:
        with path.open("rb") as lines:
            for line in lines:
                try:
                    data = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                record = AuditRecord.from_dict(data)
                record.seq = record.prev_hash = record.hash = None
                yield record


def batches_of(records: Iterable[AuditRecord], size: int) -> Iterator[list[AuditRecord]]:
    """``records`` in lists of ``size`` (the last one shorter)."""
    batch: list[AuditRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Spool:
    """An append-only file of records; used by the store's writer thread only."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.depth = 0  # records waiting; ``load`` counts what a previous run left

    def load(self) -> None:
        """Count the records left by an earlier run; raises OSError if they can't be read."""
        self.depth = self._count()

    def append(self, records: list[AuditRecord]) -> None:
        """Write and fsync a batch; raises OSError if the disk refuses."""
        data = b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in records)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.locked():
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = 0
                while written < len(data):
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            finally:
                os.close(fd)
        self.depth += len(records)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive use of the spool across processes (blocks the writer thread only)."""
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def batches(self, size: int) -> Iterator[list[AuditRecord]]:
        """The waiting records in order, ``size`` at a time."""
        if self.path.exists():
            yield from batches_of(unchained_records([self.path]), size)

    def clear(self) -> None:
        """Everything in the spool is stored: start empty."""
        self.path.unlink(missing_ok=True)
        self.depth = 0

    def _count(self) -> int:
        try:
            with self.path.open("rb") as lines:
                return sum(1 for line in lines if line.strip())
        except (FileNotFoundError, NotADirectoryError):
            return 0  # nothing spooled yet; whether we can write is found out on append
