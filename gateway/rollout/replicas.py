"""Every replica's health, published through the shared store for the console's overview.

Each gateway process (each worker of each replica) writes what its ``/readyz``
says, with its host, process id, Haetae version and time, as the field
``<host>:<pid>-<random>`` of ``{prefix}replicas`` every ``interval`` seconds,
with a deadline three intervals on. A replica that stops cleanly removes its
entry; one that dies (or loses Redis) is dropped by the next reader after its
deadline. What is published is what the replica reports about itself; it is
not signed, and nothing acts on it but the overview, which says so. Without
Redis there is nothing to publish to: the overview shows the process that
answers, and says that others, if any, cannot be seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

import orjson

from gateway.rollout.store import StoreUnavailable

__all__ = ["REPORTED", "ReplicaBeacon", "ReplicaBoard", "replica_id"]

log = logging.getLogger("haetae.rollout")

#: the fields of ``/readyz`` a replica publishes (nothing else: no error texts beyond them)
REPORTED = (
    "status", "audit", "audit_spool", "policy", "policy_version", "policy_store", "redis",
    "scan_workers",
)  # fmt: skip


@runtime_checkable
class ReplicaBoard(Protocol):
    """What a shared store offers for replicas' health (the Redis store does)."""

    async def publish_replica(self, replica: str, status: bytes, ttl: float) -> None: ...

    async def forget_replica(self, replica: str) -> None: ...

    async def replicas(self, limit: int = 200) -> list[dict[str, Any]]: ...


def replica_id() -> str:
    """``host:pid-xxxx``: the suffix tells apart two gateways built in one process."""
    return f"{socket.gethostname()}:{os.getpid()}-{secrets.token_hex(2)}"


def _version() -> str:
    try:
        return metadata.version("haetae")
    except metadata.PackageNotFoundError:
        return "unknown"


class ReplicaBeacon:
    """Publishes this process's health every ``interval`` seconds while it runs."""

    def __init__(
        self,
        board: ReplicaBoard | None,
        status: Callable[[], Mapping[str, Any]],
        interval: float = 5.0,
    ) -> None:
        self.board = board
        self.id = replica_id()
        self._status = status
        self._interval = interval
        self._started = time.time()
        self._version = _version()
        self._task: asyncio.Task[None] | None = None

    def snapshot(self) -> dict[str, Any]:
        status = self._status()
        return {
            "replica": self.id,
            "version": self._version,
            "started": self._started,
            "seen": time.time(),
            **{name: status[name] for name in REPORTED if name in status},
        }

    async def publish(self) -> None:
        """Once; raises StoreUnavailable when Redis cannot be reached."""
        if self.board is None:
            return
        await self.board.publish_replica(self.id, orjson.dumps(self.snapshot()), self._interval * 3)

    def start(self) -> None:
        if self._task is None and self.board is not None:
            self._task = asyncio.create_task(self._run(), name="replica-beacon")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if self.board is not None:
                with contextlib.suppress(StoreUnavailable):
                    await self.board.forget_replica(self.id)

    async def _run(self) -> None:
        while True:
            try:
                await self.publish()
            except StoreUnavailable:
                pass  # the rollout reports Redis down; this replica simply drops off the list
            except Exception as exc:  # never let the beacon take anything else down
                log.warning("replica health not published: %s", type(exc).__name__)
            await asyncio.sleep(self._interval)

    async def report(self) -> dict[str, Any]:
        """Every replica's last report (this one's fresh), sorted by id.

        ``shared``: whether replicas publish at all (Redis); ``error``: why the others
        could not be read just now (then only this process is listed).
        """
        mine = self.snapshot()
        if self.board is None:
            return {"shared": False, "error": None, "replicas": [mine]}
        try:
            found = {r.get("replica"): r for r in await self.board.replicas()}
        except StoreUnavailable as exc:  # names Redis by its redacted address and error kind
            return {"shared": True, "error": str(exc), "replicas": [mine]}
        found[self.id] = mine
        return {
            "shared": True,
            "error": None,
            "replicas": [found[key] for key in sorted(found, key=str)],
        }
