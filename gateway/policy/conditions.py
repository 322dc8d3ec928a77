"""Conditions compiled to predicates, once, at load.

Each key of a condition mapping (``provider``, ``entities``, ``source`` …) is a
*leaf* test on one fact of ``fact_table.FACTS``, which says how it is tested
(``matchers``); a mapping holds when all its leaves hold, and ``any`` / ``all``
/ ``not`` combine mappings. The request path only calls the closures built
here, and a typo fails at load.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gateway.policy.fact_table import FACTS, Fact, by_field
from gateway.policy.matchers import CompileContext, Predicate, expand_entities
from gateway.policy.schema import Condition
from gateway.policy.source import KeyPath

__all__ = [
    "COMBINATORS",
    "CompileContext",
    "Predicate",
    "compile_condition",
    "compile_leaf",
    "expand_entities",
    "leaves",
]

COMBINATORS = ("any_of", "all_of", "not_")


def leaves(condition: Condition) -> Iterator[tuple[Fact, Any]]:
    """(fact, value as validated) for each leaf test the mapping sets, in table order."""
    for leaf in FACTS:
        value = getattr(condition, leaf.field)
        if value is not None:
            yield leaf, value


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
    for leaf, value in leaves(condition):
        tests.append(leaf.compile(value, ctx, (*path, leaf.key), negated))
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
    """One leaf test by its ``Condition`` field name; ``negated`` leaves name no entities."""
    return by_field(name).compile(value, ctx, path, negated)
