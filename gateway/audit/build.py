"""Turning a finished exchange into its audit record, on the request path.

Everything here runs once per request on the event loop, so it stays a few
microseconds: no I/O, no JSON. Matched values are read only to feed a keyed
HMAC (``Fingerprinter``); the record keeps the truncated digest, never the value.
Strings the client chose (model, path, application, method) are bounded and
stripped of NUL, which PostgreSQL refuses and which would otherwise wedge a whole
batch. They are the caller's labels (``gateway/labels.py``): scanned like the
body, recorded with every finding replaced by ``<ENTITY>``; a path that was not
forwarded keeps only its word-like segments (``*`` for the rest), an application
name shaped like a token is ``*``, a method outside the standard ones ``_OTHER``.
Finding locations never carry a caller-chosen object key (``Segment.location``),
nor a key in which something was found.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gateway.audit.canonical import canonical_value
from gateway.audit.record import AuditRecord, FindingSummary
from gateway.detect.findings import joined_values
from gateway.labels import recorded_application, recorded_method, recorded_path

if TYPE_CHECKING:
    from gateway.audit.evidence import EvidenceSealer
    from gateway.exchange import Exchange

__all__ = [
    "MAX_FINGERPRINTS",
    "AuditKeys",
    "Fingerprinter",
    "answer_findings",
    "answer_judgement",
    "build_record",
]

#: distinct values fingerprinted per entity type and location
MAX_FINGERPRINTS = 16
_MAX_TEXT = 512


class Fingerprinter:
    """HMAC-SHA256 of a matched value under the audit key, as 32 hex digits.

    Without the key nobody can test a guess against a fingerprint, which a
    plain hash of a phone number or ID would allow in seconds. Given its
    entity type, the value is first put in canonical form (``canonical.py``),
    so every spelling of one number gives one fingerprint.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, value: str, entity_type: str | None = None) -> str:
        if entity_type is not None:
            value = canonical_value(entity_type, value)
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class AuditKeys:
    """The keys a record is made with: fingerprints always, sealed evidence if configured."""

    fingerprint: Fingerprinter | None = None
    sealer: EvidenceSealer | None = None


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


@functools.lru_cache(maxsize=256)  # a provider's base URL: a few per configuration
def _host(base_url: str | None) -> str | None:
    if not base_url:
        return None
    try:
        return urlsplit(base_url).hostname
    except ValueError:
        return None


def _evidence(exchange: Exchange) -> list[dict[str, Any]]:
    """The matched values themselves: only ever handed to the sealer."""
    min_score = exchange.policy.min_score
    return [
        {
            "entity_type": finding.entity_type,
            "location": segment.location,
            "value": segment.text[finding.start : finding.end],
            "score": round(finding.score, 4),
        }
        for segment, found in zip(exchange.segments, exchange.findings, strict=False)
        for finding in found
        if finding.score >= min_score
    ]


def _flagged_keys(exchange: Exchange) -> frozenset[str]:
    """Object keys in which something was found: never written in a location."""
    return frozenset(
        segment.text
        for segment, found in zip(exchange.segments, exchange.findings, strict=False)
        if found and segment.form == "key"
    )


def _findings(exchange: Exchange, fingerprint: Fingerprinter | None) -> list[FindingSummary]:
    min_score = exchange.policy.min_score
    summaries: dict[tuple[str, str], FindingSummary] = {}
    # a value split across places is fingerprinted whole, at each place it was found
    split = fingerprint is not None and any(f.joined for found in exchange.findings for f in found)
    wholes = joined_values([s.text for s in exchange.segments], exchange.findings) if split else {}
    flagged: frozenset[str] | None = None
    for segment, found in zip(exchange.segments, exchange.findings, strict=False):
        if not found:
            continue
        location: str | None = None
        for finding in found:
            if finding.score < min_score:
                continue
            if location is None:
                if flagged is None:
                    flagged = _flagged_keys(exchange)
                location = _clean(segment.located(flagged)) or ""
            key = (finding.entity_type, location)
            summary = summaries.get(key)
            if summary is None:
                summary = summaries[key] = FindingSummary(finding.entity_type, location, 0, 0.0)
            summary.count += 1
            summary.max_score = max(summary.max_score, round(finding.score, 4))
            if finding.source and (
                finding.source in summary.sources or len(summary.sources) < MAX_FINGERPRINTS
            ):
                known = summary.sources.get(finding.source, 0)
                summary.sources[finding.source] = max(known, finding.matched)
            if fingerprint is not None and len(summary.fingerprints) < MAX_FINGERPRINTS:
                value = wholes.get(finding.joined) or segment.text[finding.start : finding.end]
                digest = fingerprint(value, finding.entity_type)
                if digest not in summary.fingerprints:
                    summary.fingerprints.append(digest)
    return list(summaries.values())


def build_record(
    exchange: Exchange,
    decision: str,
    status: int | None,
    error: str | None,
    *,
    keys: AuditKeys | None = None,
    usage: dict[str, int] | None = None,
    rule_ids: list[str] | None = None,
) -> AuditRecord:
    """The record of ``exchange`` as it stands; ``rule_ids`` overrides the decision's."""
    from gateway.exchange import new_request_id

    chosen = exchange.decision
    provider = exchange.provider
    subject = exchange.subject
    keys = keys or _NO_KEYS
    record_id = new_request_id()
    evidence = None
    if keys.sealer is not None and exchange.findings and (found := _evidence(exchange)):
        evidence = keys.sealer.seal(found, record_id)
    return AuditRecord(
        record_id=record_id,
        time=time.time(),
        request_id=exchange.request_id,
        client_address=subject.address or exchange.client_address,
        user=_clean(subject.user),
        provider=provider.id if provider else None,
        api=exchange.endpoint.api if exchange.endpoint else None,
        model=_clean(_recorded_model(exchange)),
        method=recorded_method(exchange.method),
        path=_clean(recorded_path(exchange)) or "",
        decision=decision,
        status=status,
        upstream_status=exchange.upstream_status,
        rule_ids=list(rule_ids if rule_ids is not None else chosen.rule_ids if chosen else ()),
        monitored_rule_ids=list(chosen.monitored_rule_ids) if chosen else [],
        entities=dict(exchange.entity_counts),
        policy_version=exchange.policy.version,
        error=error,
        timings_ms=dict(exchange.timings_ms),
        groups=[g for g in (_clean(g) for g in subject.groups) if g],
        client_application=recorded_application(exchange),
        host=_host(provider.base_url) if provider else None,
        jurisdiction=provider.entry.jurisdiction if provider else None,
        # Resolved only when the policy tests `endpoint.ip_country`.
        endpoint_country=exchange.endpoint_country,
        findings=_findings(exchange, keys.fingerprint) + _answer_findings(exchange, keys),
        edits=dict(chosen.edits) if chosen and decision not in ("block", "limited") else {},
        usage=usage,
        details=_request_details(exchange),
        evidence=evidence,
    )


_NO_KEYS = AuditKeys()


def _recorded_model(exchange: Exchange) -> str | None:
    if exchange.audit_model is not None:  # something was found in it
        return exchange.audit_model
    return exchange.model if exchange.scanned else None


def _request_details(exchange: Exchange) -> dict[str, Any] | None:
    """Kinds and sizes only: what was attached, uploaded or referred to, and identity
    headers ignored."""
    details: dict[str, Any] = {
        "uploads": list(exchange.uploads),
        "attachments": sorted(set(exchange.attachments)),
        # each inline file: kind, bytes, characters read (or why it could not be)
        "files": exchange.files,
        "uninspectable_attachments": list(exchange.uninspectable_attachments),
        "server_references": sorted(set(exchange.server_references)),
        "ignored_identity_headers": sorted(set(exchange.ignored_identity_headers)),
    }
    kept: dict[str, Any] = {key: value for key, value in details.items() if value}
    if exchange.limit_note is not None:  # limited, or let through unchecked
        kept["limits"] = exchange.limit_note
    judged = answer_judgement(exchange)
    if judged is not None:
        kept["response"] = judged
    return kept or None


def answer_judgement(exchange: Exchange) -> dict[str, Any] | None:
    """``details.response``: what the rules judging the answer found and did, if anything."""
    answer = exchange.answer
    # the rules judging answers read this one and found something (else nothing to say)
    if answer is None or not (answer.entity_counts or answer.rule_ids or answer.blocked):
        return None
    judged: dict[str, Any] = {"action": answer.action}
    for name, value in (
        ("rule_ids", answer.rule_ids),
        ("monitored_rule_ids", answer.monitored_rule_ids),
        ("entities", answer.entity_counts),
        ("edits", answer.edits),
        ("blocked", answer.blocked),
    ):
        if value:
            judged[name] = list(value) if isinstance(value, list) else value
    return judged


def answer_findings(exchange: Exchange, keys: AuditKeys | None = None) -> list[FindingSummary]:
    """The answer's findings, for the completion of a forwarded request."""
    return _answer_findings(exchange, keys or _NO_KEYS)


def _answer_findings(exchange: Exchange, keys: AuditKeys) -> list[FindingSummary]:
    """What was found in the answer, per type and place, fingerprinted like the request's."""
    answer = exchange.answer
    if answer is None or not answer.found:
        return []
    fingerprint = keys.fingerprint
    return [
        FindingSummary(
            entity,
            _clean(location) or "",
            found.count,
            found.max_score,
            [fingerprint(value) for value in found.values] if fingerprint is not None else [],
            direction="response",
        )
        for (entity, location), found in answer.found.items()
    ]
