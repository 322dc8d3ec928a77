"""The shared Redis and PostgreSQL, each test in a namespace of its own.

Other test runs (other checkouts, CI jobs, benchmarks) use the same servers at
the same time, so nothing here looks beyond its own namespace:

* every name starts with this run's id (``RUN_ID``): Redis keys with
  ``haetae-test:<run>:``, PostgreSQL schemas with ``haetae_test_<run>_``;
* each test gets a fresh prefix or schema under it (``key_prefix``,
  ``postgres_url``), deleted when the test ends;
* at the end of the session whatever this run left (a test killed halfway) is
  swept, and only that.

A server that cannot be reached skips the test, except with ``CI=true``, where
it fails it: CI must not pass by skipping what it was meant to run.

The fixtures are registered once, in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "POSTGRES",
    "REDIS",
    "RUN_ID",
    "closed_port",
    "key_prefix",
    "postgres_server",
    "postgres_url",
    "redis_server",
    "redis_url",
    "unavailable",
]

#: where the servers are; override for another machine
REDIS = os.environ.get("HAETAE_TEST_REDIS", "redis://127.0.0.1:6379/0")
POSTGRES = os.environ.get("HAETAE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

#: this process's share of the servers: one per test session (and per xdist worker)
RUN_ID = uuid.uuid4().hex[:8]
_REDIS_RUN = f"haetae-test:{RUN_ID}:"
_POSTGRES_RUN = f"haetae_test_{RUN_ID}_"


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when ``CI=true`` (a skipped service test hides a gap)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
    pytest.skip(reason)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- Redis ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The shared Redis, checked once per session; this run's keys are swept at the end."""
    import redis
    from redis.exceptions import RedisError

    parts = urlsplit(REDIS)
    try:
        with redis.Redis.from_url(REDIS, socket_connect_timeout=1, socket_timeout=2) as client:
            client.ping()
    except (RedisError, OSError) as exc:
        unavailable(
            f"Redis is not reachable at {parts.hostname}:{parts.port} ({type(exc).__name__})"
        )
    yield REDIS
    _delete_keys(REDIS, _REDIS_RUN)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The shared Redis. Use it only under ``key_prefix``: other runs use it too."""
    return redis_server


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; every key under it is deleted afterwards."""
    prefix = f"{_REDIS_RUN}{uuid.uuid4().hex[:8]}:"
    yield prefix
    _delete_keys(redis_url, prefix)


def _delete_keys(url: str, prefix: str) -> None:
    import redis

    with redis.Redis.from_url(url, socket_timeout=5) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The shared PostgreSQL, checked once per session; this run's schemas are dropped at
    the end."""
    import psycopg

    try:
        psycopg.connect(POSTGRES, connect_timeout=2).close()
    except psycopg.OperationalError as exc:
        parts = urlsplit(POSTGRES)
        unavailable(
            f"PostgreSQL is not reachable at {parts.hostname}:{parts.port} ({type(exc).__name__})"
        )
    yield POSTGRES
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        leftover = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (_POSTGRES_RUN,)
        ).fetchall()
        for (schema,) in leftover:
            _drop_schema(conn, schema)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose ``?schema=`` is this test's own; the schema is dropped afterwards."""
    import psycopg

    schema = f"{_POSTGRES_RUN}{uuid.uuid4().hex[:8]}"
    yield f"{postgres_server}?schema={schema}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        _drop_schema(conn, schema)


def _drop_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
