"""Rules name the direction they judge: the request (default), the answer, or both."""

import pytest

from gateway.errors import ConfigError
from gateway.policy import PolicyInput, parse_policy
from gateway.policy.explain import explain

KNOWN = {"KR_RRN", "EMAIL_ADDRESS", "CREDIT_CARD", "SECRET_AWS_ACCESS_KEY"}

POLICY = """
policy: directions
rules:
  - id: block-rrn-out
    when: { entities: [KR_RRN] }
    action: block
  - id: mask-rrn-in-answers
    when: { entities: [KR_RRN, CREDIT_CARD] }
    direction: response
    action: mask
  - id: redact-mail-both-ways
    when: { entities: [EMAIL_ADDRESS] }
    direction: both
    action: redact
  - id: block-keys-in-answers
    when: { entities: [SECRET_AWS_ACCESS_KEY] }
    direction: response
    action: block
    message: { en: "The answer held a key.", ko: "답변에 키가 있습니다." }
""".encode()


def facts(**counts: int) -> PolicyInput:
    return PolicyInput("openai", "US", None, "chat", "gpt-4o", counts)


@pytest.fixture(scope="module")
def policy():
    return parse_policy(POLICY, KNOWN)


def test_a_rule_without_direction_judges_requests_only(policy) -> None:
    assert policy.decide(facts(KR_RRN=1)).action == "block"
    answer = policy.decide(facts(KR_RRN=1), "response")
    assert answer.action == "mask"
    assert answer.rule_ids == ("mask-rrn-in-answers",)
    assert dict(answer.edits) == {"KR_RRN": "mask"}


def test_an_answer_rule_never_judges_the_request(policy) -> None:
    assert policy.decide(facts(CREDIT_CARD=1)).action == "allow"
    assert policy.decide(facts(SECRET_AWS_ACCESS_KEY=1)).action == "allow"
    assert policy.decide(facts(SECRET_AWS_ACCESS_KEY=1), "response").action == "block"


def test_both_judges_either_direction(policy) -> None:
    assert policy.decide(facts(EMAIL_ADDRESS=1)).action == "redact"
    assert policy.decide(facts(EMAIL_ADDRESS=1), "response").action == "redact"


def test_an_answer_with_nothing_found_is_allowed_whatever_the_default() -> None:
    strict = parse_policy(POLICY.replace(b"rules:", b"default_action: block\nrules:", 1), KNOWN)
    assert strict.decide(facts()).action == "block"
    assert strict.decide(facts(), "response").action == "allow"
    assert strict.inspects_answers


def test_a_policy_without_answer_rules_does_not_inspect_answers() -> None:
    plain = parse_policy(b"policy: p\nrules: []\n", KNOWN)
    assert not plain.inspects_answers


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ("{ entities: [KR_RRN] }\n    direction: response\n    action: pseudonymize", "cannot act"),
        ("{ entities: [KR_RRN] }\n    direction: both\n    action: warn", "cannot act"),
        ("{ provider: [openai] }\n    direction: response\n    action: block", "needs 'entities'"),
        ("{ entities: [KR_RRN] }\n    direction: sideways\n    action: block", "direction"),
    ],
)
def test_the_schema_refuses_what_cannot_apply_to_an_answer(rule: str, error: str) -> None:
    text = f"policy: p\nrules:\n  - id: r\n    when: {rule}\n"
    with pytest.raises(ConfigError, match=error):
        parse_policy(text.encode(), KNOWN)


def test_explain_says_which_rules_judge_the_answer(policy) -> None:
    decision, report = explain(policy, facts(KR_RRN=1), "response")
    assert decision.action == "mask"
    assert "judging the answer" in report
    assert "skip  block-rrn-out: block (direction request)" in report
    assert "MATCH mask-rrn-in-answers" in report
