"""A policy's limits compiled: which requests each counts, and the counters it keeps.

A limit (``schema.Limit``) counts requests, tokens or spend over a sliding
window, per caller fact (``per``). One request touches one counter per limit
that applies to it, or several when it is in several groups (``per: group``):
the request must be under every one. Counter keys are a digest of
the limit and the caller's values, so the shared store holds no user name and
keys stay short whatever the caller sends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from itertools import product
from typing import Literal

from gateway.policy.conditions import CompileContext, Predicate, compile_condition
from gateway.policy.facts import PolicyInput
from gateway.policy.schema import Limit

__all__ = [
    "MICROS",
    "Bucket",
    "CompiledLimit",
    "LimitKind",
    "compile_limits",
]

LimitKind = Literal["requests", "tokens", "spend"]
#: spend is counted in millionths of the currency unit: integers add exactly in Redis
MICROS = 1_000_000
#: the value a counter is kept under when the caller has none of a fact (anonymous,
#: no groups, no client application)
_NONE = "\x00none"


@dataclass(frozen=True, slots=True)
class Bucket:
    """One counter a request is checked against (and, for tokens and spend, charged to)."""

    limit_id: str
    key: str  # a digest of the limit and the caller's values; the store adds its prefix
    kind: LimitKind
    amount: int  # requests, tokens or micro-units of the currency
    window_ms: int


@dataclass(frozen=True, slots=True)
class CompiledLimit:
    limit: Limit
    matches: Predicate | None  # None: every request

    @property
    def id(self) -> str:
        return self.limit.id

    def buckets(self, request: PolicyInput) -> Iterator[Bucket]:
        """The counters this request is counted in (none if ``when`` does not hold)."""
        if self.matches is not None and not self.matches(request):
            return
        limit = self.limit
        kind: LimitKind = limit.kind  # type: ignore[assignment]
        amount = (
            round(limit.spend * MICROS)
            if limit.spend is not None
            else int(limit.tokens or limit.requests or 0)
        )
        window_ms = limit.seconds * 1000
        head = f"{limit.id}\x1f{kind}\x1f{limit.window}"
        for values in product(*(_values(request, name) for name in limit.dimensions)):
            digest = hashlib.blake2b("\x1f".join((head, *values)).encode(), digest_size=12)
            yield Bucket(limit.id, f"{limit.id}:{digest.hexdigest()}", kind, amount, window_ms)


def _values(request: PolicyInput, dimension: str) -> tuple[str, ...]:
    """The caller's values for one ``per`` dimension: several only for groups."""
    if dimension == "group":
        return request.groups or (_NONE,)
    value = {
        "user": request.user,
        "client_app": request.client_app,
        "source": request.source,
        "provider": request.provider,
        "model": request.model,
    }[dimension]
    return (value or _NONE,)


def compile_limits(
    limits: list[Limit], known_entities: Collection[str], groups: frozenset[str] | None
) -> tuple[tuple[CompiledLimit, ...], set[str]]:
    """The compiled limits, and the entity types their ``when`` refers to (to be scanned)."""
    compiled: list[CompiledLimit] = []
    referenced: set[str] = set()
    for index, limit in enumerate(limits):
        matches = None
        if limit.when is not None:
            ctx = CompileContext(frozenset(known_entities), groups)
            matches = compile_condition(limit.when, ctx, ("limits", index, "when"))
            referenced |= ctx.referenced
        compiled.append(CompiledLimit(limit, matches))
    return tuple(compiled), referenced
