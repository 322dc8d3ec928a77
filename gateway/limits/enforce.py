"""The limits stage: admit a request under the policy's limits, charge its answer after.

It runs after Decide, so a request the policy blocks is never counted. Each
limit that applies gives one counter per caller key (``policy/limits.py``);
``Counters.admit`` checks them all at once. Over a limit the request is
refused with 429 in the provider's error format, a ``retry-after`` header and
the limit named in the caller's language, and recorded with decision
``limited``. Token and spend counters are charged when the answer ends, with
the usage the provider reported (streamed answers included) and its price.

If the counters cannot be reached, ``limits.on_redis_error`` decides:
``fail_closed`` (default) refuses with 503, ``fail_open`` lets the request go
unchecked; either way the record says so (``details.limits.unchecked``).
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING, Literal

from gateway.errors import LimitsUnavailable, RateLimited
from gateway.policy.fact_table import read_input
from gateway.policy.limits import Bucket

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.limits.counters import Counters
    from gateway.limits.prices import Cost
    from gateway.policy.limits import CompiledLimit

__all__ = ["Limits", "OnError", "limit_message", "used_tokens"]

log = logging.getLogger("haetae.limits")

OnError = Literal["fail_closed", "fail_open"]

_UNITS = {
    "en": {"requests": "requests", "tokens": "tokens", "spend": "USD"},
    "ko": {"requests": "건의 요청", "tokens": "토큰", "spend": "USD"},
}
_MESSAGE = {
    "en": (
        "Limit '{id}' of Haetae policy '{policy}' reached: {amount} {unit} per {window}. "
        "Try again in {retry} s. Request id: {request}"
    ),
    "ko": (
        "Haetae 정책 '{policy}'의 한도 '{id}'에 도달했습니다: {window}당 {amount} {unit}. "
        "{retry}초 후 다시 시도하세요. 요청 ID: {request}"
    ),
}
_UNAVAILABLE = {
    "en": "Haetae cannot check usage limits right now, so the request was not forwarded "
    "(fail closed). Try again shortly. Request id: {request}",
    "ko": "지금은 사용 한도를 확인할 수 없어 요청을 전달하지 않았습니다. "
    "잠시 후 다시 시도하세요. 요청 ID: {request}",
}
_CODES = {
    "requests": "rate_limited",
    "tokens": "token_budget_exceeded",
    "spend": "spend_budget_exceeded",
}


def used_tokens(usage: dict[str, int] | None) -> int:
    """Tokens an answer used: the provider's total, else input, cached input and output.

    Only Anthropic reports no total, and it counts cache reads beside the input.
    """
    if not usage:
        return 0
    if "total_tokens" in usage:
        return usage["total_tokens"]
    return sum(
        usage.get(name, 0) for name in ("input_tokens", "cached_input_tokens", "output_tokens")
    )


def limit_message(exchange: Exchange, limit: CompiledLimit, retry_after: int) -> str:
    """The refusal's text: the limit's own message, else which limit, how much, when."""
    language = exchange.language()
    spec = limit.limit
    own = spec.message.get(language) or spec.message.get(exchange.policy.document.default_language)
    amount = spec.spend if spec.spend is not None else spec.tokens or spec.requests
    text = _MESSAGE[language].format(
        id=spec.id,
        policy=exchange.policy.name,
        amount=f"{amount:g}" if isinstance(amount, float) else amount,
        unit=_UNITS[language][spec.kind],
        window=spec.window,
        retry=retry_after,
        request=exchange.request_id,
    )
    return f"{own} ({text})" if own else text


class Limits:
    """Admission under the policy's limits; ``settle`` charges an answer's usage."""

    name = "limits"

    def __init__(self, counters: Counters, on_error: OnError = "fail_closed") -> None:
        self.counters = counters
        self._on_error = on_error
        self._pending: set[asyncio.Task[None]] = set()

    async def __call__(self, exchange: Exchange) -> None:
        limits = exchange.policy.limits
        if not limits:
            return
        assert exchange.provider is not None
        request = exchange.policy_input or read_input(exchange, exchange.provider)
        buckets = [bucket for limit in limits for bucket in limit.buckets(request)]
        if not buckets:
            return
        try:
            verdict = await self.counters.admit(buckets, exchange.request_id)
        except Exception as exc:  # Redis down, timed out, refused the script
            kind = type(exc).__name__
            log.error("limit counters unreachable (%s): %s", self.counters.where, kind)
            exchange.limit_note = {"unchecked": kind, "on_error": self._on_error}
            if self._on_error == "fail_closed":
                message = _UNAVAILABLE[exchange.language()]
                raise LimitsUnavailable(message.format(request=exchange.request_id)) from None
            exchange.limit_buckets = tuple(b for b in buckets if b.kind != "requests")
            return
        if not verdict.allowed:
            bucket = buckets[verdict.refused]
            limit = next(limit for limit in limits if limit.id == bucket.limit_id)
            retry_after = max(1, math.ceil(verdict.retry_after))
            exchange.notice = None  # nothing was sent, so nothing was edited on its way
            exchange.limit_note = {
                "limit": bucket.limit_id,
                "kind": bucket.kind,
                "window": limit.limit.window,
                "retry_after": retry_after,
            }
            raise RateLimited(
                limit_message(exchange, limit, retry_after),
                rule_ids=[bucket.limit_id],
                retry_after=retry_after,
                code=_CODES[bucket.kind],
            )
        exchange.limit_buckets = tuple(b for b in buckets if b.kind != "requests")

    def settle(self, exchange: Exchange, usage: dict[str, int] | None, cost: Cost | None) -> None:
        """Charge the answer's tokens and cost to the request's budgets, in the background."""
        charges: list[tuple[Bucket, int]] = []
        tokens = used_tokens(usage)
        micros = cost.micros if cost is not None else 0
        for bucket in exchange.limit_buckets:
            amount = tokens if bucket.kind == "tokens" else micros
            if amount > 0:
                charges.append((bucket, amount))
        if not charges:
            return
        task = asyncio.get_running_loop().create_task(self._charge(charges))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _charge(self, charges: list[tuple[Bucket, int]]) -> None:
        try:
            await self.counters.charge(charges)
        except Exception as exc:  # the answer has gone: what cannot be charged is logged
            log.error(
                "limit counters: %d charge(s) lost (%s): %s",
                len(charges),
                self.counters.where,
                type(exc).__name__,
            )

    async def drain(self) -> None:
        """Wait for charges still on their way (at shutdown)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def aclose(self) -> None:
        await self.drain()
        await self.counters.aclose()
