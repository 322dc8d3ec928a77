"""Delivering the audit trail to every configured sink, at least once, in order.

Each sink has its own cursor and its own pace: a SIEM that is down holds back
only its own deliveries, which resume where they stopped when it returns (with
a capped exponential backoff in between). Records are read from the audit
store in chain order, so what a sink receives is the store's order, gaps-free.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from gateway.audit.record import AuditRecord
from gateway.siem.cursor import Cursor, CursorFile
from gateway.siem.sinks import Sink, SinkError

__all__ = ["Delivery", "DeliveryStopped", "RecordSource", "SinkRoute"]

log = logging.getLogger("haetae.siem")

MAX_BACKOFF_SECONDS = 60.0


class RecordSource(Protocol):
    """What delivery needs of an audit store: the chain, read forward from a number."""

    def after(self, seq: int, limit: int = 500) -> list[AuditRecord]: ...


class DeliveryStopped(Exception):
    """A sink's cursor no longer matches the store; delivering on would skip or repeat."""


@dataclass(slots=True)
class SinkRoute:
    """One sink, which records it wants, and where its delivery stands."""

    sink: Sink
    cursor_file: CursorFile
    decisions: frozenset[str] | None = None  # None: every record
    cursor: Cursor = field(default_factory=lambda: Cursor(0, None))
    failures: int = 0
    retry_at: float = 0.0
    stopped: str | None = None  # why delivery to this sink stopped for good

    def wants(self, record: AuditRecord) -> bool:
        return self.decisions is None or record.decision in self.decisions


class Delivery:
    def __init__(self, store: RecordSource, routes: list[SinkRoute], *, batch_size: int) -> None:
        self._store = store
        self._routes = routes
        self._batch = batch_size

    @classmethod
    def build(
        cls,
        store: RecordSource,
        sinks: Sequence[tuple[Sink, Collection[str] | None]],
        *,
        state_dir: Path,
        batch_size: int,
    ) -> Delivery:
        routes = [
            SinkRoute(
                sink,
                CursorFile(state_dir, sink.name),
                None if decisions is None else frozenset(decisions),
            )
            for sink, decisions in sinks
        ]
        return cls(store, routes, batch_size=batch_size)

    @property
    def routes(self) -> list[SinkRoute]:
        return self._routes

    async def start(self) -> None:
        """Load every cursor and check it still points at the record it was saved on."""
        for route in self._routes:
            route.cursor = await asyncio.to_thread(route.cursor_file.load)
            if route.cursor.seq == 0:
                continue
            rows = await asyncio.to_thread(self._store.after, route.cursor.seq - 1, 1)
            found = rows[0] if rows else None
            if found is None or found.seq != route.cursor.seq or found.hash != route.cursor.hash:
                route.stopped = (
                    f"the audit store no longer holds record {route.cursor.seq} that sink "
                    f"{route.sink.name!r} last received (a new or restored database?); "
                    f"delivery to it is stopped so that nothing is skipped or repeated "
                    f"silently. Check the store, then remove {route.cursor_file.path} to "
                    "deliver the whole trail again"
                )
                log.error("siem: %s", route.stopped)

    async def deliver_pending(self, *, now: float | None = None) -> dict[str, int]:
        """Send every record not yet delivered, batch by batch; per sink, how many were.

        A sink that fails stops for this round (and backs off); the others go on.
        """
        clock = asyncio.get_running_loop().time() if now is None else now
        delivered: dict[str, int] = {}
        for route in self._routes:
            if route.stopped is not None or clock < route.retry_at:
                continue
            delivered[route.sink.name] = await self._drain(route, clock)
        return delivered

    async def _drain(self, route: SinkRoute, clock: float) -> int:
        sent = 0
        while True:
            records = await asyncio.to_thread(self._store.after, route.cursor.seq, self._batch)
            if not records:
                return sent
            wanted = [record for record in records if route.wants(record)]
            if wanted:
                try:
                    await route.sink.send(wanted)
                except SinkError as exc:
                    route.failures += 1
                    delay = min(MAX_BACKOFF_SECONDS, 2.0 ** (route.failures - 1))
                    route.retry_at = clock + delay
                    log.warning("siem: %s; retrying in %.0f s", exc, delay)
                    return sent
            last = records[-1]
            assert last.seq is not None
            route.cursor = Cursor(last.seq, last.hash)
            await asyncio.to_thread(route.cursor_file.save, route.cursor)
            if route.failures:
                log.info("siem: sink %r delivering again", route.sink.name)
            route.failures, route.retry_at = 0, 0.0
            sent += len(wanted)

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        """Deliver until ``stop`` is set, looking for new records every ``poll_seconds``."""
        await self.start()
        try:
            while not stop.is_set():
                try:
                    await self.deliver_pending()
                except Exception as exc:  # a store read failed: try again next round
                    log.error("siem: reading the audit store failed: %s", type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_seconds)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        for route in self._routes:
            await route.sink.aclose()
