"""Where each sink's delivery stands: the last record the SIEM acknowledged.

One small JSON file per sink, replaced atomically (write, fsync, rename, fsync
the folder), so a crash leaves either the old cursor or the new one. Delivery is
at-least-once: a batch is sent, then the cursor moves; a crash in between sends
that batch again, but a batch the SIEM acknowledged is never sent twice.

The cursor also keeps the hash of that record. If the store no longer holds it
(a new database, a restore from backup), counting on from the old number would
silently skip or repeat records, so delivery stops and says so instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import orjson

from gateway.errors import ConfigError

__all__ = ["Cursor", "CursorFile"]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True, slots=True)
class Cursor:
    seq: int  # 0: nothing delivered yet
    hash: str | None  # the chain hash of record ``seq``


class CursorFile:
    def __init__(self, folder: Path, sink_name: str) -> None:
        self.path = folder / f"{_SAFE_NAME.sub('_', sink_name)}.cursor.json"

    def load(self) -> Cursor:
        try:
            data = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return Cursor(0, None)
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read the SIEM cursor {self.path}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("seq"), int):
            raise ConfigError(f"the SIEM cursor {self.path} is not a cursor file")
        return Cursor(data["seq"], data.get("hash"))

    def save(self, cursor: Cursor) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            handle.write(orjson.dumps({"seq": cursor.seq, "hash": cursor.hash}))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
