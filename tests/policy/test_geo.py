"""Resolving a provider's host to countries: cached, shared, bounded, never raising."""

from __future__ import annotations

import asyncio

import pytest

from gateway.geo import EndpointResolver, countries_of


class FakeDns:
    def __init__(self, answers: dict[str, list[str]], delay: float = 0.0) -> None:
        self.answers = answers
        self.delay = delay
        self.asked: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if self.delay:
            await asyncio.sleep(self.delay)
        if host not in self.answers:
            raise OSError("no such host")
        return self.answers[host]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        (["8.8.8.8"], ("US",)),
        (["127.0.0.1", "10.0.0.1", "::1"], ("private",)),
        (["8.8.8.8", "8.8.4.4"], ("US",)),
        (["not-an-address"], ("unknown",)),
        ([], ("unresolved",)),
    ],
)
def test_countries_of(addresses: list[str], expected: tuple[str, ...]) -> None:
    assert countries_of(addresses) == expected


def test_answers_are_cached_for_the_ttl_and_failures_more_briefly() -> None:
    dns, clock = FakeDns({"api.example": ["8.8.8.8"]}), Clock()
    resolver = EndpointResolver(ttl=300, failure_ttl=10, lookup=dns, clock=clock)

    async def scenario() -> None:
        assert await resolver.countries("api.example") == ("US",)
        assert await resolver.countries("api.example") == ("US",)
        assert dns.asked == ["api.example"]
        clock.now = 301
        await resolver.countries("api.example")
        assert dns.asked == ["api.example"] * 2
        assert await resolver.countries("gone.example") == ("unresolved",)
        await resolver.countries("gone.example")
        clock.now = 312
        await resolver.countries("gone.example")
        assert dns.asked.count("gone.example") == 2

    asyncio.run(scenario())


def test_concurrent_requests_share_one_lookup() -> None:
    dns = FakeDns({"api.example": ["8.8.8.8"]}, delay=0.01)
    resolver = EndpointResolver(lookup=dns)

    async def scenario() -> list[tuple[str, ...]]:
        return await asyncio.gather(*(resolver.countries("api.example") for _ in range(20)))

    assert asyncio.run(scenario()) == [("US",)] * 20
    assert dns.asked == ["api.example"]


def test_a_slow_resolver_times_out_as_unresolved() -> None:
    dns = FakeDns({"slow.example": ["8.8.8.8"]}, delay=5)
    resolver = EndpointResolver(timeout=0.01, lookup=dns)
    assert asyncio.run(resolver.countries("slow.example")) == ("unresolved",)


def test_literal_addresses_need_no_lookup() -> None:
    dns = FakeDns({})
    resolver = EndpointResolver(lookup=dns)
    assert asyncio.run(resolver.countries("127.0.0.1")) == ("private",)
    assert dns.asked == []


def test_the_event_loop_resolver_answers_for_localhost() -> None:
    assert asyncio.run(EndpointResolver().countries("localhost")) == ("private",)
