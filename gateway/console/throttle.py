"""Failed sign-ins slow down whoever makes them: after ``limit`` failures from one
address within ``window`` seconds, that address may not try again until the oldest
of them is ``window`` old. Counted per process (a bound on guessing, not an
account lock-out: a lock-out by name would let anyone lock the break-glass
administrator out)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["SignInThrottle"]


class SignInThrottle:
    def __init__(
        self,
        limit: int = 5,
        window: float = 900.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit, self._window, self._capacity = limit, window, capacity
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, address: str | None) -> float:
        """Seconds until ``address`` may try again; 0 if it may now."""
        failures = self._recent(address or "-")
        if len(failures) < self._limit:
            return 0.0
        return max(0.0, failures[0] + self._window - self._clock())

    def failed(self, address: str | None) -> None:
        key = address or "-"
        failures = self._recent(key)
        failures.append(self._clock())
        self._failures[key] = failures
        self._failures.move_to_end(key)
        while len(self._failures) > self._capacity:
            self._failures.popitem(last=False)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key, deque(maxlen=self._limit))
        horizon = self._clock() - self._window
        while failures and failures[0] < horizon:
            failures.popleft()
        return failures
