"""Which rules matched a request and why, test by test (``haetae policy explain``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.policy.conditions import CompileContext, leaves
from gateway.policy.evaluate import CompiledPolicy, Decision, Judged
from gateway.policy.facts import PolicyInput
from gateway.policy.schema import Condition

__all__ = ["explain"]


def explain(
    policy: CompiledPolicy, request: PolicyInput, direction: Judged = "request"
) -> tuple[Decision, str]:
    """The decision, and a report of every rule: matched or not, and each test's outcome.

    ``direction`` says what is judged (an answer: the request's facts with the
    answer's entities); a rule of the other direction is listed as not judging it.
    """
    known = policy.known_entities
    decision = policy.decide(request, direction)
    lines = [
        f"policy {policy.name} (version {policy.version})"
        + ("  judging the answer" if direction == "response" else ""),
        f"decision: {decision.action}"
        + (
            f"  rules: {', '.join(decision.rule_ids)}"
            if decision.rule_ids
            else "  (no rule: default)"
        )
        + (f"  edits: {_show(dict(decision.edits))}" if decision.edits else "")
        + (
            f"  monitored: {', '.join(decision.monitored_rule_ids)}"
            if decision.monitored_rule_ids
            else ""
        ),
        "",
    ]
    for compiled in policy.rules:
        rule = compiled.rule
        mode = " (monitor)" if rule.mode == "monitor" else ""
        judged = rule.judges_answers if direction == "response" else rule.judges_requests
        if not judged:
            lines.append(f"skip  {rule.id}: {rule.action}{mode} (direction {rule.direction})")
            continue
        matched = compiled.matches(request)
        lines.append(f"{'MATCH' if matched else 'no   '} {rule.id}: {rule.action}{mode}")
        lines.extend(_condition("when", rule.when, request, known, 1))
        if rule.unless is not None:
            lines.extend(_condition("unless", rule.unless, request, known, 1))
    return decision, "\n".join(lines)


def _condition(
    label: str, condition: Condition, request: PolicyInput, known: frozenset[str], depth: int
) -> list[str]:
    indent = "    " * depth
    lines = [f"{indent}{label}:"]
    inner = depth + 1
    for index, part in enumerate(condition.any_of or ()):
        lines.extend(_condition(f"any[{index}]", part, request, known, inner))
    for index, part in enumerate(condition.all_of or ()):
        lines.extend(_condition(f"all[{index}]", part, request, known, inner))
    if condition.not_ is not None:
        lines.extend(_condition("not", condition.not_, request, known, inner))
    for fact, value in leaves(condition):
        test = fact.compile(value, CompileContext(known), (fact.key,))
        mark = "✓" if test(request) else "✗"
        written = value.model_dump(exclude_none=True) if hasattr(value, "model_dump") else value
        if isinstance(written, dict):
            written = {
                k: v.model_dump(exclude_none=True) if hasattr(v, "model_dump") else v
                for k, v in written.items()
            }
        seen = _show(fact.seen(request))
        lines.append(f"{'    ' * inner}{mark} {fact.key}: {_show(written)}  (request: {seen})")
    return lines


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or (not isinstance(value, int | float | str) and not value):
        return "none"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)
