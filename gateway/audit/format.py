"""One human line per audit record, for ``haetae audit tail``.

Only record fields appear, and client-supplied strings (user, model, ids) are
escaped so that a crafted value can't smuggle control sequences into a terminal.
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from gateway.audit.record import AuditRecord
from gateway.audit.timezone import local_iso

__all__ = ["format_record_line", "iso_time"]

_DECISION_WIDTH = 6  # len("redact"), the longest decision


def _clean(value: object) -> str:
    """Escape anything unprintable, so one record stays one line of plain text."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def iso_time(seconds: float, zone: tzinfo = UTC) -> str:
    """ISO 8601 in ``zone`` (``Z`` for UTC), to the millisecond."""
    return _clean(local_iso(seconds, zone))


def _or_dash(value: object | None) -> str:
    return "-" if value is None or value == "" else _clean(value)


def format_record_line(record: AuditRecord, zone: tzinfo = UTC) -> str:
    """Time, decision, status, route, rules, entity counts (the answer's after
    ``answer=``), client, request id, total ms."""
    route = "/".join(_or_dash(v) for v in (record.provider, record.api, record.model))
    parts = [
        iso_time(record.time, zone),
        _clean(record.decision).ljust(_DECISION_WIDTH),
        _or_dash(record.status).rjust(3),
        route,
        "rules=" + (",".join(_clean(r) for r in record.rule_ids) or "-"),
    ]
    if record.monitored_rule_ids:
        parts.append("monitored=" + ",".join(_clean(r) for r in record.monitored_rule_ids))
    if record.entities:
        parts.append(" ".join(f"{_clean(k)}×{n}" for k, n in record.entities.items()))
    answer = (record.details or {}).get("response")
    if isinstance(answer, dict):  # what the rules judging the answer found and did
        found = answer.get("entities") or {}
        counts = " ".join(f"{_clean(k)}×{n}" for k, n in found.items())
        parts.append(
            f"answer={_clean(answer.get('action', '-'))}" + (f" {counts}" if counts else "")
        )
    if record.user:
        parts.append(f"user={_clean(record.user)}")
    parts.append(f"client={_or_dash(record.client_address)}")
    parts.append(f"req={_clean(record.request_id)}")
    if record.error:
        parts.append(f"error={_clean(record.error)}")
    total = record.timings_ms.get("total")
    parts.append("-" if total is None else f"{total:.1f}ms")
    return "  ".join(parts)
