"""Conditions compiled to predicates, once, at load.

Each key of a condition mapping (``provider``, ``entities``, ``source`` …) is a
*leaf* test; a mapping holds when all its leaves hold, and ``any`` / ``all`` /
``not`` combine mappings. Globs become one regular expression, networks are
parsed, entity globs are expanded against the detector's entity list, so the
request path only calls closures and a typo fails at load.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from gateway.policy.facts import PolicyInput
from gateway.policy.schema import Condition, EntityThreshold
from gateway.policy.source import KeyPath, PolicyError

__all__ = [
    "COMBINATORS",
    "CompileContext",
    "Predicate",
    "compile_condition",
    "compile_leaf",
    "expand_entities",
    "leaves",
]

Predicate = Callable[[PolicyInput], bool]

COMBINATORS = ("any_of", "all_of", "not_")


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


def leaves(condition: Condition) -> Iterator[tuple[str, str, Any]]:
    """(field name, key as written, value) for each leaf test the mapping sets."""
    for name, info in type(condition).model_fields.items():
        if name in COMBINATORS:
            continue
        value = getattr(condition, name)
        if value is not None:
            yield name, info.alias or name, value


def compile_condition(
    condition: Condition, ctx: CompileContext, path: KeyPath, negated: bool = False
) -> Predicate:
    tests: list[Predicate] = []
    if condition.any_of is not None:
        parts = [
            compile_condition(c, ctx, (*path, "any", i), negated)
            for i, c in enumerate(condition.any_of)
        ]
        tests.append(_either(parts))
    if condition.all_of is not None:
        parts = [
            compile_condition(c, ctx, (*path, "all", i), negated)
            for i, c in enumerate(condition.all_of)
        ]
        tests.append(_both(parts))
    if condition.not_ is not None:
        inner = compile_condition(condition.not_, ctx, (*path, "not"), not negated)
        tests.append(lambda r: not inner(r))
    for name, key, value in leaves(condition):
        tests.append(compile_leaf(name, value, ctx, (*path, key), negated))
    return _both(tests)


# Two or three tests are the common case; chaining them directly avoids a
# generator per evaluation, which is most of the cost of a small rule.
def _both(tests: list[Predicate]) -> Predicate:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda r: a(r) and b(r)
    if len(tests) == 3:
        a, b, c = tests
        return lambda r: a(r) and b(r) and c(r)
    return lambda r: all(t(r) for t in tests)


def _either(tests: list[Predicate]) -> Predicate:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda r: a(r) or b(r)
    if len(tests) == 3:
        a, b, c = tests
        return lambda r: a(r) or b(r) or c(r)
    return lambda r: any(t(r) for t in tests)


def compile_leaf(
    name: str, value: Any, ctx: CompileContext, path: KeyPath, negated: bool = False
) -> Predicate:
    """One leaf test; ``negated`` leaves do not name entities for editing."""
    if name == "entities":
        return _entities(value, ctx, path, negated)
    if name == "endpoint_ip_country":
        ctx.uses_endpoint_country = True
        countries = frozenset(value)
        return lambda r: any(c in countries for c in r.endpoint_countries)
    builder = _LEAVES[name]
    return builder(value, ctx, path)


def _one_of(attribute: str) -> Callable[..., Predicate]:
    def build(value: list[str], ctx: CompileContext, path: KeyPath) -> Predicate:
        wanted = frozenset(value)
        get = attrgetter(attribute)
        return lambda r: get(r) in wanted

    return build


def _globs(value: list[str], *, case_sensitive: bool) -> re.Pattern[str]:
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in value), flags)


def _model(value: list[str], ctx: CompileContext, path: KeyPath) -> Predicate:
    pattern = _globs(value, case_sensitive=True)
    return lambda r: r.model is not None and pattern.match(r.model) is not None


def _host(value: list[str], ctx: CompileContext, path: KeyPath) -> Predicate:
    pattern = _globs(value, case_sensitive=False)
    return lambda r: r.host is not None and pattern.match(r.host) is not None


def _user(value: list[str], ctx: CompileContext, path: KeyPath) -> Predicate:
    pattern = _globs(value, case_sensitive=False)
    return lambda r: r.subject.user is not None and pattern.match(r.subject.user) is not None


def _client_app(value: list[str], ctx: CompileContext, path: KeyPath) -> Predicate:
    pattern = _globs(value, case_sensitive=False)
    return lambda r: (
        r.subject.application is not None and pattern.match(r.subject.application) is not None
    )


def _groups(value: list[str], ctx: CompileContext, path: KeyPath) -> Predicate:
    if ctx.known_groups is not None:
        for index, group in enumerate(value):
            if group not in ctx.known_groups:
                raise PolicyError(
                    f"group '{group}' is not in the policy's 'groups' list "
                    f"({', '.join(sorted(ctx.known_groups)) or 'empty'})",
                    (*path, index),
                )
    wanted = frozenset(value)
    return lambda r: any(g in wanted for g in r.subject.groups)


def _source(value: list[str], ctx: CompileContext, path: KeyPath) -> Predicate:
    networks = tuple(ipaddress.ip_network(v, strict=False) for v in value)

    def inside(r: PolicyInput) -> bool:
        address = r.subject.address
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    return inside


def _anonymous(value: bool, ctx: CompileContext, path: KeyPath) -> Predicate:
    return lambda r: r.subject.anonymous is value


def _regions(value: list[str], ctx: CompileContext, path: KeyPath) -> Predicate:
    wanted = frozenset(value)
    return lambda r: any(region in wanted for region in r.provider_regions)


def _prompt_chars(value: Any, ctx: CompileContext, path: KeyPath) -> Predicate:
    low = value.min if value.min is not None else 0
    high = value.max if value.max is not None else float("inf")
    return lambda r: low <= r.prompt_chars <= high


def _kinds(attribute: str) -> Callable[..., Predicate]:
    def build(value: bool | list[str], ctx: CompileContext, path: KeyPath) -> Predicate:
        get = attrgetter(attribute)
        if value is True:
            return lambda r: bool(get(r))
        if value is False:
            return lambda r: not get(r)
        wanted = frozenset(value)
        return lambda r: any(kind in wanted for kind in get(r))

    return build


_LEAVES: dict[str, Callable[..., Predicate]] = {
    "user": _user,
    "groups": _groups,
    "source": _source,
    "client_app": _client_app,
    "anonymous": _anonymous,
    "provider": _one_of("provider"),
    "provider_jurisdiction": _one_of("provider_jurisdiction"),
    "provider_parent_jurisdiction": _one_of("provider_parent_jurisdiction"),
    "provider_regions": _regions,
    "host": _host,
    "api": _one_of("api"),
    "model": _model,
    "prompt_chars": _prompt_chars,
    "attachments": _kinds("attachments"),
    "server_references": _kinds("server_references"),
}


def _entities(
    value: list[str] | dict[str, EntityThreshold],
    ctx: CompileContext,
    path: KeyPath,
    negated: bool,
) -> Predicate:
    if isinstance(value, list):
        wanted = expand_entities(value, ctx.known_entities, path)
        ctx.referenced |= wanted
        if not negated:
            ctx.named |= wanted
        return lambda r: _any_found(r.entity_counts, wanted)
    checks: list[tuple[frozenset[str], int, float | None]] = []
    for pattern, threshold in value.items():
        types = expand_entities([pattern], ctx.known_entities, (*path, pattern))
        ctx.referenced |= types
        if not negated:
            ctx.named |= types
        if threshold.min_score is not None:
            ctx.uses_scores = True
        checks.append((types, threshold.min_count, threshold.min_score))

    def enough(r: PolicyInput) -> bool:
        counts, scores = r.entity_counts, r.entity_scores
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
    if len(counts) < len(wanted):
        return any(count and entity in wanted for entity, count in counts.items())
    return any(counts.get(entity) for entity in wanted)


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
