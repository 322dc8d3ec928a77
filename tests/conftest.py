"""Fixtures every test folder shares, registered once (they live in ``tests/support``)."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.support")

from tests.support.services import (  # noqa: E402 (after the rewrite hook)
    key_prefix,
    postgres_server,
    postgres_url,
    redis_server,
    redis_url,
)

__all__ = ["key_prefix", "postgres_server", "postgres_url", "redis_server", "redis_url"]
