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


POSTGRES = os.environ.get("HAETAE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The real PostgreSQL with a schema of our own, dropped afterwards; absent → skip."""
    import psycopg
    from psycopg import sql

    try:
        psycopg.connect(POSTGRES, connect_timeout=2).close()
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES} ({type(exc).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true requires it)")
        pytest.skip(message)
    schema = f"haetae_rollout_{uuid.uuid4().hex[:12]}"
    yield f"{POSTGRES}?schema={schema}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
