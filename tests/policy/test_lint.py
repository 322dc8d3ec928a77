"""The linter: references, rules that never match, shadowed rules, stale monitor rules."""

from __future__ import annotations

import datetime

import pytest

from gateway.policy import parse_policy
from gateway.policy.lint import lint_policy
from gateway.providers.catalog import load_catalog

KNOWN = {"KR_RRN", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"}
TODAY = datetime.date(2026, 11, 27)


def lint(rules: str, default_action: str = "allow") -> list[tuple[str, str | int, str]]:
    policy = parse_policy(
        f"policy: p\ndefault_action: {default_action}\nrules:\n{rules}".encode(), KNOWN
    )
    findings = lint_policy(policy, load_catalog(), TODAY, monitor_days=30)
    return [(f.level, f.path[1] if len(f.path) > 1 else "", f.message) for f in findings]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "{when: {all: [{provider: [openai]}, {provider: [deepseek]}]}, action: block}",
            "disjoint",
        ),
        (
            "{when: {provider: [openai], provider.jurisdiction: [CN]}, action: block}",
            "no provider in ['openai'] has a provider.jurisdiction in ['CN']",
        ),
        ("{when: {anonymous: true, user: [kim]}, action: block}", "anonymous callers have no user"),
        (
            "{when: {all: [{prompt_chars: {min: 10}}, {prompt_chars: {max: 5}}]}, action: warn}",
            "do not overlap",
        ),
        (
            "{when: {entities: [KR_RRN]}, unless: {entities: [KR_RRN]}, action: block}",
            "'unless' holds whenever 'when' does",
        ),
        (
            "{when: {provider: [deepseek]}, unless: {provider.jurisdiction: [CN]}, action: block}",
            "'unless' holds whenever 'when' does",
        ),
    ],
)
def test_rules_that_can_never_match(rule: str, message: str) -> None:
    (finding,) = lint(f"  - {{id: r, {rule[1:]}\n")
    assert finding[0] == "warning" and "can never match" in finding[2] and message in finding[2]


def test_a_satisfiable_rule_is_not_flagged() -> None:
    assert (
        lint(
            "  - id: r\n    when: {any: [{provider: [openai]}, {provider: [deepseek]}]}\n"
            "    action: block\n"
        )
        == []
    )


def test_shadowed_by_a_block_and_by_a_more_protective_edit() -> None:
    findings = lint(
        "  - {id: rrn, when: {entities: [KR_RRN]}, action: block}\n"
        "  - {id: rrn-openai, when: {entities: [KR_RRN], provider: [openai]}, action: mask}\n"
        "  - {id: mail, when: {entities: [EMAIL_ADDRESS, PHONE_NUMBER]}, action: redact}\n"
        "  - {id: mail-chat, when: {entities: [EMAIL_ADDRESS], api: [chat]},"
        " action: pseudonymize}\n"
        "  - {id: mail-mask, when: {entities: [PHONE_NUMBER]}, action: redact}\n"
    )
    assert ("warning", 1, "shadowed by 'rrn': whenever it matches, 'rrn' blocks") in findings
    assert any(f[1] == 3 and "shadowed by 'mail'" in f[2] and "'redact'" in f[2] for f in findings)
    # the same edit is not shadowing: it changes nothing either way, and is not reported
    assert not any(f[1] == 4 for f in findings)


def test_a_rule_with_an_exception_shadows_nothing() -> None:
    assert (
        lint(
            "  - {id: rrn, when: {entities: [KR_RRN]}, unless: {provider: [upstage]},"
            " action: block}\n"
            "  - {id: rrn-mask, when: {entities: [KR_RRN]}, action: mask}\n"
        )
        == []
    )


def test_references_allow_rules_and_monitor_age() -> None:
    findings = lint(
        "  - {id: a, when: {provider: [openia]}, action: block}\n"
        "  - {id: b, when: {api: [chatt]}, action: block}\n"
        "  - {id: c, when: {provider: [anthropic]}, action: allow}\n"
        "  - {id: d, when: {provider: [openai]}, action: block, mode: monitor, since: 2026-09-01}\n"
        "  - {id: e, when: {provider: [openai]}, action: block, mode: monitor, since: 2026-11-20}\n"
        "  - {id: f, when: {provider: [openai]}, action: warn, mode: monitor}\n"
    )
    levels = {(level, index) for level, index, _ in findings}
    assert levels == {("error", 0), ("warning", 1), ("warning", 2), ("warning", 3), ("note", 5)}
    assert any("87 days" in message for _, _, message in findings)


def test_allow_rules_matter_when_the_default_blocks() -> None:
    assert lint("  - {id: c, when: {provider: [anthropic]}, action: allow}\n", "block") == []


def test_a_message_without_the_default_language_is_noted() -> None:
    findings = lint("  - {id: r, when: {provider: [openai]}, action: block, message: {ko: 차단}}\n")
    assert findings == [("note", 0, findings[0][2])]
    assert "no 'en' text" in findings[0][2]
