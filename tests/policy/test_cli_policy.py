"""``haetae policy …`` as an admin runs it: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = str(ROOT / "policies" / "default.yaml")

FAILING = """
policy: p
rules:
  - {id: rrn, when: {entities: [KR_RRN]}, action: redact}
tests:
  - name: resident numbers are blocked
    request: {entities: {KR_RRN: 1}}
    expect: {action: block, rules: [rrn]}
  - name: plain text goes through
    request: {text: "hello"}
    expect: {action: allow}
"""


def test_schema_is_json_schema_with_every_condition(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Haetae policy"
    condition = schema["$defs"]["Condition"]["properties"]
    for key in (
        "user",
        "groups",
        "source",
        "client_app",
        "anonymous",
        "host",
        "provider.regions",
        "endpoint.ip_country",
        "prompt_chars",
        "attachments",
        "server_references",
        "entities",
    ):
        assert key in condition
    assert schema["$defs"]["Condition"]["additionalProperties"] is False


def test_test_reports_pass_and_fail_with_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "test", DEFAULT]) == 0
    assert "0 failed" in capsys.readouterr().out
    failing = tmp_path / "p.yaml"
    failing.write_text(FAILING)
    assert main(["policy", "test", str(failing)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  resident numbers are blocked" in out
    assert "expected action block, got redact (rules: rrn)" in out
    assert "PASS  plain text goes through" in out
    assert "1 passed, 1 failed" in out


def test_a_policy_without_tests_fails_the_test_command(tmp_path: Path) -> None:
    bare = tmp_path / "p.yaml"
    bare.write_text("policy: p\n")
    assert main(["policy", "test", str(bare)]) == 1


def test_check_reports_errors_with_lines_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "check", DEFAULT]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy: p\nrules:\n  - {id: a, when: {provider: [openia]}, action: block}\n")
    assert main(["policy", "check", str(bad)]) == 1
    assert "bad.yaml:3: rules[0] (rule 'a').when.provider[0]: error: 'openia'" in (
        capsys.readouterr().out
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("policy: p\nrules:\n  - {id: a, when: {provder: [x]}, action: block}\n")
    assert main(["policy", "check", str(broken)]) == 1
    assert "broken.yaml:3: rules[0] (rule 'a').when.provder: unknown key" in capsys.readouterr().out


def test_check_strict_fails_on_warnings(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(
        "policy: p\nrules:\n  - {id: w, when: {provider: [openai]}, action: block,"
        " mode: monitor, since: 2020-01-01}\n"
    )
    assert main(["policy", "check", str(old)]) == 0
    assert main(["policy", "check", "--strict", str(old)]) == 1


def test_explain_shows_each_rule_and_test(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "explain", DEFAULT, "--request", '{"provider": "dashscope-intl"}']) == 0
    out = capsys.readouterr().out
    assert "decision: block  rules: no-cn-jurisdiction" in out
    assert "MATCH no-cn-jurisdiction: block" in out
    assert "✓ provider.parent_jurisdiction: [CN]  (request: CN)" in out
    assert "no    no-secrets: block" in out


def test_explain_judges_an_answer_with_the_answer_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer = "카드 4111 1111 1111 1111"
    args = ["policy", "explain", DEFAULT, "--request", '{"provider": "openai"}']
    assert main([*args, "--response", answer]) == 0
    out = capsys.readouterr().out
    assert "judging the answer" in out
    assert "decision: mask  rules: answers-mask-identifiers  edits: {CREDIT_CARD: mask}" in out
    assert "skip  redact-card-numbers: redact (direction request)" in out
    assert "MATCH answers-mask-identifiers: mask" in out


def test_explain_rejects_a_bad_request_sketch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "explain", DEFAULT, "--request", '{"provder": "x"}']) == 2
    assert "provder" in capsys.readouterr().err


def test_diff_lists_changes_rule_by_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(
        "policy: p\nrules:\n  - {id: a, when: {provider: [x]}, action: block}\n"
        "  - {id: b, when: {entities: [KR_RRN]}, action: redact}\n"
    )
    new.write_text(
        "policy: p\nrules:\n  - {id: b, when: {entities: [KR_RRN]}, action: block}\n"
        "  - {id: c, when: {api: [embeddings]}, action: warn}\n"
    )
    assert main(["policy", "diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "- rule a (removed)" in out
    assert "+ rule c (added)\n    action: (absent) → 'warn'\n" in out
    assert "~ rule b (changed)\n    action: 'redact' → 'block'\n" in out
    assert "description" not in out  # defaults are not changes
    assert main(["policy", "diff", str(old), str(old)]) == 0
    assert "no changes" in capsys.readouterr().out


def test_a_sketch_with_an_undeclared_group_or_entity_fails_its_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "policy: p\ngroups: [staff]\n"
        "rules: [{id: s, when: {groups: [staff]}, action: block}]\n"
        "tests:\n"
        "  - {name: typo group, request: {user: u, groups: [staf]}, expect: {action: allow}}\n"
        "  - {name: typo entity, request: {entities: {KR_RRM: 1}}, expect: {action: allow}}\n"
    )
    assert main(["policy", "test", str(policy)]) == 1
    out = capsys.readouterr().out
    assert "bad request sketch: group 'staf' is not in the policy's 'groups' list" in out
    assert "bad request sketch: 'KR_RRM' is not an entity" in out


DECLARES_PROVIDER = """
policy: p
providers:
  offshore-llm:
    family: openai
    base_url: https://llm.offshore.example
    operator: Offshore AI
    jurisdiction: CN
    regions: [CN]
rules:
  - {id: no-cn, when: {provider.jurisdiction: [CN]}, action: block}
tests:
  - name: the policy's own provider is judged by its declared jurisdiction
    request: {provider: offshore-llm}
    expect: {action: block, rules: [no-cn]}
"""


def test_test_and_explain_know_the_providers_a_policy_declares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(DECLARES_PROVIDER, encoding="utf-8")
    assert main(["policy", "test", str(policy)]) == 0
    assert "PASS" in capsys.readouterr().out
    request = '{"provider": "offshore-llm"}'
    assert main(["policy", "explain", str(policy), "--request", request]) == 0
    assert "block" in capsys.readouterr().out
