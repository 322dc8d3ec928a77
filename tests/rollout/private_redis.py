"""Transitional: the private ``redis-server`` helpers live in ``tests.support.redis_server``.

Kept so that ``from private_redis import ...`` still works; import from
``tests.support.redis_server`` in new tests.
"""

from __future__ import annotations

from tests.support.redis_server import PrivateRedis, private_redis, redis_server_binary

__all__ = ["PrivateRedis", "private_redis", "redis_server_binary"]
