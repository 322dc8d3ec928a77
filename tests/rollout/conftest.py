"""Fixtures for the rollout tests: the real Redis when it is there, and clean keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from rollout_helpers import REDIS_HOST, REDIS_PORT, REDIS_URL, redis_reachable


@pytest.fixture
def redis_url() -> str:
    """The real Redis; absent → skip, unless CI=true where absence is a failure."""
    if not redis_reachable():
        message = f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true requires it)")
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    """A prefix of our own, and every key under it deleted afterwards."""
    import redis

    prefix = f"haetae-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()
