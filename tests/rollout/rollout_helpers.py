"""Old home of the rollout tests' helpers; they live in ``tests.support`` now.

Kept so that tests importing ``rollout_helpers`` keep running; new tests import
from ``tests.support.rollout``, ``tests.support.services`` and ``tests.support.polling``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.polling import wait_for
from tests.support.rollout import (
    ADMIN,
    BASE_POLICY,
    STRICT_POLICY,
    TOKEN,
    chat,
    ready,
    rollout_gateway,
    rollout_keys,
    rollout_stack,
    with_internal_provider,
)
from tests.support.services import REDIS, closed_port

__all__ = [
    "ADMIN",
    "BASE_POLICY",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_URL",
    "STRICT_POLICY",
    "TOKEN",
    "chat",
    "closed_port",
    "ready",
    "rollout_gateway",
    "rollout_keys",
    "rollout_stack",
    "wait_for",
    "with_internal_provider",
]

REDIS_URL = REDIS
REDIS_HOST = urlsplit(REDIS).hostname or "127.0.0.1"
REDIS_PORT = urlsplit(REDIS).port or 6379
