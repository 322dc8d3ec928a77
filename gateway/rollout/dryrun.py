"""Dry run: what a candidate policy would have decided about recent traffic.

Each audit record is turned back into the ``PolicyInput`` its request had —
caller (user, groups, address, application), provider, host, API, model, the
endpoint's country when it was resolved, the kinds of attachments and server
references, and the counts of entity types found —
and decided twice: by the active policy, with the provider's jurisdiction and
regions as the active policy's catalog states them, and by the candidate, with
its own catalog (a candidate may add providers or correct their facts; one that
drops a provider the record went to would refuse it as unknown). Comparing the two on the same
reconstructed inputs isolates the effect of the change; comparing the active
policy's re-decision with what was actually recorded (for records made under
the active version) shows how faithful the reconstruction is.

What a record cannot give back, and so what a dry run cannot see:

- entity types the recording policy did not scan, and findings that scored
  below its ``min_score`` (only counts that counted are recorded);
- dictionary terms the candidate adds (the texts are not kept, by design);
- requests refused before the policy ran (bad JSON, unknown provider, audit
  outage): they have no decision to compare;
- a forwarded request's completion record (``gateway/audit/phases.py``): its
  opening holds the decision, and is judged once;
- facts the record does not keep (declared with ``rebuild=None`` in
  ``gateway.policy.fact_table.FACTS``; today ``prompt_chars``), and the scores
  of findings: rules on those are judged as if the request had none (a
  ``min_score`` is met by every recorded finding);
- how the caller signed in: a recorded user counts as signed in;
- limits: counters are not replayed; a request a limit refused (``limited``) is
  re-decided by the rules, but not used to check the reconstruction;
- a router's options in the body (OpenRouter's pinned hosts, fallback models):
  ``model.routed_to_developer`` is judged as if nothing was pinned;
- answers in which nothing was recorded: an answer is replayed (rules with
  ``direction: response`` or ``both``, on the entity types its record's
  ``details.response`` counts) only when the recording policy read answers and
  found something there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.audit import AuditRecord
from gateway.audit.phases import is_completion
from gateway.policy.evaluate import CompiledPolicy, Decision, PolicyInput
from gateway.policy.fact_table import rebuild_input
from gateway.providers.catalog import Provider

__all__ = ["UNKNOWN_PROVIDER_RULE", "DryRunReport", "dry_run", "reconstruct"]

ANONYMOUS = "(anonymous)"
#: blamed when the candidate's catalog no longer has the provider a record went to
UNKNOWN_PROVIDER_RULE = "builtin.unknown-provider"


def reconstruct(record: AuditRecord, providers: Mapping[str, Provider]) -> PolicyInput | None:
    """The policy input of a recorded request, or None when the record has no decision."""
    if record.decision == "error" or record.provider is None or record.api is None:
        return None
    provider = providers.get(record.provider)
    if provider is None:  # a provider since removed from the catalog
        return None
    return rebuild_input(record, provider)


@dataclass(slots=True)
class DryRunReport:
    candidate_version: str
    active_version: str
    since: float
    until: float
    records: int = 0
    evaluated: int = 0
    skipped: int = 0  # refused before the policy ran, or provider no longer known
    blocked_now: int = 0
    blocked_candidate: int = 0
    more_blocked: int = 0
    fewer_blocked: int = 0
    more_blocked_by_user: Counter[str] = field(default_factory=Counter)
    more_blocked_by_rule: Counter[str] = field(default_factory=Counter)
    fewer_blocked_by_user: Counter[str] = field(default_factory=Counter)
    fewer_blocked_by_rule: Counter[str] = field(
        default_factory=Counter
    )  # active rules no longer blocking
    action_changes: Counter[str] = field(default_factory=Counter)  # "allow → redact": n
    #: recorded answers with findings, re-decided by the answer rules of both policies
    answers_evaluated: int = 0
    answer_changes: Counter[str] = field(default_factory=Counter)  # "mask → block": n
    #: records made under the active version whose re-decision matches the record
    reconstruction_checked: int = 0
    reconstruction_matched: int = 0
    caveats: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if not self.evaluated:
            return "no recorded decisions in this period: nothing to compare"
        parts = []
        if self.more_blocked:
            users = len(self.more_blocked_by_user)
            rules = ", ".join(r for r, _ in self.more_blocked_by_rule.most_common(5))
            parts.append(
                f"would have blocked {self.more_blocked} more request(s), "
                f"from {users} user(s), by rule(s) {rules}"
            )
        if self.fewer_blocked:
            parts.append(f"would have let through {self.fewer_blocked} request(s) now blocked")
        changed = sum(self.action_changes.values()) - self.more_blocked - self.fewer_blocked
        if changed:
            parts.append(f"would have changed the edits of {changed} more")
        if self.answer_changes:
            changes = ", ".join(f"{k}: {n}" for k, n in self.answer_changes.most_common())
            answers = sum(self.answer_changes.values())
            parts.append(f"would have treated {answers} answer(s) differently ({changes})")
        if not parts:
            return f"no change in decisions over {self.evaluated} recorded request(s)"
        return f"Over {self.evaluated} recorded request(s), this change " + "; ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "candidate_version": self.candidate_version,
            "active_version": self.active_version,
            "since": self.since,
            "until": self.until,
            "records": self.records,
            "evaluated": self.evaluated,
            "skipped": self.skipped,
            "blocked": {"active": self.blocked_now, "candidate": self.blocked_candidate},
            "more_blocked": self.more_blocked,
            "fewer_blocked": self.fewer_blocked,
            "more_blocked_by_user": dict(self.more_blocked_by_user.most_common()),
            "more_blocked_by_rule": dict(self.more_blocked_by_rule.most_common()),
            "fewer_blocked_by_user": dict(self.fewer_blocked_by_user.most_common()),
            "fewer_blocked_by_rule": dict(self.fewer_blocked_by_rule.most_common()),
            "action_changes": dict(self.action_changes.most_common()),
            "answers": {
                "evaluated": self.answers_evaluated,
                "changes": dict(self.answer_changes.most_common()),
            },
            "reconstruction": {
                "checked": self.reconstruction_checked,
                "matched": self.reconstruction_matched,
            },
            "caveats": self.caveats,
        }


def dry_run(
    records: Iterable[AuditRecord],
    active: CompiledPolicy,
    candidate: CompiledPolicy,
    providers: Mapping[str, Provider],
    *,
    candidate_providers: Mapping[str, Provider] | None = None,
    since: float,
    until: float,
) -> DryRunReport:
    """Re-decide every record with ``active`` and ``candidate`` and count the differences.

    ``providers`` are the active policy's; ``candidate_providers`` the candidate's
    (default: the same).
    """
    report = DryRunReport(candidate.version, active.version, since, until)
    report.caveats = _caveats(active, candidate)
    if candidate_providers is None:
        candidate_providers = providers
    for record in records:
        if is_completion(record):  # the end of a forwarded request; its opening is judged
            continue
        report.records += 1
        request = reconstruct(record, providers)
        if request is None:
            report.skipped += 1
            continue
        report.evaluated += 1
        now = active.decide(request)
        then = _candidate_decision(candidate, record, candidate_providers, providers, request)
        # A `limited` record says what a limit did, not the rules: nothing to check it by.
        if record.policy_version == active.version and record.decision != "limited":
            report.reconstruction_checked += 1
            report.reconstruction_matched += _recorded_action(record) == now.action
        user = record.user or ANONYMOUS
        report.blocked_now += now.action == "block"
        report.blocked_candidate += then.action == "block"
        if now.action != then.action:
            report.action_changes[f"{now.action} → {then.action}"] += 1
        if then.action == "block" and now.action != "block":
            report.more_blocked += 1
            report.more_blocked_by_user[user] += 1
            report.more_blocked_by_rule.update(_blamed(then))
        elif now.action == "block" and then.action != "block":
            report.fewer_blocked += 1
            report.fewer_blocked_by_user[user] += 1
            report.fewer_blocked_by_rule.update(_blamed(now))
        _replay_answer(report, record, active, candidate, request)
    return report


def _replay_answer(
    report: DryRunReport,
    record: AuditRecord,
    active: CompiledPolicy,
    candidate: CompiledPolicy,
    request: PolicyInput,
) -> None:
    """Re-decide the recorded answer, when its record counts what was found in it."""
    answer = (record.details or {}).get("response")
    found = answer.get("entities") if isinstance(answer, dict) else None
    if not isinstance(found, dict) or not found:
        return
    facts = request._replace(entity_counts=found, entity_scores={})
    report.answers_evaluated += 1
    now = active.decide(facts, "response").action
    then = candidate.decide(facts, "response").action
    if now != then:
        report.answer_changes[f"{now} → {then}"] += 1


def _candidate_decision(
    candidate: CompiledPolicy,
    record: AuditRecord,
    candidate_providers: Mapping[str, Provider],
    providers: Mapping[str, Provider],
    request: PolicyInput,
) -> Decision:
    if candidate_providers is not providers:
        request_then = reconstruct(record, candidate_providers)
        if request_then is None:  # the candidate would not route it at all
            return Decision(action="block", rule_ids=(UNKNOWN_PROVIDER_RULE,))
        request = request_then
    return candidate.decide(request)


def _blamed(decision: Decision) -> list[str]:
    return list(decision.rule_ids) or ["default_action"]


def _recorded_action(record: AuditRecord) -> str:
    return record.decision


def _caveats(active: CompiledPolicy, candidate: CompiledPolicy) -> list[str]:
    notes: list[str] = []
    unseen = sorted(candidate.scanned_entities - active.scanned_entities)
    if unseen:
        notes.append(
            "the candidate looks for entity types the active policy does not scan "
            f"({', '.join(unseen)}); records cannot contain them, so requests carrying "
            "them are not counted"
        )
    if candidate.min_score < active.min_score:
        notes.append(
            f"the candidate lowers min_score to {candidate.min_score}; findings scored "
            f"below {active.min_score} were never recorded and are not counted"
        )
    elif candidate.min_score > active.min_score:
        notes.append(
            f"the candidate raises min_score to {candidate.min_score}; recorded counts "
            "include weaker findings, so its decisions are estimated as stricter than real"
        )
    if candidate.inspects_answers and not active.inspects_answers:
        notes.append(
            "the active policy does not read answers, so no answer was recorded: the "
            "candidate's answer rules are not counted"
        )
    return notes
