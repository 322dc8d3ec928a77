"""The audit record: one per decision, and never a raw value."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AuditRecord"]


@dataclass(slots=True)
class AuditRecord:
    """What the gateway decided about one request, and why.

    ``entities`` maps an entity type to how many findings of it counted for the
    decision; the matched text is deliberately absent. ``error`` holds an error
    *kind* (an exception class name or a short code), never a message that could
    quote the request.
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
    decision: str  # allow | redact | block | error
    status: int | None = None  # status sent to the client
    upstream_status: int | None = None
    rule_ids: list[str] = field(default_factory=list)
    monitored_rule_ids: list[str] = field(default_factory=list)
    entities: dict[str, int] = field(default_factory=dict)
    policy_version: str | None = None
    error: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
