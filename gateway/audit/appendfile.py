"""Append-only files of lines, shared by worker processes: the file witness and the
timestamp tokens. Each append is locked and fsync'd; the last line is read from the
end, so a start-up report costs one small read whatever the file's size."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["append_line", "last_line", "read_lines"]

_TAIL = 64 * 1024  # longer than any entry


def append_line(path: Path, line: bytes) -> None:
    """Append ``line`` (ending in a newline) durably; folders are made 0700, the file 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # worker processes share the file
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def last_line(path: Path) -> bytes | None:
    """The last non-empty line; None if there is none (or no file)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL))
            tail = handle.read()
    except FileNotFoundError:
        return None
    lines = [line for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else None


def read_lines(path: Path) -> Iterator[bytes]:
    """Every non-empty line, stripped, oldest first; nothing if there is no file."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            if line.strip():
                yield line.strip()
