"""Dry run: re-deciding recorded requests with a candidate, counted by user and rule."""

from __future__ import annotations

import itertools

from gateway.audit import AuditRecord
from gateway.detect import SUPPORTED_ENTITIES
from gateway.policy import parse_policy
from gateway.providers.catalog import build_providers, load_catalog
from gateway.rollout.dryrun import dry_run, reconstruct
from tests.support.rollout import BASE_POLICY, STRICT_POLICY

PROVIDERS = build_providers(load_catalog(), {}, {})
_ids = itertools.count()

ACTIVE = parse_policy(BASE_POLICY.encode(), SUPPORTED_ENTITIES)
# The candidate blocks resident numbers, and stops refusing Chinese services (AQ: no one).
CANDIDATE = parse_policy(
    STRICT_POLICY.replace("[CN]", "[AQ]").encode().replace(b"base", b"candidate"),
    SUPPORTED_ENTITIES,
)


def record(
    user: str | None,
    entities: dict[str, int] | None = None,
    provider: str | None = "openai",
    decision: str = "allow",
    version: str | None = None,
) -> AuditRecord:
    number = next(_ids)
    return AuditRecord(
        record_id=f"r{number}",
        time=1000.0 + number,
        request_id=f"q{number}",
        client_address="127.0.0.1",
        user=user,
        provider=provider,
        api="chat" if provider else None,
        model="gpt-4o",
        method="POST",
        path="/v1/chat/completions",
        decision=decision,
        entities=entities or {},
        policy_version=version or ACTIVE.version,
    )


def test_more_and_fewer_blocked_are_counted_by_user_and_rule() -> None:
    records = [
        record("alice", {"KR_RRN": 1}),
        record("alice", {"KR_RRN": 2, "EMAIL_ADDRESS": 1}, decision="redact"),
        record("bob", {"KR_RRN": 1}),
        record("carol", {"EMAIL_ADDRESS": 1}, decision="redact"),
        record("dave", provider="deepseek", decision="block"),
        record(None),
    ]
    report = dry_run(records, ACTIVE, CANDIDATE, PROVIDERS, since=0, until=2000)
    assert report.evaluated == 6 and report.skipped == 0
    assert report.more_blocked == 3
    assert dict(report.more_blocked_by_user) == {"alice": 2, "bob": 1}
    assert dict(report.more_blocked_by_rule) == {"block-rrn": 3}
    assert report.fewer_blocked == 1
    assert dict(report.fewer_blocked_by_user) == {"dave": 1}
    assert dict(report.fewer_blocked_by_rule) == {"no-cn": 1}
    assert report.blocked_now == 1 and report.blocked_candidate == 3
    assert report.action_changes["allow → block"] == 2
    assert report.action_changes["redact → block"] == 1
    assert report.summary.startswith("Over 6 recorded request(s), this change would have blocked 3")
    # Every record was made under the active version and re-decides as it was recorded.
    assert (report.reconstruction_checked, report.reconstruction_matched) == (6, 6)


def test_records_without_a_policy_decision_are_skipped_not_guessed() -> None:
    records = [
        record("alice", decision="error"),  # e.g. malformed JSON, refused before the policy
        record("bob", provider=None, decision="error"),
        record("carol", provider="no-such-provider"),
    ]
    report = dry_run(records, ACTIVE, CANDIDATE, PROVIDERS, since=0, until=2000)
    assert (report.records, report.evaluated, report.skipped) == (3, 0, 3)
    assert "nothing to compare" in report.summary
    assert reconstruct(records[0], PROVIDERS) is None


def test_newly_scanned_entities_are_named_as_a_blind_spot() -> None:
    report = dry_run([], ACTIVE, CANDIDATE, PROVIDERS, since=0, until=1)
    assert any("KR_RRN" in caveat for caveat in report.caveats)
    same = dry_run([], ACTIVE, ACTIVE, PROVIDERS, since=0, until=1)
    assert same.caveats == []


def test_a_record_made_under_another_version_is_not_used_to_check_fidelity() -> None:
    old = record("alice", {"KR_RRN": 1}, decision="block", version="0123456789abcdef")
    report = dry_run([old], ACTIVE, ACTIVE, PROVIDERS, since=0, until=2000)
    assert report.reconstruction_checked == 0
    assert report.more_blocked == report.fewer_blocked == 0
    assert report.summary == "no change in decisions over 1 recorded request(s)"


def test_the_caller_and_what_was_attached_are_rebuilt_from_the_record() -> None:
    """A candidate that refuses the interns' attachments is judged on recorded facts."""
    candidate = parse_policy(
        b"policy: interns\ngroups: [interns]\nrules:\n"
        b"  - {id: no-intern-files, when: {groups: [interns], attachments: true}, action: block}\n",
        SUPPORTED_ENTITIES,
    )
    sent_files = record("kim")
    sent_files.groups = ["interns"]
    sent_files.details = {"attachments": ["file"]}
    text_only = record("lee")
    text_only.groups = ["interns"]
    staff = record("park")
    staff.groups = ["staff"]
    staff.details = {"attachments": ["image"]}
    rebuilt = reconstruct(sent_files, PROVIDERS)
    assert rebuilt is not None
    assert rebuilt.groups == ("interns",) and not rebuilt.anonymous
    assert rebuilt.attachments == ("file",)
    report = dry_run(
        [sent_files, text_only, staff], ACTIVE, candidate, PROVIDERS, since=0, until=2000
    )
    assert report.more_blocked == 1
    assert report.more_blocked_by_user == {"kim": 1}


MASKING = """
policy: answers-masked
rules:
  - id: mask-cards-in-answers
    when: { entities: [CREDIT_CARD] }
    direction: response
    action: mask
"""


def test_recorded_answers_are_replayed_by_the_answer_rules() -> None:
    masking = parse_policy(MASKING.encode(), SUPPORTED_ENTITIES)
    blocking = parse_policy(
        MASKING.replace("action: mask", "action: block").replace("masked", "blocked").encode(),
        SUPPORTED_ENTITIES,
    )
    answered = record("alice")
    answered.details = {"response": {"action": "mask", "entities": {"CREDIT_CARD": 1}}}
    quiet = record("bob")  # nothing found in its answer: nothing recorded, nothing replayed
    report = dry_run([answered, quiet], masking, blocking, PROVIDERS, since=0, until=2000)
    assert report.answers_evaluated == 1
    assert dict(report.answer_changes) == {"mask → block": 1}
    assert "would have treated 1 answer(s) differently (mask → block: 1)" in report.summary
    assert report.to_dict()["answers"] == {"evaluated": 1, "changes": {"mask → block": 1}}
    assert report.more_blocked == 0  # requests are judged as before


def test_answer_rules_of_a_candidate_are_a_blind_spot_when_none_were_recorded() -> None:
    masking = parse_policy(MASKING.encode(), SUPPORTED_ENTITIES)
    report = dry_run([], ACTIVE, masking, PROVIDERS, since=0, until=1)
    assert any("does not read answers" in caveat for caveat in report.caveats)


def test_a_limited_record_is_redecided_but_not_a_reconstruction_check() -> None:
    from gateway.audit import AuditRecord
    from gateway.policy import parse_policy

    policy = parse_policy(b"policy: p\n", {"EMAIL_ADDRESS"})
    record = AuditRecord(
        record_id="r", time=1.0, request_id="q", client_address=None, user="kim",
        provider="openai", api="chat", model="gpt-4o", method="POST", path="/v1/chat/completions",
        decision="limited", status=429, rule_ids=["rpm"], policy_version=policy.version,
    )  # fmt: skip
    report = dry_run([record], policy, policy, PROVIDERS, since=0, until=2)
    assert report.evaluated == 1 and report.reconstruction_checked == 0
