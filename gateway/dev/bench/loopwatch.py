"""The gateway under a stall monitor: how long its event loop went without running.

``python -m gateway.dev.bench.loopwatch --config FILE`` serves the gateway as ``haetae
serve`` does (one worker), with three additions for the attack benchmark:

- a ticker task that wakes every millisecond; the time between two wake-ups minus the
  millisecond is how long the loop could not run anything (a *stall*);
- a sampling thread that, while the loop is stalled for more than ``_SAMPLE_AFTER``,
  records where the loop thread is (its innermost frames inside ``gateway/``), so the
  report names the code that held the loop rather than only how long;
- on the stdlib loop (``--loop asyncio``, the default), the loop thread's CPU time per
  callback (``loopcpu.CallbackClock``): what the gateway itself held the loop for, apart
  from the machine's share of a stall;
- ``GET /__loopwatch``: the stalls, the places, the callbacks' CPU and the peak resident
  memory since the last call (the gateway's, and its scan workers' summed), as JSON, then
  a reset (the peaks through ``/proc/<pid>/clear_refs``).

It is a development tool: nothing in the gateway imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from gateway.dev.bench.loopcpu import CallbackClock

__all__ = ["LoopWatch", "WatchedApp", "family", "peak_rss_mb", "reset_peak_rss"]

_TICK = 0.001
_SAMPLE_AFTER = 0.005  # a stall this long gets its place sampled
_SAMPLE_EVERY = 0.002
_MAX_TICKS = 2_000_000  # a phase of half an hour; the list stays bounded past it
PATH = "/__loopwatch"


class LoopWatch:
    """A 1 ms ticker on the loop and a sampler of where the loop is when it stalls."""

    def __init__(self, clock: CallbackClock | None = None) -> None:
        self._clock = clock
        self._stalls: list[float] = []
        self._places: Counter[str] = Counter()
        self._last = time.perf_counter()
        self._discard = False  # the next gap holds the report's own work
        self._thread_id: int | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start ticking on the running loop, and the sampler thread (once)."""
        if self._task is not None:
            return
        self._thread_id = threading.get_ident()
        self._last = time.perf_counter()
        self._task = asyncio.get_running_loop().create_task(self._tick())
        threading.Thread(target=self._sample, name="loopwatch", daemon=True).start()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(_TICK)
            now = time.perf_counter()
            if self._discard:
                self._discard = False
            elif len(self._stalls) < _MAX_TICKS:
                self._stalls.append(max(0.0, now - self._last - _TICK))
            self._last = now

    def _sample(self) -> None:
        while True:
            time.sleep(_SAMPLE_EVERY)
            if time.perf_counter() - self._last < _SAMPLE_AFTER or self._thread_id is None:
                continue
            frames = sys._current_frames()
            place = _place(frames.get(self._thread_id))
            self._places[place] += 1
            if self._clock is not None:
                self._clock.sampled(place)
            # what other threads run meanwhile: one of them may hold the GIL
            for ident, frame in frames.items():
                if ident not in (self._thread_id, threading.get_ident()):
                    place = _place(frame, own=True)
                    if place:
                        self._places["(thread) " + place] += 1

    def report(self) -> dict[str, Any]:
        """Stalls in ms since the last report (max, p99, p99.9, count over 10 ms), then reset."""
        if self._clock is not None:
            self._clock.ignore_current()  # the report's own work (sorting, /proc) is no stall
        self._discard = True
        stalls, places = sorted(self._stalls), self._places
        self._stalls, self._places = [], Counter()
        callbacks = {} if self._clock is None else {"callbacks": self._clock.report()}
        if not stalls:
            return {"ticks": 0} | callbacks

        def at(q: float) -> float:
            return round(stalls[min(len(stalls) - 1, int(q * len(stalls)))] * 1000, 2)

        return {
            "ticks": len(stalls),
            "max_ms": round(stalls[-1] * 1000, 2),
            "p99_ms": at(0.99),
            "p999_ms": at(0.999),
            "over_10ms": sum(1 for s in stalls if s > 0.010),
            "places": places.most_common(10),
        } | callbacks


def _place(frame: Any, own: bool = False) -> str:
    """The innermost two frames of gateway code on the stack, and the innermost frame.

    ``own``: only a stack that runs gateway code, else "" (an idle thread).
    """
    names: list[str] = []
    innermost = None
    while frame is not None:
        code = frame.f_code
        if innermost is None:
            innermost = f"{Path(code.co_filename).name}:{code.co_name}"
        if "/gateway/" in code.co_filename and "/dev/" not in code.co_filename:
            names.append(f"{code.co_filename.split('/gateway/')[-1]}:{code.co_name}")
            if len(names) == 2:
                break
        frame = frame.f_back
    if own and not names:
        return ""
    return " < ".join(names) + (f" [{innermost}]" if innermost else "") or "?"


def family(pid: int | None = None) -> list[str]:
    """A process (this one by default) and its descendants, the process first.

    Scan workers are the gateway's grandchildren: they fork from a forkserver child.
    """
    parents: dict[str, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # the command may hold spaces and parentheses: the ppid follows the last ')'
            parents[stat.parent.name] = stat.read_text().rsplit(")", 1)[1].split()[1]
    found = [str(os.getpid() if pid is None else pid)]
    for member in found:  # grows while walked: breadth first
        found.extend(child for child, parent in parents.items() if parent == member)
    return found


def reset_peak_rss() -> None:
    """Start a new peak: Linux resets VmHWM to the current RSS on ``5``."""
    for pid in family():
        # not Linux, or not allowed: the peak is then the process's lifetime peak
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory (VmHWM) in MB: this process, and its descendants summed."""
    peaks: list[float] = []
    for pid in family():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            peaks.append(0.0)
            continue
        hwm = next((line for line in status.splitlines() if line.startswith("VmHWM:")), None)
        peaks.append(int(hwm.split()[1]) / 1024 if hwm else 0.0)
    return peaks[0], sum(peaks[1:])


class WatchedApp:
    """The gateway's ASGI app with the watch started and ``/__loopwatch`` answered."""

    def __init__(self, app: Any, watch: LoopWatch) -> None:
        self._app = app
        self._watch = watch

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self._watch.start()
        if scope["type"] == "http" and scope["path"] == PATH:
            report = self._watch.report()
            own, workers = peak_rss_mb()
            report["processes"] = len(family())  # itself, the forkserver, the workers
            report["peak_rss_mb"] = round(own, 1)
            report["workers_peak_rss_mb"] = round(workers, 1)
            reset_peak_rss()
            body = orjson.dumps(report)
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self._app(scope, receive, send)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.dev.bench.loopwatch")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument(
        "--loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="asyncio (default): the CPU per callback is measured too; uvloop: as served",
    )
    args = parser.parse_args(argv)

    import uvicorn

    from gateway.app import build_app
    from gateway.server import GIL_SWITCH_INTERVAL, uvicorn_config
    from gateway.settings import load_settings
    from gateway.telemetry import configure_logging

    settings = load_settings(args.config)
    configure_logging(settings.log_level, settings.log_format)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    gateway = build_app(settings)
    start = getattr(gateway, "start_scan_workers", None)  # as run_gateway does (if it can:
    if start is not None:  # the bench also measures older code)
        start()
    clock = CallbackClock() if args.loop == "asyncio" else None
    if clock is not None:
        clock.install()
    app = WatchedApp(gateway, LoopWatch(clock))
    listen = settings.listen
    logging.getLogger("haetae").info("watched gateway on %s:%d", listen.host, listen.port)
    config = uvicorn_config(app, listen.host, listen.port, settings.log_level, log_config=None)
    config.loop = args.loop  # uvloop runs its callbacks in C, where they cannot be timed
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
