"""The fleet's counters in Redis: one Lua script per admission, charges carried along.

The script reads Redis's own clock (``TIME``), so replicas whose clocks
disagree still share one window, and runs atomically: of two replicas
asking for the last request of a window at once, exactly one is admitted.
The algorithms are ``counters.MemoryCounters``'s, written for Redis: a sorted
set of admission times per request counter, a hash of slot → amount per token
or spend counter, each expiring when its window has passed.

Every key of one admission is passed to one script, so a Redis Cluster would
need them in one hash slot; a single primary (with replicas for failover), as
the policy rollout uses, is what this is written for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from gateway.limits.counters import ALLOWED, Verdict, slot_ms
from gateway.policy.limits import Bucket

__all__ = ["RedisCounters"]

log = logging.getLogger("haetae.limits")

#: KEYS: the counters to check, then the counters to charge. ARGV: member, how many to
#: check; per counter checked: kind (r|s), amount, window, slot (ms); per counter
#: charged: amount, window, slot (ms). Charges are applied first, so a budget sees them.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[2])
local charged = 2 + n * 4
for i = n + 1, #KEYS do
  local base = charged + (i - n - 1) * 3
  local width = tonumber(ARGV[base + 3])
  redis.call('HINCRBY', KEYS[i], tostring(math.floor(now / width)), ARGV[base + 1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[base + 2]) + width)
end
for i = 1, n do
  local base = 2 + (i - 1) * 4
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
for i = 1, n do
  local base = 2 + (i - 1) * 4
  if ARGV[base + 1] == 'r' then
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[base + 3]))
  end
end
return {1, -1, 0}
"""


class RedisCounters:
    """Counters under ``prefix`` in the Redis the replicas share (``rollout.redis_url``).

    Charges are owed, not sent one by one: they travel with this replica's next
    admission (in the same script, applied before its checks) or, when none
    comes, after ``flush_seconds``. Under load that is one round trip per
    request instead of two; other replicas see a charge within ``flush_seconds``.
    """

    def __init__(
        self,
        url: str,
        prefix: str,
        options: Mapping[str, Any] | None = None,
        timeout: float = 0.25,
        display: str = "redis",
        flush_seconds: float = 0.05,
    ) -> None:
        # Short timeouts: every admission waits for this, and a dead Redis must be
        # noticed (and handled by limits.on_redis_error) in a bounded time.
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, **(options or {})
        )
        self._prefix = prefix
        self._script = self._redis.register_script(_SCRIPT)
        self._flush_seconds = flush_seconds
        self._owed: dict[str, tuple[Bucket, int]] = {}
        self._flusher: asyncio.Task[None] | None = None
        self.where = display

    async def admit(self, buckets: Sequence[Bucket], member: str) -> Verdict:
        if not buckets and not self._owed:
            return ALLOWED
        keys = [self._prefix + bucket.key for bucket in buckets]
        args: list[str | int] = [member, len(buckets)]
        for bucket in buckets:
            kind = "r" if bucket.kind == "requests" else "s"
            args += [kind, bucket.amount, bucket.window_ms, slot_ms(bucket.window_ms)]
        owed, self._owed = self._owed, {}
        self._add_charges(owed, keys, args)
        allowed, refused, wait_ms = await self._run(keys, args, len(owed))
        if int(allowed) == 1:
            return ALLOWED
        return Verdict(False, int(refused), max(0.001, int(wait_ms) / 1000))

    async def charge(self, charges: Sequence[tuple[Bucket, int]]) -> None:
        """Owe the charges; they go with the next admission or the next flush."""
        for bucket, amount in charges:
            if amount > 0:
                held = self._owed.get(bucket.key)
                self._owed[bucket.key] = (bucket, amount + (held[1] if held else 0))
        if self._owed and self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    async def flush(self) -> None:
        """Send what is owed now."""
        owed, self._owed = self._owed, {}
        if owed:
            keys: list[str] = []
            args: list[str | int] = ["", 0]
            self._add_charges(owed, keys, args)
            await self._run(keys, args, len(owed))

    async def aclose(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
        try:
            await self.flush()
        finally:
            await self._redis.aclose()

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(self._flush_seconds)
        finally:
            self._flusher = None
        with contextlib.suppress(Exception):  # _run has logged what was lost
            await self.flush()

    def _add_charges(
        self, owed: dict[str, tuple[Bucket, int]], keys: list[str], args: list[str | int]
    ) -> None:
        for bucket, amount in owed.values():
            keys.append(self._prefix + bucket.key)
            args += [amount, bucket.window_ms, slot_ms(bucket.window_ms)]

    async def _run(self, keys: list[str], args: list[str | int], charges: int) -> Any:
        try:
            return await self._script(keys=keys, args=args)
        except Exception:
            if charges:  # sent or not, unknown: dropped rather than counted twice
                log.error("limit counters: %d owed charge(s) lost (%s)", charges, self.where)
            raise
