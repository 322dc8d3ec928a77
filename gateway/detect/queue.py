"""Admission for scans off the event loop: a few at once, the smallest first, a bounded wait.

Without it, off-loop scans took their slots first come, first served: two attackers
resending 1 Mi-character prompts kept both slots busy, and an ordinary 4 KB request
queued behind a dozen of their scans. Here a waiting scan is served by size, so a
small one overtakes every larger one that is waiting, and the waiting scans hold at
most ``max_waiting_chars`` characters between them (what they keep in memory while
they wait): one more is refused at once (the caller answers 503), which costs the
attacker a round trip. Thirty-two clients sending 32 KB each wait; a dozen 1 Mi-
character prompts fill the queue.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

__all__ = ["ScanQueue", "ScanQueueFull"]


class ScanQueueFull(RuntimeError):
    """Every scan slot is taken and the waiting scans hold ``max_waiting_chars`` already."""


class ScanQueue:
    """At most ``slots`` scans at once; waiting scans are admitted smallest first."""

    def __init__(self, slots: int, max_waiting_chars: int) -> None:
        self._free = slots
        self._max_chars = max_waiting_chars
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._queued = 0  # waiters not cancelled (cancelled ones leave the heap lazily)
        self._queued_chars = 0
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
        if self._queued_chars + size > self._max_chars:
            raise ScanQueueFull(f"{self._queued} scans waiting")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (size, next(self._order), future))
        self._queued += 1
        self._queued_chars += size
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed a slot just as the wait ended
            else:
                future.cancel()
                self._queued -= 1
                self._queued_chars -= size
            raise

    def release(self) -> None:
        """Give a slot back: to the smallest waiting scan, or to the free ones."""
        while self._waiting:
            size, _, future = heapq.heappop(self._waiting)
            if not future.done():
                self._queued -= 1
                self._queued_chars -= size
                future.set_result(None)
                return
        self._free += 1
