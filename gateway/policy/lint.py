"""Static checks beyond the schema: references, rules that never match or never matter.

Conditions are brought to a disjunction of conjunctions of leaf tests (``not``
subtrees stay opaque), then compared leaf by leaf, with the provider catalog's
facts (``provider: [deepseek]`` implies ``provider.jurisdiction: [CN]``). The
analysis is sound but incomplete: what it reports is true; it cannot find
every dead rule.
"""

from __future__ import annotations

import datetime
import fnmatch
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any

from gateway.policy.conditions import expand_entities, leaves
from gateway.policy.evaluate import CompiledPolicy, CompiledRule
from gateway.policy.fact_table import FACTS, Fact, by_field
from gateway.policy.schema import EDIT_ACTIONS, Condition

__all__ = ["KNOWN_APIS", "Finding", "lint_policy"]

#: APIs the gateway routes today, and those the issue names for dialects to come
KNOWN_APIS = frozenset(
    {
        "chat",
        "responses",
        "messages",
        "embeddings",
        "generate_content",
        "models",
        "files",
        "batches",
        "images",
        "audio",
        "moderations",
    }
)
_MAX_TERMS = 256

Leaf = tuple[str, Any]
Conjunction = frozenset[Leaf]


@dataclass(frozen=True, slots=True)
class Finding:
    level: str  # error | warning | note
    path: tuple[str | int, ...]
    message: str


@dataclass(frozen=True, slots=True)
class _Facts:
    jurisdiction: Mapping[str, str]
    parent: Mapping[str, str | None]


def lint_policy(
    policy: CompiledPolicy,
    providers: Mapping[str, Any],
    today: datetime.date,
    monitor_days: int = 30,
) -> list[Finding]:
    """``providers``: catalog entries by id (with ``jurisdiction``, ``parent_jurisdiction``)."""
    facts = _Facts(
        {pid: e.jurisdiction for pid, e in providers.items()},
        {pid: e.parent_jurisdiction for pid, e in providers.items()},
    )
    found: list[Finding] = []
    normal: dict[str, tuple[list[Conjunction] | None, list[Conjunction] | None]] = {}
    for index, compiled in enumerate(policy.rules):
        rule, path = compiled.rule, ("rules", index)
        found += _references(rule.when, (*path, "when"), providers)
        if rule.unless is not None:
            found += _references(rule.unless, (*path, "unless"), providers)
        when = _dnf(rule.when, policy.known_entities)
        unless = _dnf(rule.unless, policy.known_entities) if rule.unless else None
        normal[rule.id] = (when, unless)
        if when is not None and all(_unsatisfiable(c, facts) for c in when):
            reasons = "; ".join(filter(None, (_unsatisfiable(c, facts) for c in when)))
            found.append(Finding("warning", (*path, "when"), f"can never match: {reasons}"))
        elif when is not None and unless is not None and _implies(when, unless, facts):
            found.append(
                Finding(
                    "warning",
                    (*path, "unless"),
                    "can never match: 'unless' holds whenever 'when' does",
                )
            )
        if rule.mode == "monitor":
            if rule.since is None:
                found.append(
                    Finding(
                        "note",
                        (*path, "mode"),
                        "monitor rule without 'since:' date; its age cannot be checked",
                    )
                )
            elif (today - rule.since).days > monitor_days:
                found.append(
                    Finding(
                        "warning",
                        (*path, "since"),
                        f"monitor rule since {rule.since} ({(today - rule.since).days} days, more "
                        f"than {monitor_days}): enforce it or remove it",
                    )
                )
        language = policy.document.default_language
        if rule.message and language not in rule.message:
            found.append(
                Finding(
                    "note",
                    (*path, "message"),
                    f"no '{language}' text (the default language): callers who state no "
                    "language get another language's text",
                )
            )
        if (
            rule.action == "allow"
            and rule.mode == "enforce"
            and policy.document.default_action == "allow"
        ):
            found.append(
                Finding(
                    "warning",
                    (*path, "action"),
                    "has no effect: allow rules never "
                    "override blocks or edits, and default_action is already allow",
                )
            )
    for index, later in enumerate(policy.rules):
        for other in policy.rules:
            if other is later:
                continue
            reason = _shadowed(later, other, normal, facts)
            if reason:
                found.append(Finding("warning", ("rules", index), reason))
                break
    if policy.document.groups is None and any(
        name == "groups" for compiled in policy.rules for name in _leaf_names(compiled)
    ):
        found.append(
            Finding(
                "note",
                ("groups",),
                "no 'groups:' list, so group names in conditions are not checked for typos",
            )
        )
    return found


def _leaf_names(compiled: CompiledRule) -> Iterable[str]:
    for condition in (compiled.rule.when, compiled.rule.unless):
        yield from _all_leaf_names(condition)


def _all_leaf_names(condition: Condition | None) -> Iterable[str]:
    if condition is None:
        return
    for leaf, _ in leaves(condition):
        yield leaf.field
    for part in (*(condition.any_of or ()), *(condition.all_of or ()), condition.not_):
        yield from _all_leaf_names(part)


def _references(
    condition: Condition, path: tuple[str | int, ...], providers: Mapping[str, Any]
) -> list[Finding]:
    found = []
    for leaf, value in leaves(condition):
        name, key = leaf.field, leaf.key
        if name == "provider":
            for i, pid in enumerate(value):
                if pid not in providers:
                    found.append(
                        Finding(
                            "error",
                            (*path, key, i),
                            f"'{pid}' is not a provider "
                            f"in the catalog (known: {', '.join(sorted(providers))})",
                        )
                    )
        elif name == "api":
            for i, api in enumerate(value):
                if api not in KNOWN_APIS:
                    found.append(
                        Finding(
                            "warning",
                            (*path, key, i),
                            f"'{api}' is not an API Haetae knows ({', '.join(sorted(KNOWN_APIS))})",
                        )
                    )
    for label, parts in (("any", condition.any_of), ("all", condition.all_of)):
        for i, part in enumerate(parts or ()):
            found += _references(part, (*path, label, i), providers)
    if condition.not_ is not None:
        found += _references(condition.not_, (*path, "not"), providers)
    return found


def _dnf(condition: Condition | None, known: frozenset[str]) -> list[Conjunction] | None:
    """Disjunctive normal form, or None when it would be too large to compare."""
    if condition is None:
        return None
    factors: list[list[Conjunction]] = []
    for leaf, value in leaves(condition):
        factors.append([frozenset({_leaf(leaf, value, known)})])
    if condition.any_of is not None:
        union: list[Conjunction] = []
        for part in condition.any_of:
            sub = _dnf(part, known)
            if sub is None:
                return None
            union += sub
        factors.append(union)
    for part in condition.all_of or ():
        sub = _dnf(part, known)
        if sub is None:
            return None
        factors.append(sub)
    if condition.not_ is not None:
        opaque = condition.not_.model_dump_json(by_alias=True, exclude_none=True)
        factors.append([frozenset({("not", opaque)})])
    terms: list[Conjunction] = [frozenset()]
    for factor in factors:
        if len(terms) * len(factor) > _MAX_TERMS:
            return None
        terms = [a | b for a, b in product(terms, factor)]
    return terms


def _leaf(leaf: Fact, value: Any, known: frozenset[str]) -> Leaf:
    name = leaf.field
    if leaf.kind == "entities":
        if isinstance(value, list):
            return name, expand_entities(value, known, ())
        # counts and scores are compared only as written
        return f"{name}_counted", tuple(
            sorted((k, v.min_count, v.min_score) for k, v in value.items())
        )
    if leaf.kind == "range":
        return name, (value.min or 0, value.max if value.max is not None else float("inf"))
    if isinstance(value, list):
        return name, frozenset(value)
    return name, value


_KIND = {f.field: f.kind for f in FACTS}


def _unsatisfiable(conj: Conjunction, facts: _Facts) -> str | None:
    by_name: dict[str, list[Any]] = {}
    for name, value in conj:
        by_name.setdefault(name, []).append(value)
    for name, values in by_name.items():
        kind = _KIND.get(name)
        if kind == "value" and len(values) > 1 and not frozenset.intersection(*values):
            return f"'{by_field(name).key}' would need to be in disjoint lists at once"
        if kind == "flag" and len(set(values)) > 1:
            return f"'{by_field(name).key}' would need to be true and false at once"
        if kind == "range" and max(r[0] for r in values) > min(r[1] for r in values):
            return f"the '{by_field(name).key}' ranges do not overlap"
        if kind == "kinds" and False in values and any(v is not False for v in values):
            return f"'{by_field(name).key}' would need to be absent and present at once"
    providers = frozenset.intersection(*by_name["provider"]) if "provider" in by_name else None
    if providers and all(p in facts.jurisdiction for p in providers):
        for name, table in (
            ("provider_jurisdiction", facts.jurisdiction),
            ("provider_parent_jurisdiction", facts.parent),
        ):
            for countries in by_name.get(name, []):
                if not any(table[p] in countries for p in providers):
                    return (
                        f"no provider in {sorted(providers)} has a {name.replace('_', '.', 1)}"
                        f" in {sorted(countries)}"
                    )
    if True in by_name.get("anonymous", []) and "user" in by_name:
        return "anonymous callers have no user"
    return None


def _implies(narrow: list[Conjunction], wide: list[Conjunction], facts: _Facts) -> bool:
    """Whenever ``narrow`` holds, ``wide`` holds (each term implies some term of ``wide``)."""
    return all(any(_conj_implies(a, b, facts) for b in wide) for a in narrow)


def _conj_implies(a: Conjunction, b: Conjunction, facts: _Facts) -> bool:
    return all(any(_leaf_implies(x, y, facts) for x in a) for y in b)


def _leaf_implies(x: Leaf, y: Leaf, facts: _Facts) -> bool:
    (xn, xv), (yn, yv) = x, y
    if xn == "provider" and yn in ("provider_jurisdiction", "provider_parent_jurisdiction"):
        table = facts.jurisdiction if yn == "provider_jurisdiction" else facts.parent
        return all(p in table and table[p] in yv for p in xv)
    if xn != yn:
        return False
    kind = _KIND.get(xn)
    if kind in ("value", "values", "entities"):
        return bool(xv <= yv)
    if kind == "globs":
        return all(g in yv or any(fnmatch.fnmatchcase(g, w) for w in yv) for g in xv)
    if kind == "networks":
        nets = [ipaddress.ip_network(v, strict=False) for v in yv]
        return all(
            any(n.version == w.version and n.subnet_of(w) for w in nets)  # type: ignore[arg-type]
            for n in (ipaddress.ip_network(v, strict=False) for v in xv)
        )
    if kind == "range":
        return bool(yv[0] <= xv[0] and xv[1] <= yv[1])
    if kind == "kinds":
        if yv is True:
            return xv is True or isinstance(xv, frozenset)
        if isinstance(xv, frozenset) and isinstance(yv, frozenset):
            return xv <= yv
    return bool(xv == yv)


def _shadowed(
    rule: CompiledRule,
    other: CompiledRule,
    normal: Mapping[str, tuple[list[Conjunction] | None, list[Conjunction] | None]],
    facts: _Facts,
) -> str | None:
    """Why ``rule`` never changes a decision because of ``other``, or None."""
    if rule.rule.mode == "monitor" or other.rule.mode == "monitor" or other.rule.unless:
        return None
    # a rule judging answers (or requests) only shadows one judging nothing else
    if (rule.rule.judges_requests and not other.rule.judges_requests) or (
        rule.rule.judges_answers and not other.rule.judges_answers
    ):
        return None
    when, _ = normal[rule.id]
    other_when, _ = normal[other.id]
    if when is None or other_when is None or not _implies(when, other_when, facts):
        return None
    action, other_action = rule.rule.action, other.rule.action
    if other_action == "block" and action != "block":
        return f"shadowed by '{other.id}': whenever it matches, '{other.id}' blocks"
    if (
        action in EDIT_ACTIONS
        and other_action in EDIT_ACTIONS
        and EDIT_ACTIONS.index(other_action) < EDIT_ACTIONS.index(action)
        and rule.entities <= other.entities
    ):
        return (
            f"shadowed by '{other.id}': whenever it matches, '{other.id}' applies the "
            f"more protective '{other_action}' to the same entity types"
        )
    return None
