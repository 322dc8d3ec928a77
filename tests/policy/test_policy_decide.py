from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.policy import PolicyInput, load_policy, parse_policy, refusal_message
from gateway.policy.messages import choose_language

KNOWN = {
    "KR_RRN",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "SECRET_AWS_ACCESS_KEY",
    "SECRET_GITHUB_TOKEN",
    "GENERIC_SECRET",
}
DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"


def request(provider: str = "openai", jurisdiction: str = "US", **counts: int) -> PolicyInput:
    parent = "CN" if provider == "dashscope-intl" else None
    return PolicyInput(provider, jurisdiction, parent, "chat", "gpt-4o", counts)


@pytest.fixture(scope="module")
def default_policy():
    return load_policy(DEFAULT, KNOWN)


@pytest.mark.parametrize(
    ("req", "action", "rules"),
    [
        (request(), "allow", ()),
        (request("deepseek", "CN"), "block", ("no-cn-jurisdiction",)),
        (request("dashscope-intl", "SG"), "block", ("no-cn-jurisdiction",)),
        (request(KR_RRN=1), "block", ("pipa-resident-number",)),
        (request(SECRET_GITHUB_TOKEN=1), "block", ("no-secrets",)),
        (request(EMAIL_ADDRESS=2), "redact", ("redact-contacts",)),
        (request(EMAIL_ADDRESS=1, KR_RRN=1), "block", ("pipa-resident-number",)),
        (
            request("deepseek", "CN", KR_RRN=1),
            "block",
            ("no-cn-jurisdiction", "pipa-resident-number"),
        ),
    ],
)
def test_default_policy(default_policy, req: PolicyInput, action: str, rules: tuple) -> None:
    decision = default_policy.decide(req)
    assert decision.action == action
    assert decision.rule_ids == rules


def test_redact_names_only_the_entities_found(default_policy) -> None:
    decision = default_policy.decide(request(EMAIL_ADDRESS=1))
    assert decision.edits == {"EMAIL_ADDRESS": "redact"}


def test_entity_globs_expand_and_scanned_entities_are_collected(default_policy) -> None:
    assert {
        "SECRET_AWS_ACCESS_KEY",
        "SECRET_GITHUB_TOKEN",
        "KR_RRN",
    } <= default_policy.scanned_entities


def compile_text(text: str):
    return parse_policy(text.encode(), KNOWN)


def test_block_beats_redact_beats_allow_whatever_the_order() -> None:
    policy = compile_text(
        """
policy: p
rules:
  - {id: allow-all, when: {provider: [openai]}, action: allow}
  - {id: redact, when: {entities: [EMAIL_ADDRESS]}, action: redact}
  - {id: block, when: {entities: [KR_RRN]}, action: block}
"""
    )
    assert policy.decide(request()).action == "allow"
    assert policy.decide(request(EMAIL_ADDRESS=1)).action == "redact"
    decision = policy.decide(request(EMAIL_ADDRESS=1, KR_RRN=1))
    assert (decision.action, decision.rule_ids) == ("block", ("block",))


def test_unless_and_monitor_mode() -> None:
    policy = compile_text(
        """
policy: p
rules:
  - id: rrn
    when: {entities: [KR_RRN]}
    unless: {provider: [naver-hyperclova]}
    action: block
  - {id: watch-cards, when: {entities: [CREDIT_CARD]}, action: block, mode: monitor}
"""
    )
    assert policy.decide(request(KR_RRN=1)).action == "block"
    assert policy.decide(request("naver-hyperclova", "KR", KR_RRN=1)).action == "allow"
    decision = policy.decide(request(CREDIT_CARD=1))
    assert (decision.action, decision.monitored_rule_ids) == ("allow", ("watch-cards",))


def test_all_not_and_model_globs() -> None:
    policy = compile_text(
        """
policy: p
default_action: block
rules:
  - id: only-mini
    when:
      all:
        - {model: ["gpt-4o-mini*"]}
        - not: {provider.jurisdiction: [CN]}
    action: allow
"""
    )
    ok = PolicyInput("openai", "US", None, "chat", "gpt-4o-mini-2024", {})
    assert policy.decide(ok).action == "allow"
    assert policy.decide(PolicyInput("openai", "US", None, "chat", "gpt-4o", {})).action == "block"
    assert policy.decide(PolicyInput("x", "CN", None, "chat", "gpt-4o-mini", {})).action == "block"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("policy: p\nrules: [{id: a, when: {entities: [KR_RRM]}, action: block}]", "KR_RRM"),
        ("policy: p\nrules: [{id: a, when: {entities: [NOPE_*]}, action: block}]", "NOPE_"),
        ("policy: p\nrules: [{id: a, when: {provder: [x]}, action: block}]", "unknown key"),
        ("policy: p\nrules: [{id: a, when: {}, action: block}]", "at least one test"),
        ("policy: p\nrules: [{id: a, when: {provider: [x]}, action: redact}]", "needs 'entities'"),
        ("policy: p\nrules: [{id: a, when: {provider: [x]}, action: mask}]", "'mask' needs"),
        ("policy: p\nrules: [{id: a, when: {provider: [x]}, action: nuke}]", "action"),
        (
            "policy: p\nrules:\n - {id: a, when: {provider: [x]}, action: block}\n"
            " - {id: a, when: {provider: [y]}, action: block}",
            "used twice",
        ),
        ("policy: p\nextra: 1", "extra: unknown key"),
        ("policy: [", "not valid YAML"),
    ],
)
def test_bad_policies_are_rejected_with_a_precise_message(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("*", r"\*")):
        compile_text(text)


def test_version_is_a_content_hash() -> None:
    text = "policy: p\nrules: []\n"
    assert compile_text(text).version == compile_text(text).version
    assert compile_text(text).version != compile_text(text + "# changed\n").version


def test_refusal_message_names_rule_and_reason_in_the_callers_language(default_policy) -> None:
    decision = default_policy.decide(request(KR_RRN=1))
    english = refusal_message(default_policy, decision, {"KR_RRN": 1}, "en")
    korean = refusal_message(default_policy, decision, {"KR_RRN": 1}, "ko")
    assert "pipa-resident-number" in english and "resident registration number" in english
    assert "pipa-resident-number" in korean and "주민등록번호" in korean


def test_refusal_message_without_configured_text_names_entity_types() -> None:
    policy = compile_text("policy: p\nrules: [{id: r, when: {entities: [KR_RRN]}, action: block}]")
    decision = policy.decide(request(KR_RRN=1))
    assert "KR_RRN" in refusal_message(policy, decision, {"KR_RRN": 1}, "en")


@pytest.mark.parametrize(
    ("header", "expected"),
    [("ko-KR,ko;q=0.9,en;q=0.8", "ko"), ("en-US", "en"), ("fr-FR", "en"), (None, "en")],
)
def test_choose_language(header: str | None, expected: str) -> None:
    assert choose_language(header, "en") == expected


def test_the_most_protective_edit_wins_per_entity_type() -> None:
    policy = compile_text(
        """
policy: p
rules:
  - {id: mask-contacts, when: {entities: [EMAIL_ADDRESS, CREDIT_CARD]}, action: mask}
  - {id: pseudo-mail, when: {entities: [EMAIL_ADDRESS]}, action: pseudonymize}
  - {id: hash-cards, when: {entities: [CREDIT_CARD]}, action: hash, mode: monitor}
"""
    )
    decision = policy.decide(request(EMAIL_ADDRESS=1, CREDIT_CARD=1))
    assert decision.edits == {"EMAIL_ADDRESS": "pseudonymize", "CREDIT_CARD": "mask"}
    assert decision.action == "pseudonymize"
    assert decision.monitored_rule_ids == ("hash-cards",)


def test_edits_are_listed_in_the_order_the_types_were_found() -> None:
    """Not in the rule's set order, which changes from one process to the next
    (string hashing): records and answers then read the same everywhere."""
    policy = compile_text(
        """
policy: p
rules:
  - id: redact
    when: {entities: [KR_RRN, EMAIL_ADDRESS, CREDIT_CARD, GENERIC_SECRET]}
    action: redact
"""
    )
    found = ["CREDIT_CARD", "KR_RRN", "GENERIC_SECRET", "EMAIL_ADDRESS"]
    for order in (found, found[::-1], found[1:] + found[:1]):
        decision = policy.decide(request(**dict.fromkeys(order, 1)))
        assert list(decision.edits) == order
