"""The scan queue: a few scans at once, the smallest waiting one first, a bounded wait."""

from __future__ import annotations

import asyncio

import pytest

from gateway.detect.queue import ScanQueue, ScanQueueFull


def test_waiting_scans_are_admitted_smallest_first() -> None:
    async def main() -> list[int]:
        queue = ScanQueue(slots=1, max_waiting_chars=10_000_000)
        await queue.acquire(1)  # the one running
        order: list[int] = []

        async def scan(size: int) -> None:
            await queue.acquire(size)
            order.append(size)
            queue.release()

        waiting = [asyncio.create_task(scan(size)) for size in (900_000, 4_000, 300_000, 4_000)]
        await asyncio.sleep(0)
        assert queue.waiting == 4
        queue.release()
        await asyncio.gather(*waiting)
        return order

    # equal sizes keep their arrival order; the attacker's large scans go last
    assert asyncio.run(main()) == [4_000, 4_000, 300_000, 900_000]


def test_a_queue_holding_its_characters_refuses_at_once() -> None:
    async def main() -> None:
        queue = ScanQueue(slots=1, max_waiting_chars=300)
        await queue.acquire(1_000_000)  # a scan's size does not count once it runs
        waiter = asyncio.create_task(queue.acquire(200))
        await asyncio.sleep(0)
        with pytest.raises(ScanQueueFull):
            await queue.acquire(101)  # the waiting ones would hold 301 characters
        fits = asyncio.create_task(queue.acquire(100))  # exactly 300: it waits
        await asyncio.sleep(0)
        assert queue.waiting == 2
        queue.release()
        await fits  # the smaller one first
        queue.release()
        await waiter

    asyncio.run(main())


def test_a_waiter_that_gives_up_loses_no_slot() -> None:
    async def main() -> None:
        queue = ScanQueue(slots=1, max_waiting_chars=100)
        await queue.acquire(10)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await queue.acquire(10)
        assert queue.waiting == 0
        queue.release()
        # the slot is free again: taken at once, not after the abandoned waiter
        async with asyncio.timeout(1):
            await queue.acquire(10)

    asyncio.run(main())


def test_a_slot_handed_over_as_the_waiter_is_cancelled_is_given_back() -> None:
    async def main() -> None:
        queue = ScanQueue(slots=1, max_waiting_chars=100)
        await queue.acquire(10)
        waiter = asyncio.create_task(queue.acquire(10))
        await asyncio.sleep(0)
        queue.release()  # handed to the waiter, which is cancelled before it runs
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        async with asyncio.timeout(1):
            await queue.acquire(10)

    asyncio.run(main())
