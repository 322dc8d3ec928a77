"""Rule-by-rule differences between two policies."""

from __future__ import annotations

from pathlib import Path

from gateway.detect import SUPPORTED_ENTITIES
from gateway.policy import parse_policy
from gateway.policy.diff import diff_policies
from tests.support.rollout import BASE_POLICY, STRICT_POLICY


def compile_text(text: str, base_dir: Path | None = None):
    return parse_policy(text.encode(), SUPPORTED_ENTITIES, base_dir=base_dir)


def test_added_removed_and_changed_rules_are_named_with_their_fields() -> None:
    old = compile_text(STRICT_POLICY)
    new = compile_text(
        BASE_POLICY.replace("[CN]", "[CN, RU]").replace("action: redact", "action: pseudonymize")
        + "  - id: monitor-cards\n    when: { entities: [CREDIT_CARD] }\n"
        "    action: block\n    mode: monitor\n"
    )
    diff = diff_policies(old, new)
    by_id = {change.rule_id: change for change in diff.rules}
    assert by_id["block-rrn"].kind == "removed"
    assert by_id["monitor-cards"].kind == "added"
    assert {f.path: (f.old, f.new) for f in by_id["no-cn"].fields} == {
        "when.provider.jurisdiction": (["CN"], ["CN", "RU"])
    }
    assert {f.path: (f.old, f.new) for f in by_id["redact-email"].fields} == {
        "action": ("redact", "pseudonymize")
    }
    text = "\n".join(diff.lines())
    assert "- rule block-rrn (removed)" in text
    assert "~ rule no-cn (changed)" in text
    assert diff.to_dict()["from"] == old.version and diff.to_dict()["to"] == new.version


def test_reordering_rules_is_not_a_change_but_settings_are() -> None:
    old = compile_text(STRICT_POLICY)
    lines = STRICT_POLICY.splitlines(keepends=True)
    header, rules = lines[:2], lines[2:]
    blocks = ["".join(rules[i : i + 3]) for i in range(0, len(rules), 3)]
    reordered = "".join(header) + "".join(reversed(blocks))
    assert compile_text(reordered).version != old.version
    assert diff_policies(old, compile_text(reordered)).empty

    stricter = reordered.replace("policy: base", "policy: base\ndefault_action: block")
    diff = diff_policies(old, compile_text(stricter))
    assert [(c.path, c.old, c.new) for c in diff.settings] == [("default_action", "allow", "block")]
    assert diff.rules == ()


def test_dictionary_file_changes_show_as_term_changes(tmp_path: Path) -> None:
    policy = (
        "policy: terms\ndetection:\n  dictionaries:\n"
        "    - { entity: CODENAME, file: names.txt }\n"
        "rules:\n  - { id: names, when: { entities: [CODENAME] }, action: block }\n"
    )
    (tmp_path / "names.txt").write_text("Phoenix\nHeron\n")
    old = compile_text(policy, tmp_path)
    (tmp_path / "names.txt").write_text("Phoenix\nFalcon\n")
    new = compile_text(policy, tmp_path)
    diff = diff_policies(old, new)
    assert diff.rules == () and diff.settings == ()
    (change,) = diff.dictionaries
    assert change.path == "CODENAME.terms"
    assert change.old["removed"] == ["Heron"] and change.new["added"] == ["Falcon"]


def test_a_first_policy_lists_every_rule_as_added() -> None:
    diff = diff_policies(None, compile_text(BASE_POLICY))
    assert [(r.rule_id, r.kind) for r in diff.rules] == [
        ("no-cn", "added"),
        ("redact-email", "added"),
    ]
