"""The counters' algorithms, in this process and in the shared Redis, side by side."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from gateway.limits.counters import Counters, MemoryCounters, slot_ms
from gateway.limits.redis_counters import RedisCounters
from gateway.policy.limits import Bucket


def bucket(key: str, kind: str = "requests", amount: int = 3, window_ms: int = 60_000) -> Bucket:
    return Bucket("test", key, kind, amount, window_ms)  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


Scenario = Callable[[Counters], Awaitable[None]]


@pytest.fixture(params=["memory", "redis"])
def run(request: pytest.FixtureRequest) -> Callable[[Scenario], None]:
    """Runs a scenario against fresh counters of each kind (Redis: this test's prefix)."""

    def make() -> Counters:
        if request.param == "memory":
            return MemoryCounters()
        url = request.getfixturevalue("redis_url")
        return RedisCounters(url, request.getfixturevalue("key_prefix"), timeout=2)

    def go(scenario: Scenario) -> None:
        async def main() -> None:
            counters = make()
            try:
                await scenario(counters)
            finally:
                await counters.aclose()

        asyncio.run(main())

    return go


def test_requests_admit_exactly_the_amount_then_say_when(run: Callable[[Scenario], None]) -> None:
    async def scenario(counters: Counters) -> None:
        b = bucket("a", amount=3, window_ms=60_000)
        results = [await counters.admit([b], f"r{i}") for i in range(5)]
        assert [r.allowed for r in results] == [True, True, True, False, False]
        refused = results[3]
        assert refused.refused == 0
        assert 58 < refused.retry_after <= 60  # the first admission leaves the window in ~60 s

    run(scenario)


def test_a_refused_request_is_not_counted_in_any_counter(run: Callable[[Scenario], None]) -> None:
    async def scenario(counters: Counters) -> None:
        small, large = bucket("small", amount=1), bucket("large", amount=10)
        assert (await counters.admit([small, large], "r1")).allowed
        refused = await counters.admit([large, small], "r2")
        assert not refused.allowed and refused.refused == 1  # the second bucket refused
        other = bucket("other-small", amount=1)
        # "large" holds one admission, not two: nine more fit
        for i in range(9):
            assert (await counters.admit([large], f"x{i}")).allowed, i
        assert not (await counters.admit([large, other], "last")).allowed

    run(scenario)


def test_budgets_admit_until_spent_and_free_as_slots_leave(run: Callable[[Scenario], None]) -> None:
    async def scenario(counters: Counters) -> None:
        b = bucket("tokens", kind="tokens", amount=100, window_ms=2_000)  # 1 s slots
        assert (await counters.admit([b], "r1")).allowed
        await counters.charge([(b, 60)])
        assert (await counters.admit([b], "r2")).allowed  # 60 < 100: still admitted
        await counters.charge([(b, 60)])
        refused = await counters.admit([b], "r3")
        assert not refused.allowed
        assert 0 < refused.retry_after <= 2.0
        await asyncio.sleep(refused.retry_after + 0.05)
        assert (await counters.admit([b], "r4")).allowed

    run(scenario)


def test_concurrent_admissions_never_exceed_the_amount(run: Callable[[Scenario], None]) -> None:
    async def scenario(counters: Counters) -> None:
        b = bucket("burst", amount=7)
        results = await asyncio.gather(*(counters.admit([b], f"c{i}") for i in range(30)))
        assert sum(r.allowed for r in results) == 7

    run(scenario)


def test_memory_window_slides() -> None:
    asyncio.run(_slides())


async def _slides() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    b = bucket("slide", amount=2, window_ms=10_000)
    assert (await counters.admit([b], "1")).allowed
    clock.now += 4
    assert (await counters.admit([b], "2")).allowed
    refused = await counters.admit([b], "3")
    assert not refused.allowed and refused.retry_after == pytest.approx(6.0)
    clock.now += 6
    assert (await counters.admit([b], "4")).allowed  # the first left the window


def test_slots_are_a_sixtieth_of_the_window_and_at_least_a_second() -> None:
    assert slot_ms(86_400_000) == 1_440_000
    assert slot_ms(30_000) == 1000
