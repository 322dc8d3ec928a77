"""The event loop thread's CPU time per callback: what the gateway itself holds the loop for.

A wall-clock stall (``loopwatch``'s ticker) mixes the gateway's own work with the
machine's: on two shared cores the loop also waits while the OS runs the clients, the
fake provider or another test, and while one of the gateway's own threads holds the GIL.
The CPU clock of the loop thread (``time.thread_time``) only advances while that thread
runs, so its delta around one callback is the time that callback kept the loop busy
itself, however loaded the machine; the rest of the callback's wall time it was waiting
(for the GIL or for a core).

``CallbackClock.install`` wraps ``asyncio.events.Handle._run``, which the stdlib loop
calls for every callback it runs: I/O readiness, timers, and each step of every task (a
task step is one coroutine's run from one ``await`` that suspended to the next). uvloop
runs its own handles in C, so a gateway watched this way runs on the stdlib loop. Only the
development tool installs it; the product never imports this module.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
from array import array
from pathlib import Path
from typing import Any

__all__ = ["CallbackClock", "run_queue_seconds"]

_HEAVY = 0.005  # a callback with this much CPU is named in the report
_KEEP_HEAVY = 50  # the heaviest ones kept per phase
_MAX_CALLBACKS = 5_000_000  # the arrays stay bounded past it (a long phase)


class CallbackClock:
    """Times each callback the stdlib event loop runs, in loop-thread CPU and in wall time."""

    def __init__(self) -> None:
        self._cpu = array("d")
        self._wall = array("d")
        self._heavy: list[tuple[float, int, float, str, list[str]]] = []
        self._order = itertools.count()
        self._since: float | None = None  # when the running callback began (perf_counter)
        self._samples: list[str] = []
        self._ignore = False
        self._run_queue = run_queue_seconds()
        self._original: Any = None

    def install(self) -> None:
        """Wrap ``Handle._run`` for every loop of this process (call before the loop runs)."""
        original = self._original = asyncio.events.Handle._run
        clock = self

        def _run(self: asyncio.Handle) -> None:
            wall, cpu = time.perf_counter(), time.thread_time()
            clock._since, clock._samples = wall, []
            try:
                original(self)
            finally:
                cpu = time.thread_time() - cpu
                wall = time.perf_counter() - wall
                clock._since = None
                clock._note(self, cpu, wall)

        asyncio.events.Handle._run = _run  # type: ignore[method-assign]

    def uninstall(self) -> None:
        """Put ``Handle._run`` back (a test's clock; the watched gateway keeps its own)."""
        if self._original is not None:
            asyncio.events.Handle._run = self._original  # type: ignore[method-assign]
            self._original = None

    def ignore_current(self) -> None:
        """Leave the running callback out: the watch's own report, not the gateway's work."""
        self._ignore = True

    def running_for(self) -> float:
        """How long (wall) the callback now running has run; 0 between callbacks."""
        since = self._since
        return 0.0 if since is None else time.perf_counter() - since

    def sampled(self, place: str) -> None:
        """Where the loop thread was, seen by the sampler during the running callback."""
        if self._since is not None and len(self._samples) < 100:
            self._samples.append(place)

    def _note(self, handle: asyncio.Handle, cpu: float, wall: float) -> None:
        if self._ignore:
            self._ignore = False
            return
        if len(self._cpu) < _MAX_CALLBACKS:
            self._cpu.append(cpu)
            self._wall.append(wall)
        if cpu >= _HEAVY and (len(self._heavy) < _KEEP_HEAVY or cpu > self._heavy[0][0]):
            entry = (cpu, next(self._order), wall, _label(handle), self._samples)
            if len(self._heavy) < _KEEP_HEAVY:
                heapq.heappush(self._heavy, entry)
            else:
                heapq.heapreplace(self._heavy, entry)

    def report(self) -> dict[str, Any]:
        """CPU and wait per callback since the last report, in ms, then reset."""
        cpu, wall, heavy = sorted(self._cpu), self._wall, sorted(self._heavy, reverse=True)
        waits = sorted(w - c for w, c in zip(wall, self._cpu, strict=True))
        queued = run_queue_seconds()
        run_queue, self._run_queue = queued - self._run_queue, queued
        self._cpu, self._wall, self._heavy = array("d"), array("d"), []
        if not cpu:
            return {"callbacks": 0}

        def at(values: list[float], q: float) -> float:
            return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 2)

        return {
            "callbacks": len(cpu),
            "cpu_max_ms": round(cpu[-1] * 1000, 2),
            "cpu_p99_ms": at(cpu, 0.99),
            "cpu_p999_ms": at(cpu, 0.999),
            "cpu_over_10ms": sum(1 for c in cpu if c > 0.010),
            "cpu_total_s": round(sum(cpu), 3),
            # inside a callback but not running: waiting for the GIL or for a core
            "wait_max_ms": round(waits[-1] * 1000, 2),
            "wait_p99_ms": at(waits, 0.99),
            "wait_total_s": round(sum(waits), 3),
            # the loop thread waiting for a core (the OS's part of the wait), whole phase
            "run_queue_s": round(run_queue, 3),
            "heaviest": [
                {
                    "cpu_ms": round(c * 1000, 2),
                    "wall_ms": round(w * 1000, 2),
                    "callback": label,
                    "places": _common(samples),
                }
                for c, _, w, label, samples in heavy[:10]
            ],
        }


def run_queue_seconds() -> float:
    """The calling thread's time spent runnable but not running (Linux schedstat), in s.

    Inside a callback, wall minus CPU is the GIL wait plus this; 0 where not Linux.
    """
    try:
        text = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat").read_text()
    except OSError:
        return 0.0
    return int(text.split()[1]) / 1e9


def _common(samples: list[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for place in samples:
        counts[place] = counts.get(place, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])[:3]


def _label(handle: asyncio.Handle) -> str:
    """The callback's name; for a task step, the task's coroutine and where it suspended."""
    callback = handle._callback  # type: ignore[attr-defined]
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro: Any = owner.get_coro()
        name = getattr(coro, "__qualname__", type(coro).__name__)
        if owner.done():
            return f"task {name}, its last step"
        return f"task {name}, then awaiting at {_suspended(coro)}"
    return getattr(callback, "__qualname__", None) or type(callback).__name__


def _suspended(coro: Any) -> str:
    """The innermost gateway coroutine frame the task is suspended in (or the innermost)."""
    last = "?"
    for _ in range(64):  # an await chain, bounded
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        code = frame.f_code
        if "/gateway/" in code.co_filename:
            last = f"{code.co_filename.split('/gateway/')[-1]}:{code.co_name}:{frame.f_lineno}"
        elif last == "?":
            last = f"{Path(code.co_filename).name}:{code.co_name}"
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        if coro is None:
            break
    return last
