"""What changed between two policies, rule by rule (``haetae policy diff A B``).

Both policies are compared as loaded, includes merged, so a change in a shared
fragment shows up in every policy that includes it.
"""

from __future__ import annotations

from typing import Any

from gateway.policy.schema import PolicyDocument, Rule

__all__ = ["diff_policies"]

_SETTINGS = ("policy", "include", "default_action", "default_language", "groups")
_RULE_FIELDS = ("action", "mode", "when", "unless", "message", "description", "since")


def diff_policies(old: PolicyDocument, new: PolicyDocument) -> list[str]:
    """Lines such as ``~ rule no-rrn: action redact → block``; empty when nothing changed."""
    lines: list[str] = []
    for key in _SETTINGS:
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            lines.append(f"~ {key}: {_show(before)} → {_show(after)}")
    before_detection = old.detection.model_dump(exclude_defaults=True)
    after_detection = new.detection.model_dump(exclude_defaults=True)
    for key in sorted(before_detection.keys() | after_detection.keys()):
        a, b = before_detection.get(key), after_detection.get(key)
        if a != b:
            lines.append(f"~ detection.{key}: {_show(a)} → {_show(b)}")
    old_rules = {rule.id: rule for rule in old.rules}
    new_rules = {rule.id: rule for rule in new.rules}
    for rule_id in sorted(old_rules.keys() - new_rules.keys()):
        rule = old_rules[rule_id]
        lines.append(
            f"- rule {rule_id}: {rule.action} ({rule.mode}) when {_condition(rule, 'when')}"
        )
    for rule_id in sorted(new_rules.keys() - old_rules.keys()):
        rule = new_rules[rule_id]
        lines.append(
            f"+ rule {rule_id}: {rule.action} ({rule.mode}) when {_condition(rule, 'when')}"
        )
    for rule_id in sorted(old_rules.keys() & new_rules.keys()):
        before_rule, after_rule = old_rules[rule_id], new_rules[rule_id]
        for field in _RULE_FIELDS:
            a, b = _plain(getattr(before_rule, field)), _plain(getattr(after_rule, field))
            if a != b:
                lines.append(f"~ rule {rule_id}: {field} {_show(a)} → {_show(b)}")
    test_names = {t.name for t in old.tests} ^ {t.name for t in new.tests}
    if test_names:
        lines.append(f"~ tests: {len(old.tests)} → {len(new.tests)} cases")
    return lines


def _condition(rule: Rule, field: str) -> str:
    return _show(_plain(getattr(rule, field)))


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(by_alias=True, exclude_none=True, mode="json")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _show(value: Any) -> str:
    import json

    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
