"""The openings journal: a forwarded request's opening made durable by one append.

Before a request leaves, its opening record must survive a crash of the gateway
(docs/audit.md, "Durable before forwarding"). Awaiting the store's commit for that
costs a commit per request at low concurrency: the writer thread wakes, chains,
inserts into the table and its indexes and writes the log, while the request waits.
On SQLite that commit (WAL, ``synchronous=NORMAL``) is durable against a crash of
the process but not against power loss: the same guarantee as a ``write`` to a file
on the same disk. So the event loop appends the opening to this process's journal
instead (one ``write``, no thread hand-off), and the writer commits openings to the
store in batches, as it does completions; once the store holds everything journaled,
the journal is emptied.

A process that dies leaves its journal beside its writer lock
(``<prefix>-<writer id>-<generation>.journal``, ``gateway/audit/writers.py``). The
next process to start takes the dead writer's lock, replays the journal into the
store (records the store already has are skipped, so a replay repeats nothing), and
then closes the openings left without a completion as ``outcome: unknown``.

Under steady load the writer may never catch up completely, so a journal that passes
``ROTATE_BYTES`` is set aside for a new generation, and a set-aside one is removed
once everything in it is committed.

The same goes for the one record of a request an ICAP proxy will send (REQMOD answered
204 or with a changed request). Completions are not journaled: nothing waits for them,
as before (a completion a crash loses is closed as unknown). Only the PostgreSQL store
keeps awaiting the commit: there the commit is the database server's, which a gateway's
local file would not match when its pod is rescheduled.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import orjson

from gateway.audit.record import AuditRecord
from gateway.audit.spool import batches_of, unchained_records

__all__ = ["ROTATE_BYTES", "OpeningJournal", "journal_files"]

#: a journal past this size is set aside and a new one begun
ROTATE_BYTES: Final = 16 * 1024 * 1024
_SUFFIX: Final = ".journal"


def _path(prefix: Path, generation: int) -> Path:
    return prefix.with_name(f"{prefix.name}-{generation:06d}{_SUFFIX}")


def journal_files(prefix: Path) -> list[Path]:
    """A writer's journal files, oldest generation first."""
    try:
        return sorted(prefix.parent.glob(f"{prefix.name}-[0-9]*{_SUFFIX}"))
    except OSError:
        return []


def read_journal(prefix: Path, size: int) -> Iterator[list[AuditRecord]]:
    """A dead writer's journaled records, in order, ``size`` at a time, unchained (a torn
    last line, the process dying mid-``write``, opened a request that never left)."""
    return batches_of(unchained_records(journal_files(prefix)), size)


def remove_journal(prefix: Path) -> None:
    """Forget a writer's journal: everything in it is in the store."""
    for path in journal_files(prefix):
        path.unlink(missing_ok=True)


class OpeningJournal:
    """This process's journal: appended on the event loop, emptied by the writer thread.

    Positions count records appended to the store's hand-off (``ThreadedAuditStore``),
    which the writer commits in the same order: when it has committed ``n`` records,
    every journaled record whose position is below ``n`` is in the store.
    """

    def __init__(self, prefix: Path, rotate_bytes: int = ROTATE_BYTES) -> None:
        self._prefix = prefix
        self._rotate_bytes = rotate_bytes
        self._lock = threading.Lock()
        self._generation = 0
        self._fd = self._open(0)
        self._size = 0
        self._through = 0  # records appended to the hand-off when the journal last grew
        self._set_aside: list[tuple[Path, int]] = []  # full generations and their ``through``

    def _open(self, generation: int) -> int:
        return os.open(
            _path(self._prefix, generation), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
        )

    def append(self, records: list[AuditRecord], through: int) -> None:
        """Write ``records`` (the hand-off holds ``through`` records once they are in it);
        raises OSError if the disk refuses, and then nothing counts as journaled."""
        data = b"".join([orjson.dumps(r.to_dict()) + b"\n" for r in records])
        with self._lock:
            if self._size >= self._rotate_bytes:
                self._rotate()
            written = os.write(self._fd, data)
            while written < len(data):  # a short write: a full disk reports itself next
                written += os.write(self._fd, data[written:])
            self._size += written
            self._through = through

    def _rotate(self) -> None:
        self._set_aside.append((_path(self._prefix, self._generation), self._through))
        os.close(self._fd)
        self._generation += 1
        self._fd = self._open(self._generation)
        self._size = 0

    def committed(self, count: int) -> None:
        """The store holds the first ``count`` records: drop what the journal no longer needs."""
        with self._lock:
            while self._set_aside and self._set_aside[0][1] <= count:
                path, _ = self._set_aside.pop(0)
                path.unlink(missing_ok=True)
            if self._size and count >= self._through:
                os.ftruncate(self._fd, 0)
                self._size = 0

    @property
    def empty(self) -> bool:
        """Nothing journaled is missing from the store."""
        return self._size == 0 and not self._set_aside

    def close(self) -> None:
        """Stop writing; an empty journal is removed, anything else is left for a replay."""
        with self._lock:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            if self._size == 0 and not self._set_aside:
                remove_journal(self._prefix)
