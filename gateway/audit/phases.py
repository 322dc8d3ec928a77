"""Two records for a forwarded request: an opening before it leaves, a completion after.

A forwarded request is recorded twice, so that a crash can never leave a
request that left without a record:

- the **opening** is the request's record as it is decided (who, where, which
  rules, what was found and edited), made durable before the first byte goes
  upstream. ``details.phase`` is ``open``; the store adds ``details.writer``,
  the id of the gateway process that wrote it, so that a restart can tell its
  own dead predecessor's open records from another live process's;
- the **completion** follows when the answer has ended: ``decision`` is
  ``complete``, ``details.completes`` names the opening's ``record_id`` and
  ``details.outcome`` is ``completed``, or ``unknown`` when a restart closed
  an opening whose process died. It carries the status, token usage, its cost
  (``details.cost``: USD by the price table, null when unknown), error and
  timings, and repeats who and where (so a search by user finds both) but no
  rule or finding of the request, which the opening holds.

A refusal is still one record. Counting requests (``stats``) skips completions,
so a forwarded request counts once; ``merged`` puts a pair back together into
the single record that the first release wrote.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Literal

from gateway.audit.record import AuditRecord, FindingSummary

__all__ = [
    "COMPLETE",
    "Outcome",
    "completion",
    "ended_request",
    "is_completion",
    "is_opening",
    "mark_opening",
    "merged",
    "opening_id",
]

#: the ``decision`` of a completion record
COMPLETE = "complete"
Outcome = Literal["completed", "unknown"]


def mark_opening(record: AuditRecord) -> AuditRecord:
    """Make ``record`` an opening (in place): its outcome follows in a completion."""
    record.details = {**(record.details or {}), "phase": "open"}
    return record


def is_opening(record: AuditRecord) -> bool:
    details = record.details
    return details is not None and details.get("phase") == "open"


def is_completion(record: AuditRecord) -> bool:
    return record.decision == COMPLETE


def opening_id(record: AuditRecord) -> str | None:
    """The ``record_id`` of the opening a completion closes."""
    details = record.details or {}
    found = details.get("completes")
    return found if isinstance(found, str) else None


def completion(
    opening: AuditRecord,
    *,
    record_id: str,
    status: int | None,
    upstream_status: int | None = None,
    usage: dict[str, int] | None = None,
    error: str | None = None,
    timings_ms: dict[str, float] | None = None,
    outcome: Outcome = "completed",
    at: float | None = None,
    findings: list[FindingSummary] | None = None,
    response: dict[str, Any] | None = None,
    cost: dict[str, Any] | None = None,
) -> AuditRecord:
    """The record that closes ``opening``: its end, and who and where it was again.

    What the rules judging the answer found (``findings`` with direction
    ``response``, and ``response`` for ``details.response``) belongs here: the
    answer did not exist when the opening was written.
    """
    details: dict[str, Any] = {"completes": opening.record_id, "outcome": outcome}
    if response:
        details["response"] = response
    if cost is not None:
        details["cost"] = cost
    return AuditRecord(
        record_id=record_id,
        time=time.time() if at is None else at,
        request_id=opening.request_id,
        client_address=opening.client_address,
        user=opening.user,
        provider=opening.provider,
        api=opening.api,
        model=opening.model,
        method=opening.method,
        path=opening.path,
        decision=COMPLETE,
        status=status,
        upstream_status=upstream_status,
        policy_version=opening.policy_version,
        error=error,
        timings_ms=dict(timings_ms or {}),
        groups=list(opening.groups),
        client_application=opening.client_application,
        host=opening.host,
        jurisdiction=opening.jurisdiction,
        endpoint_country=opening.endpoint_country,
        usage=usage,
        findings=list(findings or ()),
        details=details,
    )


def merged(opening: AuditRecord, completion: AuditRecord | None) -> AuditRecord:
    """One record for the request, as a single-record trail would have held it.

    Without a completion (the request is still in flight) the opening is
    returned unchanged. Chain fields are the completion's, since it is newer.
    """
    if completion is None:
        return opening
    details = {k: v for k, v in (opening.details or {}).items() if k not in ("phase", "writer")}
    outcome = (completion.details or {}).get("outcome")
    if outcome != "completed":  # what the first release could not have said
        details["outcome"] = outcome
    for carried in ("response", "cost"):
        if (completion.details or {}).get(carried):
            details[carried] = completion.details[carried]  # type: ignore[index]
    return replace(
        opening,
        status=completion.status,
        upstream_status=completion.upstream_status,
        usage=completion.usage,
        error=completion.error,
        timings_ms={**opening.timings_ms, **completion.timings_ms},
        findings=[*opening.findings, *completion.findings],
        details=details or None,
        seq=completion.seq,
        prev_hash=completion.prev_hash,
        hash=completion.hash,
    )


def ended_request(records: Iterable[AuditRecord], request_id: str) -> AuditRecord | None:
    """The record of a request that has ended: its refusal, or its pair merged.

    None while it is unknown or still in flight (an opening without completion).
    """
    opening: AuditRecord | None = None
    closing: AuditRecord | None = None
    for record in records:
        if record.request_id != request_id:
            continue
        if is_completion(record):
            closing = record
        elif is_opening(record):
            opening = record
        else:
            return record
    if opening is None or closing is None:
        return None
    return merged(opening, closing)
