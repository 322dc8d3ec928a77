"""Whether the policy file, or any file its compile read, changed since that compile.

Compiling the default policy (YAML, validation, rules, detector settings) takes
20-50 ms of CPU, on a thread that holds the GIL and so slows the event loop
meanwhile. The watcher used to recompile every tenth poll whatever happened,
since an included fragment or term file may change while the policy file does
not: one such compile every ten seconds in every gateway process, serving or idle.

Now every file the compile read (``CompiledPolicy.read``: the policy file, its
includes, dictionary and allow-list files) is watched. Each poll compares their
``stat`` (size, inode, modification and change times in nanoseconds), which is
microseconds; every so often it also re-reads them and compares the SHA-256 of
their bytes with what the compile read, since a rewrite within one timestamp
tick to the same size keeps the ``stat``. Only a difference compiles.

The stats are taken *before* the compile reads the files: a change made while it
runs shows at the next poll instead of being taken for the compiled content.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SourceWatch", "Stat", "stat_of"]

#: (size, inode, modification time, change time), None when the file cannot be read
Stat = tuple[int, int, int, int] | None


def stat_of(path: Path) -> Stat:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size, found.st_ino, found.st_mtime_ns, found.st_ctime_ns


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class SourceWatch:
    """The files one compile read: the hash of what it read and their stats before."""

    #: path → SHA-256 of the bytes the compile read
    digests: Mapping[Path, str]
    #: path → its stat just before the compile read it
    stats: Mapping[Path, Stat]

    @classmethod
    def of(cls, read: Iterable[tuple[Path, str]], before: Mapping[Path, Stat]) -> SourceWatch:
        """After a compile that read ``read``; ``before``: stats taken before it started
        (a file it read for the first time, such as a new include, is stat'ed now)."""
        digests = dict(read)
        stats = {path: before[path] if path in before else stat_of(path) for path in digests}
        return cls(digests, stats)

    def stats_now(self, *also: Path) -> dict[Path, Stat]:
        """The current stats of the watched files and of ``also``: take them before a
        compile and hand them to ``of``."""
        return {path: stat_of(path) for path in (*self.digests, *also)}

    def moved(self) -> bool:
        """Whether any watched file's stat differs (cheap: one ``stat`` per file)."""
        return any(stat_of(path) != stat for path, stat in self.stats.items())

    def rewritten(self) -> bool:
        """Whether any watched file's bytes differ from what the compile read (reads them:
        blocking, for a thread)."""
        return any(_digest(path) != digest for path, digest in self.digests.items())

    def restat(self, stats: Mapping[Path, Stat]) -> SourceWatch:
        """The same contents with ``stats``: after a compile that failed, so that the
        file it failed on is compiled again once it changes, not at every poll."""
        merged = {path: stats.get(path, stat) for path, stat in self.stats.items()}
        return SourceWatch(self.digests, merged)
