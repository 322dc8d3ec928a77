"""Counters for limits, and the one kept in this process (a single replica).

Two kinds of counter, both over a sliding window:

- **requests**: a log of admission times. A request is admitted when fewer
  than ``amount`` are logged within the window; its time is then logged. The
  oldest entry says when the next one will be admitted (``retry-after``).
- **tokens** and **spend**: the window is cut into ``SLOTS`` slots, each
  holding what was charged in it. A request is admitted while the sum over the
  window is below ``amount``; it is charged after its answer, with what the
  provider reports. Requests in flight together may therefore overshoot a
  budget by what they use, never start once it is spent.

``admit`` checks every counter of a request and logs it in the request
counters only if all admit it, in one step: two replicas never both admit
the last request. ``RedisCounters`` (``redis_counters.py``) does the same in
one Lua script for a fleet.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.policy.limits import Bucket

__all__ = ["ALLOWED", "SLOTS", "Counters", "MemoryCounters", "Verdict", "slot_ms"]

#: slots per window for tokens and spend: what leaves the window leaves in 1/60ths
SLOTS = 60


def slot_ms(window_ms: int) -> int:
    """The width of one slot of a token or spend window (at least one second)."""
    return max(1000, window_ms // SLOTS)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    #: the counter that refused (index into the buckets), -1 when allowed
    refused: int = -1
    #: seconds until the refusing counter would admit the request
    retry_after: float = 0.0


ALLOWED = Verdict(True)


class Counters(Protocol):
    """Where counters live: this process, or Redis shared by the fleet."""

    #: a name for logs and the start-up line
    where: str

    async def admit(self, buckets: Sequence[Bucket], member: str) -> Verdict:
        """Check every bucket; when all admit, log ``member`` in the request buckets."""
        ...

    async def charge(self, charges: Sequence[tuple[Bucket, int]]) -> None:
        """Add used tokens or micro-units of spend to their buckets, now."""
        ...

    async def aclose(self) -> None: ...


class MemoryCounters:
    """The counters in this process: exact for one replica, per replica for several."""

    where = "memory"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._logs: dict[str, deque[float]] = {}
        self._slots: dict[str, dict[int, int]] = {}
        self._calls = 0

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    async def admit(self, buckets: Sequence[Bucket], member: str) -> Verdict:
        now = self._now_ms()
        self._calls += 1
        if self._calls % 1024 == 0:
            self._sweep(now)
        for index, bucket in enumerate(buckets):
            if bucket.kind == "requests":
                log = self._logs.get(bucket.key)
                if log is None:
                    continue
                while log and log[0] <= now - bucket.window_ms:
                    log.popleft()
                if len(log) >= bucket.amount:
                    wait = log[len(log) - bucket.amount] + bucket.window_ms - now
                    return Verdict(False, index, _seconds(wait))
            else:
                wait_ms = _slots_wait(self._slots.get(bucket.key), bucket, now)
                if wait_ms is not None:
                    return Verdict(False, index, _seconds(wait_ms))
        for bucket in buckets:
            if bucket.kind == "requests":
                self._logs.setdefault(bucket.key, deque()).append(now)
        return ALLOWED

    async def charge(self, charges: Sequence[tuple[Bucket, int]]) -> None:
        now = self._now_ms()
        for bucket, amount in charges:
            if amount > 0:
                slots = self._slots.setdefault(bucket.key, {})
                index = now // slot_ms(bucket.window_ms)
                slots[index] = slots.get(index, 0) + amount

    async def aclose(self) -> None:
        self._logs.clear()
        self._slots.clear()

    def _sweep(self, now: int) -> None:
        """Forget counters whose whole window has passed: memory stays bounded by use."""
        horizon = now - 366 * 86_400_000
        for key in [k for k, log in self._logs.items() if not log or log[-1] < horizon]:
            del self._logs[key]
        for key in [k for k, slots in self._slots.items() if not slots]:
            del self._slots[key]


def _slots_wait(slots: dict[int, int] | None, bucket: Bucket, now: int) -> int | None:
    """None if the window's sum is under the amount; else milliseconds until it is."""
    if not slots:
        return None
    width = slot_ms(bucket.window_ms)
    count = math.ceil(bucket.window_ms / width)
    current = now // width
    for index in [i for i in slots if i <= current - count]:
        del slots[index]
    used = sum(slots.values())
    if used < bucket.amount:
        return None
    for index in sorted(slots):
        used -= slots[index]
        if used < bucket.amount:
            return (index + count) * width - now
    return bucket.window_ms  # not reached: the last slot leaves the window too


def _seconds(milliseconds: float) -> float:
    return max(0.001, milliseconds / 1000)
