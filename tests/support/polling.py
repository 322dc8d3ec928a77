"""The suite's one way to wait: poll a predicate until it holds, within a deadline.

A deadline bounds the wait; it is not what the test checks. A test that needs
something to have happened asserts the thing itself (a record, a version, a
closed stream), and ``wait_for`` only gives it the time to happen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["wait_for", "wait_for_async"]

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T | None],
    timeout: float = 10.0,
    *,
    interval: float = 0.02,
    message: str | Callable[[], str] | None = None,
) -> T:
    """Return ``predicate()``'s first truthy value; fail the test after ``timeout`` seconds.

    ``message`` (a string, or a function called at the deadline to describe what
    was seen instead) goes into the AssertionError.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            said = message() if callable(message) else message
            raise AssertionError(said or f"condition not met within {timeout:g} s")
        time.sleep(interval)


async def wait_for_async(
    predicate: Callable[[], T | None],
    timeout: float = 10.0,  # noqa: ASYNC109 (the same bound as wait_for's)
    *,
    interval: float = 0.01,
    message: str | Callable[[], str] | None = None,
) -> T:
    """``wait_for`` inside a running event loop: sleeps with asyncio, so the loop (and the
    code under test on it) runs between checks."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            said = message() if callable(message) else message
            raise AssertionError(said or f"condition not met within {timeout:g} s")
        await asyncio.sleep(interval)
