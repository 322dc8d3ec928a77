"""Which gateway processes write to a store here, and which of them have died.

Each writer (one per gateway process) holds an exclusive ``flock`` on
``<prefix>-<writer id>.lock`` (``var/audit.db.writer-3fa2….lock``) for as long
as it runs. The kernel drops the
lock when the process ends, however it ends (``kill -9`` included), so a
writer starting later can take the lock of any file whose process is gone:
whatever that process opened and never completed is then closed as
``outcome: unknown`` (``gateway/audit/phases.py``), and the file removed.

A file whose lock is still held belongs to a live process (another worker,
another gateway on the same volume) and is left alone: its requests may still
be in flight. A writer that stops cleanly with nothing open removes its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DeadWriter", "WriterRegistry"]

_SUFFIX = ".lock"


@dataclass(slots=True)
class DeadWriter:
    """A writer whose process is gone; we hold its lock until its records are closed."""

    writer_id: str
    started: float  # unix seconds: none of its records is older
    path: Path
    fd: int


class WriterRegistry:
    """The lock files of the writers sharing a store from this machine."""

    def __init__(self, prefix: str | Path) -> None:
        prefix = Path(prefix)
        self.folder = prefix.parent
        self._stem = prefix.name + "-"
        self.writer_id: str | None = None
        self._fd: int | None = None

    def register(self) -> str:
        """Take a fresh id and hold its lock until ``close``; raises OSError if it can't."""
        self.folder.mkdir(parents=True, exist_ok=True)
        writer_id = secrets.token_hex(8)
        path = self._path(writer_id)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, f"{time.time():.6f}\n".encode())
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        self.writer_id, self._fd = writer_id, fd
        return writer_id

    def dead(self) -> list[DeadWriter]:
        """The writers whose process ended, each locked by us, oldest first."""
        found: list[DeadWriter] = []
        try:
            paths = sorted(self.folder.glob(self._stem + "*" + _SUFFIX))
        except OSError:
            return found
        for path in paths:
            writer_id = path.name.removeprefix(self._stem).removesuffix(_SUFFIX)
            if writer_id == self.writer_id:
                continue
            dead = _take(path, writer_id)
            if dead is not None:
                found.append(dead)
        found.sort(key=lambda d: d.started)
        return found

    def release(self, dead: DeadWriter) -> None:
        """Its open records are closed: forget it."""
        dead.path.unlink(missing_ok=True)
        os.close(dead.fd)

    def close(self, *, clean: bool) -> None:
        """Let go of our own lock; ``clean`` (nothing left open) removes the file too."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if clean and self.writer_id is not None:
            self._path(self.writer_id).unlink(missing_ok=True)
        os.close(fd)

    def journal_prefix(self, writer_id: str) -> Path:
        """Where ``writer_id`` journals its openings (``gateway/audit/journal.py``)."""
        return self.folder / (self._stem + writer_id)

    def _path(self, writer_id: str) -> Path:
        return self.folder / (self._stem + writer_id + _SUFFIX)


def _take(path: Path, writer_id: str) -> DeadWriter | None:
    """Lock ``path`` if its process is gone and nobody else is closing it yet."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None  # removed meanwhile by whoever closed it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Another writer may have closed it and removed the file while we waited.
        if os.fstat(fd).st_ino != path.stat().st_ino:
            raise FileNotFoundError(path)
        text = os.read(fd, 64).decode("ascii", "replace").strip()
    except OSError:
        with contextlib.suppress(OSError):
            os.close(fd)
        return None
    try:
        started = float(text)
    except ValueError:  # torn by a crash mid-register: then any record may be its
        started = 0.0
    return DeadWriter(writer_id, started, path, fd)
