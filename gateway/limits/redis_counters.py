"""The fleet's counters in Redis: one Lua script per admission, one per charge.

The scripts read Redis's own clock (``TIME``), so replicas whose clocks
disagree still share one window, and each runs atomically: of two replicas
asking for the last request of a window at once, exactly one is admitted.
The algorithms are ``counters.MemoryCounters``'s, written for Redis: a sorted
set of admission times per request counter, a hash of slot → amount per token
or spend counter, each expiring when its window has passed.

Every key of one admission is passed to one script, so a Redis Cluster would
need them in one hash slot; a single primary (with replicas for failover), as
the policy rollout uses, is what this is written for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from gateway.limits.counters import ALLOWED, Verdict, slot_ms
from gateway.policy.limits import Bucket

__all__ = ["RedisCounters"]

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

#: KEYS: the counters; ARGV: member, then per counter: kind (r|s), amount, window, slot (ms)
_ADMIT = (
    _NOW
    + """
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 4
  local amount = tonumber(ARGV[base + 2])
  local window = tonumber(ARGV[base + 3])
  local key = KEYS[i]
  if ARGV[base + 1] == 'r' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local used = redis.call('ZCARD', key)
    if used >= amount then
      local entry = redis.call('ZRANGE', key, used - amount, used - amount, 'WITHSCORES')
      return {0, i - 1, tonumber(entry[2]) + window - now}
    end
  else
    local width = tonumber(ARGV[base + 4])
    local count = math.ceil(window / width)
    local current = math.floor(now / width)
    local fields = redis.call('HGETALL', key)
    local used = 0
    local slots = {}
    for j = 1, #fields, 2 do
      local index = tonumber(fields[j])
      if index <= current - count then
        redis.call('HDEL', key, fields[j])
      else
        local value = tonumber(fields[j + 1])
        used = used + value
        slots[#slots + 1] = {index, value}
      end
    end
    if used >= amount then
      table.sort(slots, function(a, b) return a[1] < b[1] end)
      for _, slot in ipairs(slots) do
        used = used - slot[2]
        if used < amount then
          return {0, i - 1, (slot[1] + count) * width - now}
        end
      end
      return {0, i - 1, window}
    end
  end
end
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 4
  if ARGV[base + 1] == 'r' then
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[base + 3]))
  end
end
return {1, -1, 0}
"""
)

#: KEYS: token or spend counters; ARGV per counter: amount, window, slot (ms)
_CHARGE = (
    _NOW
    + """
for i = 1, #KEYS do
  local base = (i - 1) * 3
  local width = tonumber(ARGV[base + 3])
  redis.call('HINCRBY', KEYS[i], tostring(math.floor(now / width)), ARGV[base + 1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[base + 2]) + width)
end
return 1
"""
)


class RedisCounters:
    """Counters under ``prefix`` in the Redis the replicas share (``rollout.redis_url``)."""

    def __init__(
        self,
        url: str,
        prefix: str,
        options: Mapping[str, Any] | None = None,
        timeout: float = 0.25,
        display: str = "redis",
    ) -> None:
        # Short timeouts: every admission waits for this, and a dead Redis must be
        # noticed (and handled by limits.on_redis_error) in a bounded time.
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, **(options or {})
        )
        self._prefix = prefix
        self._admit = self._redis.register_script(_ADMIT)
        self._charge = self._redis.register_script(_CHARGE)
        self.where = display

    async def admit(self, buckets: Sequence[Bucket], member: str) -> Verdict:
        if not buckets:
            return ALLOWED
        keys = [self._prefix + bucket.key for bucket in buckets]
        args: list[str | int] = [member]
        for bucket in buckets:
            kind = "r" if bucket.kind == "requests" else "s"
            args += [kind, bucket.amount, bucket.window_ms, slot_ms(bucket.window_ms)]
        allowed, refused, wait_ms = await self._admit(keys=keys, args=args)
        if int(allowed) == 1:
            return ALLOWED
        return Verdict(False, int(refused), max(0.001, int(wait_ms) / 1000))

    async def charge(self, charges: Sequence[tuple[Bucket, int]]) -> None:
        keys: list[str] = []
        args: list[int] = []
        for bucket, amount in charges:
            if amount > 0:
                keys.append(self._prefix + bucket.key)
                args += [amount, bucket.window_ms, slot_ms(bucket.window_ms)]
        if keys:
            await self._charge(keys=keys, args=args)

    async def aclose(self) -> None:
        await self._redis.aclose()
