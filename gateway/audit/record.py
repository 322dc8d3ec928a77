"""The audit record: one per decision, and never a raw value.

The record is versioned (``SCHEMA_VERSION``, documented in ``docs/audit.md``).
Its dictionary form (``to_dict``) is what stores, exports and the admin API
carry, and what the hash chain hashes, so it must round-trip exactly through
every store: plain JSON types only, no tuples that come back as lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SCHEMA_VERSION", "AuditRecord", "FindingSummary"]

#: version of the record's fields (not of a store's tables)
SCHEMA_VERSION = 2


@dataclass(slots=True)
class FindingSummary:
    """What was found of one entity type at one place of the request.

    ``fingerprints`` are keyed HMACs of the distinct matched values (truncated),
    so that the same value seen twice can be correlated without being stored.
    """

    entity_type: str
    location: str  # e.g. "messages[2].content"
    count: int
    max_score: float
    fingerprints: list[str] = field(default_factory=list)
    #: in the request, or in the provider's answer (``choices[0].message.content``)
    direction: str = "request"
    #: company findings: registered table or document name → fields or tokens matched
    sources: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "entity_type": self.entity_type,
            "location": self.location,
            "count": self.count,
            "max_score": self.max_score,
            "fingerprints": list(self.fingerprints),
        }
        # Written only for answers: a record without answer findings hashes as before.
        if self.direction != "request":
            data["direction"] = self.direction
        if self.sources:  # likewise only for company findings
            data["sources"] = dict(self.sources)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FindingSummary:
        return cls(
            entity_type=data["entity_type"],
            location=data["location"],
            count=data["count"],
            max_score=data["max_score"],
            fingerprints=list(data.get("fingerprints", [])),
            direction=data.get("direction", "request"),
            sources=dict(data.get("sources") or {}),
        )


@dataclass(slots=True)
class AuditRecord:
    """What the gateway decided about one request, and why.

    ``entities`` maps an entity type to how many findings of it counted for the
    decision; ``findings`` says where they were. The matched text is deliberately
    absent. ``error`` holds an error *kind* (an exception class name or a short
    code), never a message that could quote the request. ``seq``, ``prev_hash``
    and ``hash`` are set by the store's single writer when it chains the record.
    """

    record_id: str
    time: float  # unix seconds, UTC
    request_id: str
    client_address: str | None
    user: str | None
    provider: str | None
    api: str | None
    model: str | None
    method: str
    path: str
    decision: str  # allow | redact | pseudonymize | hash | mask | block | limited | error | purge
    status: int | None = None  # status sent to the client
    upstream_status: int | None = None
    rule_ids: list[str] = field(default_factory=list)
    monitored_rule_ids: list[str] = field(default_factory=list)
    entities: dict[str, int] = field(default_factory=dict)
    policy_version: str | None = None
    error: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    # -- schema version 2 ------------------------------------------------------
    groups: list[str] = field(default_factory=list)
    client_application: str | None = None
    host: str | None = None  # the upstream host the request went (or would go) to
    jurisdiction: str | None = None  # the provider operator's country
    endpoint_country: str | None = None  # the resolved endpoint address's country
    findings: list[FindingSummary] = field(default_factory=list)
    edits: dict[str, str] = field(default_factory=dict)  # entity type → edit action
    usage: dict[str, int] | None = None  # token counts, when the provider reports them
    #: administrative events (a purge); for requests, the kinds of attachments and
    #: server references it carried and identity headers ignored (names, never values),
    #: and ``response``: what the rules judging answers found and did (docs/audit.md)
    details: dict[str, Any] | None = None
    evidence: str | None = None  # matched values sealed to the responders' key (optional)
    schema_version: int = SCHEMA_VERSION
    seq: int | None = None
    prev_hash: str | None = None
    hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types, in a stable shape; the chain hashes this (minus ``hash``)."""
        return {
            "schema_version": self.schema_version,
            "seq": self.seq,
            "record_id": self.record_id,
            "time": self.time,
            "request_id": self.request_id,
            "client_address": self.client_address,
            "client_application": self.client_application,
            "user": self.user,
            "groups": list(self.groups),
            "provider": self.provider,
            "host": self.host,
            "api": self.api,
            "model": self.model,
            "method": self.method,
            "path": self.path,
            "jurisdiction": self.jurisdiction,
            "endpoint_country": self.endpoint_country,
            "decision": self.decision,
            "status": self.status,
            "upstream_status": self.upstream_status,
            "rule_ids": list(self.rule_ids),
            "monitored_rule_ids": list(self.monitored_rule_ids),
            "entities": dict(self.entities),
            "findings": [f.to_dict() for f in self.findings],
            "edits": dict(self.edits),
            "usage": None if self.usage is None else dict(self.usage),
            "policy_version": self.policy_version,
            "error": self.error,
            "timings_ms": dict(self.timings_ms),
            "details": self.details,
            "evidence": self.evidence,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditRecord:
        """The inverse of ``to_dict``; a version 1 dictionary gets version 2 defaults."""
        values = dict(data)
        values["findings"] = [FindingSummary.from_dict(f) for f in values.get("findings") or []]
        values.setdefault("schema_version", 1)
        for name in ("groups", "rule_ids", "monitored_rule_ids"):
            values[name] = list(values.get(name) or [])
        for name in ("entities", "edits", "timings_ms"):
            values[name] = dict(values.get(name) or {})
        return cls(**values)
