"""Admission for scans off the event loop: a few at once, the smallest first, a bounded wait.

Without it, off-loop scans took their slots first come, first served: two attackers
resending 1 Mi-character prompts kept both slots busy, and an ordinary 4 KB request
queued behind a dozen of their scans. Here a waiting scan is served by size, so a
small one overtakes every larger one that is waiting, and at most ``max_waiting``
scans wait at all: one more is refused at once (the caller answers 503), which costs
the attacker a round trip and everyone else nothing.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

__all__ = ["ScanQueue", "ScanQueueFull"]


class ScanQueueFull(RuntimeError):
    """Every scan slot is taken and ``max_waiting`` scans already wait."""


class ScanQueue:
    """At most ``slots`` scans at once; waiting scans are admitted smallest first."""

    def __init__(self, slots: int, max_waiting: int) -> None:
        self._free = slots
        self._max_waiting = max_waiting
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._queued = 0  # waiters not cancelled (cancelled ones leave the heap lazily)
        self._order = itertools.count()  # equal sizes: first come, first served

    @property
    def waiting(self) -> int:
        return self._queued

    async def acquire(self, size: int) -> None:
        """Take a slot for a scan of ``size`` characters; ``ScanQueueFull`` if none is near.

        A caller cancelled while waiting (its deadline passed) gives back a slot it was
        handed in the meantime, so no slot is ever lost.
        """
        if self._free > 0 and not self._queued:
            self._free -= 1
            return
        if self._queued >= self._max_waiting:
            raise ScanQueueFull(f"{self._queued} scans waiting")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (size, next(self._order), future))
        self._queued += 1
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed a slot just as the wait ended
            else:
                future.cancel()
                self._queued -= 1
            raise

    def release(self) -> None:
        """Give a slot back: to the smallest waiting scan, or to the free ones."""
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                self._queued -= 1
                future.set_result(None)
                return
        self._free += 1
