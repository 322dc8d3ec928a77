"""How a condition on a fact is tested: one builder per kind of test.

A policy fact (``gateway.policy.fact_table``) names the kind of its test; the
builder here turns the value written in the policy into a predicate over
``PolicyInput``, once, at load. Globs become one regular expression, networks
are parsed and entity globs are expanded against the detector's entity list,
so the request path only calls closures and a typo fails at load.

The value checks (``countries``, ``networks`` …) run while the file is
validated, so their errors carry the key's file and line like any schema
error.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.policy.facts import PolicyInput
from gateway.policy.source import KeyPath, PolicyError
from gateway.providers.countries import country_problem

__all__ = [
    "MATCHERS",
    "CompileContext",
    "EntityThreshold",
    "FactKind",
    "Matcher",
    "Predicate",
    "Range",
    "check_countries",
    "check_entity_names",
    "check_ip_countries",
    "check_networks",
    "declared_groups",
    "expand_entities",
    "globs",
    "resolved_countries",
]

Predicate = Callable[[PolicyInput], bool]

#: What a condition's value means, which is also what the lint reasons with:
#:
#: - ``value``: the request has one value; the test lists the accepted ones
#:   (two such tests on disjoint lists can never both hold);
#: - ``values``: the request has several; the test holds when one is listed;
#: - ``globs``: one value, matched against glob patterns;
#: - ``networks``: one address, inside one of the listed networks;
#: - ``flag``: true or false;
#: - ``range``: a number within ``min``/``max``;
#: - ``kinds``: ``true`` (any), ``false`` (none) or the kinds of which one must be present;
#: - ``entities``: counted findings of entity types (globs, counts and scores).
FactKind = Literal["value", "values", "globs", "networks", "flag", "range", "kinds", "entities"]

#: Builds the predicate for one condition: (PolicyInput field, value as validated,
#: compile context, key path for errors, whether the test sits under ``not``/``unless``).
Matcher = Callable[[str, Any, "CompileContext", KeyPath, bool], Predicate]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EntityThreshold(_Value):
    """How many findings of a type (at what score) make an ``entities`` test hold."""

    min_count: int = Field(default=1, ge=1)
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)


class Range(_Value):
    """An inclusive range; either end may be left open."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give 'min', 'max' or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min}) is above 'max' ({self.max}): nothing fits")
        return self


@dataclass(slots=True)
class CompileContext:
    known_entities: frozenset[str]
    known_groups: frozenset[str] | None = None  # None: any group name is accepted
    #: entity types named by positive ``entities`` tests (what an edit rule edits)
    named: set[str] = field(default_factory=set)
    #: every entity type any test refers to, negated or not: what must be scanned
    referenced: set[str] = field(default_factory=set)
    uses_scores: bool = False
    uses_endpoint_country: bool = False


# -- value checks, run by the schema ------------------------------------------------

_ENTITY = re.compile(r"^[A-Z*?][A-Z0-9_*?]*$")


def check_countries(values: list[str]) -> list[str]:
    """ISO 3166-1 alpha-2 codes as written, in capitals: ``KOR`` or ``kr`` never match
    a request (the catalog's codes are ``KR``), so they are refused, not guessed at."""
    for value in values:
        if (problem := country_problem(value)) is not None:
            raise ValueError(problem)
    return values


#: what ``endpoint.ip_country`` may name besides a country
_ADDRESS_STATES = ("unresolved", "unknown", "private")


def check_ip_countries(values: list[str]) -> list[str]:
    for value in values:
        if value not in _ADDRESS_STATES and (problem := country_problem(value)) is not None:
            raise ValueError(f"{problem}; or one of {', '.join(_ADDRESS_STATES)}")
    return values


def check_networks(values: list[str]) -> list[str]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"'{value}' is not an address or network (CIDR)") from None
    return values


def check_entity_names(
    value: list[str] | dict[str, EntityThreshold],
) -> list[str] | dict[str, EntityThreshold]:
    for name in value:
        if not _ENTITY.match(name):
            raise ValueError(f"'{name}' is not an entity type (upper case, globs allowed)")
    return value


# -- matchers -----------------------------------------------------------------------


def _at(attr: str) -> int:
    """Where a PolicyInput field sits: predicates index the tuple, the cheapest read."""
    return PolicyInput._fields.index(attr)


def _value(attr: str, value: list[str], ctx: CompileContext, path: KeyPath, neg: bool) -> Predicate:
    wanted, i = frozenset(value), _at(attr)
    return lambda r: r[i] in wanted


def _values(
    attr: str, value: list[str], ctx: CompileContext, path: KeyPath, neg: bool
) -> Predicate:
    wanted, i = frozenset(value), _at(attr)

    def holds(r: Any) -> bool:
        return any(v in wanted for v in r[i])

    return holds


def globs(*, case_sensitive: bool) -> Matcher:
    """Glob patterns (``gpt-4o*``, ``*@corp.example``) joined into one expression."""
    flags = 0 if case_sensitive else re.IGNORECASE

    def build(
        attr: str, value: list[str], ctx: CompileContext, path: KeyPath, neg: bool
    ) -> Predicate:
        match = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in value), flags).match
        i = _at(attr)

        def holds(r: Any) -> bool:
            return r[i] is not None and match(r[i]) is not None

        return holds

    return build


def _networks(
    attr: str, value: list[str], ctx: CompileContext, path: KeyPath, neg: bool
) -> Predicate:
    networks = tuple(ipaddress.ip_network(v, strict=False) for v in value)
    i = _at(attr)

    def inside(r: Any) -> bool:
        address = r[i]
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    return inside


def _flag(attr: str, value: bool, ctx: CompileContext, path: KeyPath, neg: bool) -> Predicate:
    i = _at(attr)
    return lambda r: r[i] is value


def _range(attr: str, value: Range, ctx: CompileContext, path: KeyPath, neg: bool) -> Predicate:
    low = value.min if value.min is not None else 0
    high = value.max if value.max is not None else float("inf")
    i = _at(attr)

    def holds(r: Any) -> bool:
        return bool(low <= r[i] <= high)

    return holds


def _kinds(
    attr: str, value: bool | list[str], ctx: CompileContext, path: KeyPath, neg: bool
) -> Predicate:
    i = _at(attr)
    if value is True:
        return lambda r: bool(r[i])
    if value is False:
        return lambda r: not r[i]
    wanted = frozenset(value)

    def holds(r: Any) -> bool:
        return any(kind in wanted for kind in r[i])

    return holds


def declared_groups(
    attr: str, value: list[str], ctx: CompileContext, path: KeyPath, neg: bool
) -> Predicate:
    """``values``, and each name must be in the policy's ``groups:`` list when it has one."""
    if ctx.known_groups is not None:
        for index, group in enumerate(value):
            if group not in ctx.known_groups:
                raise PolicyError(
                    f"group '{group}' is not in the policy's 'groups' list "
                    f"({', '.join(sorted(ctx.known_groups)) or 'empty'})",
                    (*path, index),
                )
    return _values(attr, value, ctx, path, neg)


def resolved_countries(
    attr: str, value: list[str], ctx: CompileContext, path: KeyPath, neg: bool
) -> Predicate:
    """``values`` that cost a DNS lookup: the policy says it needs them resolved."""
    ctx.uses_endpoint_country = True
    return _values(attr, value, ctx, path, neg)


def _entities(
    attr: str,
    value: list[str] | dict[str, EntityThreshold],
    ctx: CompileContext,
    path: KeyPath,
    negated: bool,
) -> Predicate:
    # Negated tests (under ``not`` / ``unless``) make types scanned, never edited.
    i = _at(attr)
    if isinstance(value, list):
        wanted = expand_entities(value, ctx.known_entities, path)
        ctx.referenced |= wanted
        if not negated:
            ctx.named |= wanted

        def found(r: Any) -> bool:
            return _any_found(r[i], wanted)

        return found
    checks: list[tuple[frozenset[str], int, float | None]] = []
    for pattern, threshold in value.items():
        types = expand_entities([pattern], ctx.known_entities, (*path, pattern))
        ctx.referenced |= types
        if not negated:
            ctx.named |= types
        if threshold.min_score is not None:
            ctx.uses_scores = True
        checks.append((types, threshold.min_count, threshold.min_score))

    def enough(r: Any) -> bool:
        counts, scores = r[i], r.entity_scores
        if not counts:
            return False
        for types, min_count, min_score in checks:
            found = 0
            for entity in types:
                count = counts.get(entity, 0)
                if not count:
                    continue
                if min_score is not None and entity in scores:
                    count = sum(1 for s in scores[entity] if s >= min_score)
                found += count
            if found >= min_count:
                return True
        return False

    return enough


def _any_found(counts: Mapping[str, int], wanted: frozenset[str]) -> bool:
    # A request names a few types, a rule may name fifty (SECRET_*): walk the shorter side.
    if not counts:  # most requests: nothing found
        return False
    if len(counts) < len(wanted):
        return any(count and entity in wanted for entity, count in counts.items())
    return any(counts.get(entity) for entity in wanted)


#: The usual test for each kind; a fact may name another (``declared_groups``, ``globs``).
MATCHERS: Mapping[FactKind, Matcher] = {
    "value": _value,
    "values": _values,
    "globs": globs(case_sensitive=False),
    "networks": _networks,
    "flag": _flag,
    "range": _range,
    "kinds": _kinds,
    "entities": _entities,
}


def expand_entities(
    patterns: Collection[str], known: frozenset[str], path: KeyPath
) -> frozenset[str]:
    """Entity globs → the known types they name; one that names none is an error."""
    expanded: set[str] = set()
    for index, pattern in enumerate(patterns):
        matched = {name for name in known if fnmatch.fnmatchcase(name, pattern)}
        if not matched:
            at = path if path and path[-1] == pattern else (*path, index)
            raise PolicyError(
                f"'{pattern}' is not an entity the detector knows "
                f"(known: {', '.join(sorted(known))})",
                at,
            )
        expanded |= matched
    return frozenset(expanded)
