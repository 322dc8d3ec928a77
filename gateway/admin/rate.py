"""How often one person or address may do something: a sliding window of events per key.

Counted per process. ``CheckLimit`` bounds the policy editor's live check
(``POST /admin/v1/policies/check``), which is not an admin record: it changes
nothing and a console editor sends one after each pause in typing.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["CheckLimit", "SlidingWindow"]


class SlidingWindow:
    """At most ``limit`` events per key within any ``window`` seconds."""

    def __init__(
        self,
        limit: int = 5,
        window: float = 900.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit, self._window, self._capacity = limit, window, capacity
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    @property
    def limit(self) -> int:
        return self._limit

    def wait(self, key: str | None) -> float:
        """Seconds until ``key`` may act again; 0 if it may now."""
        events = self._recent(key or "-")
        if len(events) < self._limit:
            return 0.0
        return max(0.0, events[0] + self._window - self._clock())

    def add(self, key: str | None) -> None:
        key = key or "-"
        events = self._recent(key)
        events.append(self._clock())
        self._events[key] = events
        self._events.move_to_end(key)
        while len(self._events) > self._capacity:
            self._events.popitem(last=False)

    def _recent(self, key: str) -> deque[float]:
        events = self._events.get(key, deque(maxlen=self._limit))
        horizon = self._clock() - self._window
        while events and events[0] < horizon:
            events.popleft()
        return events


class CheckLimit(SlidingWindow):
    """60 live checks a minute per person: an editor checks once per pause in typing
    (0.6 s) and never while a check is under way, so a person rarely reaches it; a
    script sending thousands does."""

    def __init__(
        self, limit: int = 60, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(limit, window, clock=clock)
