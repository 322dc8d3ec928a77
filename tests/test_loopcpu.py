"""The loop thread's CPU per callback: a callback's own work counts, its waiting does not."""

from __future__ import annotations

import asyncio
import time

from gateway.dev.bench.loopcpu import CallbackClock


def _spin(seconds: float) -> None:
    """Keep this thread on the CPU for ``seconds`` of its own CPU time."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def hog() -> None:
    await asyncio.sleep(0)
    _spin(0.015)  # one task step of 15 ms CPU
    await asyncio.sleep(0)


async def sleeper() -> None:
    await asyncio.sleep(0)
    time.sleep(0.03)  # noqa: ASYNC251 -- 30 ms in a callback off the CPU: waiting, not holding
    await asyncio.sleep(0)


async def both() -> None:
    await asyncio.gather(hog(), sleeper())


def test_a_step_that_computes_counts_and_one_that_sleeps_does_not() -> None:
    clock = CallbackClock()
    clock.install()
    try:
        asyncio.run(both())
    finally:
        clock.uninstall()
    report = clock.report()
    assert report["callbacks"] >= 4
    assert 15 <= report["cpu_max_ms"] < 28
    assert report["cpu_over_10ms"] == 1
    assert report["wait_max_ms"] >= 25  # the sleeping step waited
    heaviest = report["heaviest"][0]
    assert heaviest["cpu_ms"] >= 15 and heaviest["callback"].startswith("task hog")
    # the wrapper is gone: a second run is not counted
    asyncio.run(both())
    assert clock.report()["callbacks"] == 0
