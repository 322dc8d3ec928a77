"""How replicas tell each other that the company index was reloaded.

The replica that reloads after a registration (or ``POST /admin/v1/company/reload``)
announces the generation it now serves, the way a policy activation is announced
(``rollout/redis_store.py``): the notice is kept under ``{prefix}company-index`` and
published on ``{prefix}company-reloaded`` (``company_redis.py``), and every replica also
re-reads the kept notice each poll interval, because pub/sub loses messages while a
replica reconnects.
Without Redis, workers on one host share ``rollout.local_dir``, where the notice is a
file re-read each poll interval.

A notice is only a doorbell and is not signed: a replica that hears it reads the
generation of the index on its own disk and reloads only if that changed. Whoever can
write to Redis can make replicas look at their disk, nothing more; the index itself is
the authority, as it is at start-up.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final, Protocol

import orjson

from gateway.rollout.store import StoreUnavailable

__all__ = ["CompanyNotices", "LocalCompanyNotices", "Notice", "StoreUnavailable"]

_GENERATION: Final = re.compile(r"[0-9a-f]{16}")
_FILE: Final = "company-index.json"


@dataclass(frozen=True, slots=True)
class Notice:
    """A replica serves ``generation`` of the company index since ``at``."""

    generation: str
    replica: str
    at: float

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def parse(cls, raw: bytes | str | None) -> Notice | None:
        """The notice in ``raw``; None for anything no replica writes (never trusted)."""
        if raw is None:
            return None
        try:
            data = orjson.loads(raw)
            notice = cls(str(data["generation"]), str(data["replica"])[:200], float(data["at"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        return notice if _GENERATION.fullmatch(notice.generation) else None


class CompanyNotices(Protocol):
    """Every method may raise ``StoreUnavailable``."""

    kind: str  # "redis" or "local": what /readyz reports

    async def announce(self, notice: Notice) -> None: ...

    async def latest(self) -> Notice | None: ...

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109
        """Return when a notice is published, or after ``timeout`` seconds."""

    async def aclose(self) -> None: ...


class LocalCompanyNotices:
    """Workers of one host: the notice is a file in ``rollout.local_dir``."""

    kind = "local"

    def __init__(self, directory: Path) -> None:
        self._path = directory / _FILE

    async def announce(self, notice: Notice) -> None:
        await asyncio.to_thread(self._write, notice.to_json())

    def _write(self, data: bytes) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{_FILE}.", dir=self._path.parent)
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(name, self._path)
        except OSError as exc:
            raise StoreUnavailable(f"{self._path.parent}: {exc.strerror}") from None

    async def latest(self) -> Notice | None:
        try:
            raw = await asyncio.to_thread(self._path.read_bytes)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreUnavailable(f"{self._path}: {exc.strerror}") from None
        return Notice.parse(raw)

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109
        await asyncio.sleep(timeout)

    async def aclose(self) -> None:
        return None
