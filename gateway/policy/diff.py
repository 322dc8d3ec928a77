"""What changed between two policies, rule by rule.

Rules are matched by their stable ``id``, never by position (order does not
change a decision, so a reordering is not a change). Within a rule, and for the
policy's own settings, the difference is given per field as dotted paths with
the old and new values, e.g. ``when.entities: ['KR_RRN'] → ['KR_RRN', 'KR_FRN']``.

The comparison works on the validated documents as plain data, so fields the
schema gains later are compared without changes here. Used by the admin API's
change log and by ``haetae policy diff``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from gateway.policy.evaluate import CompiledPolicy

__all__ = ["FieldChange", "PolicyDiff", "RuleChange", "diff_documents", "diff_policies"]

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class FieldChange:
    path: str  # dotted, e.g. "when.any[0].provider.jurisdiction"
    old: Any  # None when the field was absent
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class RuleChange:
    rule_id: str
    kind: str  # added | removed | changed
    fields: tuple[FieldChange, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "change": self.kind,
            "fields": [f.to_dict() for f in self.fields],
        }


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    old_version: str | None
    new_version: str | None
    settings: tuple[FieldChange, ...] = ()  # everything outside `rules`
    rules: tuple[RuleChange, ...] = ()
    dictionaries: tuple[FieldChange, ...] = field(default=())  # resolved term lists

    @property
    def empty(self) -> bool:
        return not (self.settings or self.rules or self.dictionaries)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.old_version,
            "to": self.new_version,
            "settings": [c.to_dict() for c in self.settings],
            "rules": [r.to_dict() for r in self.rules],
            "dictionaries": [c.to_dict() for c in self.dictionaries],
        }

    def lines(self) -> list[str]:
        """A human-readable listing: ``+`` added, ``-`` removed, ``~`` changed."""
        out: list[str] = []
        for change in self.settings:
            out.append(f"~ {change.path}: {_show(change.old)} → {_show(change.new)}")
        for rule in self.rules:
            mark = {"added": "+", "removed": "-", "changed": "~"}[rule.kind]
            out.append(f"{mark} rule {rule.rule_id} ({rule.kind})")
            for change in rule.fields:
                out.append(f"    {change.path}: {_show(change.old)} → {_show(change.new)}")
        for change in self.dictionaries:
            out.append(f"~ dictionary {change.path}: {_show(change.old)} → {_show(change.new)}")
        return out or ["no changes"]


def diff_policies(old: CompiledPolicy | None, new: CompiledPolicy) -> PolicyDiff:
    """Compare two compiled policies, including term lists read from dictionary files."""
    if old is None:
        return diff_documents(None, new.document, None, new.version)
    base = diff_documents(old.document, new.document, old.version, new.version)
    before = {d.entity: d for d in old.dictionaries}
    after = {d.entity: d for d in new.dictionaries}
    terms: list[FieldChange] = []
    for entity in sorted(before.keys() | after.keys()):
        a, b = before.get(entity), after.get(entity)
        old_terms, new_terms = set(a.terms if a else ()), set(b.terms if b else ())
        if old_terms != new_terms:
            terms.append(
                FieldChange(
                    f"{entity}.terms",
                    {"count": len(old_terms), "removed": sorted(old_terms - new_terms)},
                    {"count": len(new_terms), "added": sorted(new_terms - old_terms)},
                )
            )
    return PolicyDiff(base.old_version, base.new_version, base.settings, base.rules, tuple(terms))


def diff_documents(
    old: BaseModel | None,
    new: BaseModel,
    old_version: str | None = None,
    new_version: str | None = None,
) -> PolicyDiff:
    """Compare two validated policy documents; a missing ``old`` makes every rule new."""
    new_data = _plain(new)
    old_data = _plain(old) if old is not None else {"rules": []}
    new_rules = _rules_by_id(new_data.pop("rules", []))
    old_rules = _rules_by_id(old_data.pop("rules", []))
    settings = tuple(_compare(old_data, new_data, "")) if old is not None else ()
    rules: list[RuleChange] = []
    for rule_id in sorted(old_rules.keys() | new_rules.keys()):
        before, after = old_rules.get(rule_id), new_rules.get(rule_id)
        if before is None:
            # a new rule is listed by what it says; its id is the heading, empty fields say nothing
            added = {k: v for k, v in (after or {}).items() if k != "id" and v not in ("", {}, [])}
            rules.append(RuleChange(rule_id, "added", tuple(_compare({}, added, ""))))
        elif after is None:
            rules.append(RuleChange(rule_id, "removed"))
        else:
            fields = tuple(_compare(before, after, ""))
            if fields:
                rules.append(RuleChange(rule_id, "changed", fields))
    return PolicyDiff(old_version, new_version, settings, tuple(rules))


def _plain(document: BaseModel) -> dict[str, Any]:
    # Aliases give the names people write (`provider.jurisdiction`, `any`), and
    # dropping unset values keeps "absent" and "default" from looking like edits.
    data: dict[str, Any] = document.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def _rules_by_id(rules: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(rule["id"]): rule for rule in rules}


def _compare(old: Any, new: Any, path: str) -> list[FieldChange]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[FieldChange] = []
        for key in sorted(old.keys() | new.keys(), key=str):
            sub = f"{path}.{key}" if path else str(key)
            changes += _compare(old.get(key, _MISSING), new.get(key, _MISSING), sub)
        return changes
    if old is _MISSING and new is _MISSING:
        return []
    if old == new:
        return []
    both_lists = isinstance(old, list) and isinstance(new, list)
    if both_lists and len(old) == len(new) and all(isinstance(x, Mapping) for x in old + new):
        # Conditions in `any`/`all`: compare item by item so the path says which one.
        changes = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            changes += _compare(a, b, f"{path}[{index}]")
        return changes
    return [FieldChange(path, None if old is _MISSING else old, None if new is _MISSING else new)]


def _show(value: Any) -> str:
    return "(absent)" if value is None else repr(value)
