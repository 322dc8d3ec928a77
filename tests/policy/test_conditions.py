"""Each condition key, as an admin writes it, against requests it should and should not match."""

from __future__ import annotations

import pytest

from gateway.identity import Subject
from gateway.policy import PolicyInput, parse_policy

KNOWN = {"KR_RRN", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "SECRET_AWS_ACCESS_KEY"}


def request(subject: Subject | None = None, **facts) -> PolicyInput:
    base = {
        "provider": "openai",
        "provider_jurisdiction": "US",
        "provider_parent_jurisdiction": None,
        "api": "chat",
        "model": "gpt-4o",
    }
    if subject is not None:  # the caller's facts, as identify would establish them
        base |= {
            "user": subject.user,
            "groups": subject.groups,
            "source": subject.address,
            "client_app": subject.application,
            "anonymous": subject.anonymous,
        }
    return PolicyInput(**(base | facts))


def matches(condition: str, req: PolicyInput) -> bool:
    policy = parse_policy(
        f"policy: p\nrules:\n  - id: r\n    when: {condition}\n    action: block\n".encode(), KNOWN
    )
    return policy.decide(req).action == "block"


KIM = Subject("kim@corp.example", ("finance", "staff"), "10.1.2.3", "Cursor/0.42", "api_key")
ANON = Subject(address="192.0.2.7")


@pytest.mark.parametrize(
    ("condition", "req", "expected"),
    [
        ("{user: ['*@corp.example']}", request(subject=KIM), True),
        ("{user: ['KIM@CORP.EXAMPLE']}", request(subject=KIM), True),  # ids compare caseless
        ("{user: ['lee*']}", request(subject=KIM), False),
        ("{user: ['*']}", request(subject=ANON), False),  # anonymous callers have no user
        ("{groups: [finance, hr]}", request(subject=KIM), True),
        ("{groups: [hr]}", request(subject=KIM), False),
        ("{source: [10.0.0.0/8]}", request(subject=KIM), True),
        ("{source: [10.1.2.3]}", request(subject=KIM), True),
        ("{source: ['10.0.0.0/8', '2001:db8::/32']}", request(subject=ANON), False),
        ("{source: [10.0.0.0/8]}", request(subject=Subject(address="not-an-ip")), False),
        ("{client_app: ['cursor*']}", request(subject=KIM), True),
        ("{client_app: ['aider*']}", request(subject=KIM), False),
        ("{anonymous: true}", request(subject=ANON), True),
        ("{anonymous: true}", request(subject=KIM), False),
        ("{anonymous: false}", request(subject=KIM), True),
        ("{host: ['*.openai.com']}", request(host="api.openai.com"), True),
        ("{host: ['*.openai.com']}", request(host="api.deepseek.com"), False),
        ("{host: ['*']}", request(host=None), False),
        ("{provider.regions: [KR]}", request(provider_regions=("US", "KR")), True),
        ("{provider.regions: [KR]}", request(provider_regions=("KR",)), True),
        ("{provider.regions: [KR]}", request(provider_regions=()), False),
        ("{endpoint.ip_country: [CN]}", request(endpoint_countries=("US", "CN")), True),
        ("{endpoint.ip_country: [unresolved]}", request(endpoint_countries=("unresolved",)), True),
        ("{endpoint.ip_country: [KR]}", request(endpoint_countries=("unresolved",)), False),
        ("{not: {endpoint.ip_country: [KR]}}", request(endpoint_countries=("unresolved",)), True),
        ("{prompt_chars: {min: 1000}}", request(prompt_chars=1000), True),
        ("{prompt_chars: {min: 1000}}", request(prompt_chars=999), False),
        ("{prompt_chars: {max: 10}}", request(prompt_chars=0), True),
        ("{attachments: true}", request(attachments=("image",)), True),
        ("{attachments: true}", request(), False),
        ("{attachments: false}", request(), True),
        ("{attachments: [file, audio]}", request(attachments=("image",)), False),
        ("{attachments: [file, audio]}", request(attachments=("image", "file")), True),
        ("{server_references: true}", request(server_references=("file_id",)), True),
        ("{server_references: [cachedContent]}", request(server_references=("file_id",)), False),
    ],
)
def test_leaf_conditions(condition: str, req: PolicyInput, expected: bool) -> None:
    assert matches(condition, req) is expected


@pytest.mark.parametrize(
    ("condition", "counts", "scores", "expected"),
    [
        ("{entities: {KR_RRN: {min_count: 2}}}", {"KR_RRN": 1}, {}, False),
        ("{entities: {KR_RRN: {min_count: 2}}}", {"KR_RRN": 2}, {}, True),
        ("{entities: {KR_RRN: {min_score: 0.8}}}", {"KR_RRN": 1}, {"KR_RRN": [0.6]}, False),
        ("{entities: {KR_RRN: {min_score: 0.8}}}", {"KR_RRN": 2}, {"KR_RRN": [0.6, 0.9]}, True),
        (
            "{entities: {KR_RRN: {min_count: 2, min_score: 0.8}}}",
            {"KR_RRN": 2},
            {"KR_RRN": [0.6, 0.9]},
            False,
        ),
        # audit records keep counts, not scores: counted findings meet any min_score
        ("{entities: {KR_RRN: {min_score: 0.8}}}", {"KR_RRN": 1}, {}, True),
        # a glob counts the findings of every type it names together
        ("{entities: {'*': {min_count: 3}}}", {"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1}, {}, True),
        ("{entities: {EMAIL_ADDRESS: {min_count: 3}}}", {"EMAIL_ADDRESS": 2}, {}, False),
    ],
)
def test_entity_counts_and_scores(condition, counts, scores, expected) -> None:
    assert matches(condition, request(entity_counts=counts, entity_scores=scores)) is expected


def test_warn_forwards_and_combines_with_edits_but_not_blocks() -> None:
    policy = parse_policy(
        b"""
policy: p
rules:
  - {id: big, when: {prompt_chars: {min: 100}}, action: warn}
  - {id: mail, when: {entities: [EMAIL_ADDRESS]}, action: redact}
  - {id: rrn, when: {entities: [KR_RRN]}, action: block}
  - {id: watch, when: {provider: [openai]}, action: warn, mode: monitor}
""",
        KNOWN,
    )
    only_warn = policy.decide(request(prompt_chars=500))
    assert (only_warn.action, only_warn.rule_ids) == ("warn", ("big",))
    assert [r.id for r in only_warn.warning_rules] == ["big"]
    assert only_warn.monitored_rule_ids == ("watch",)
    edited = policy.decide(request(prompt_chars=500, entity_counts={"EMAIL_ADDRESS": 1}))
    assert edited.action == "redact" and set(edited.rule_ids) == {"mail", "big"}
    assert [r.id for r in edited.warning_rules] == ["big"]
    blocked = policy.decide(request(prompt_chars=500, entity_counts={"KR_RRN": 1}))
    assert (blocked.action, blocked.rule_ids, blocked.warning_rules) == ("block", ("rrn",), ())


def test_entities_under_not_or_unless_are_scanned_but_never_edited() -> None:
    policy = parse_policy(
        b"""
policy: p
rules:
  - id: r
    when: {entities: [EMAIL_ADDRESS], not: {entities: [PHONE_NUMBER]}}
    unless: {entities: [CREDIT_CARD]}
    action: redact
""",
        KNOWN,
    )
    assert policy.rules[0].entities == {"EMAIL_ADDRESS"}
    assert policy.scanned_entities == {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"}
    decision = policy.decide(request(entity_counts={"EMAIL_ADDRESS": 1}))
    assert decision.edits == {"EMAIL_ADDRESS": "redact"}
    assert policy.decide(request(entity_counts={"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1})).action == (
        "allow"
    )
