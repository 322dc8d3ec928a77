"""Audit records in the shapes a SIEM reads: RFC 5424 syslog (JSON or CEF), Splunk
HEC events, and signed webhook batches.

Records never hold a raw value (``gateway/audit/record.py``); the sealed
``evidence`` is left out too, since a SIEM is not among its readers. Every shape
starts from ``exported``, so the sinks cannot disagree about what leaves.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

from gateway.audit.record import AuditRecord
from gateway.audit.syslog_frame import syslog_message

__all__ = [
    "CEF_SEVERITY",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "cef_line",
    "exported",
    "signature",
    "splunk_event",
    "syslog_frame",
    "webhook_body",
]

#: record fields a SIEM never receives
_WITHHELD = frozenset({"evidence"})

#: CEF severity (0–10) per decision: what a SOC analyst triages first
CEF_SEVERITY = {
    "block": 7,
    "error": 5,
    "redact": 4,
    "mask": 4,
    "pseudonymize": 4,
    "hash": 4,
    "purge": 6,
    "allow": 1,
}
#: syslog severity (RFC 5424 §6.2.1) per decision
_SYSLOG_SEVERITY = {"block": 4, "error": 3, "purge": 5, "allow": 6}  # warning, err, notice, info
_NOTICE = 5

SIGNATURE_HEADER = "X-Haetae-Signature"
TIMESTAMP_HEADER = "X-Haetae-Timestamp"


def exported(record: AuditRecord) -> dict[str, Any]:
    """The record as every sink sends it: its stored form without withheld fields."""
    return {key: value for key, value in record.to_dict().items() if key not in _WITHHELD}


def syslog_frame(
    record: AuditRecord,
    *,
    facility: int,
    hostname: str,
    app_name: str,
    message_format: str,
    product_version: str,
) -> bytes:
    """One RFC 5424 message, octet-counted for TCP and TLS transport (RFC 6587, 5425).

    The MSG part is the record as JSON, or a CEF line; both are UTF-8, which RFC
    5424 asks to announce with a byte order mark.
    """
    severity = _SYSLOG_SEVERITY.get(record.decision, _NOTICE)
    if message_format == "cef":
        body = cef_line(record, product_version=product_version)
    else:
        body = orjson.dumps(exported(record)).decode()
    return syslog_message(
        priority=facility * 8 + severity,
        at=record.time,
        hostname=hostname,
        app_name=app_name,
        msgid=f"haetae.{record.decision}",
        body=body,
    )


def _cef_header(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _cef_value(value: object) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text.replace("\\", "\\\\").replace("=", "\\=").replace("\r", "\\r").replace("\n", "\\n")


def cef_line(record: AuditRecord, *, product_version: str) -> str:
    """The record as ArcSight Common Event Format: a header, then ``key=value`` pairs.

    Standard keys where CEF has one (``suser``, ``src``, ``dhost``, ``act``,
    ``rt``); the rest in labelled custom strings, so a SIEM's CEF parser keeps
    them without a custom mapping.
    """
    decision = record.decision
    name = f"AI request {decision}"
    header = "|".join(
        _cef_header(part)
        for part in (
            "CEF:0",
            "Haetae",
            "Haetae AI gateway",
            product_version,
            f"haetae:{decision}",
            name,
            str(CEF_SEVERITY.get(decision, 3)),
        )
    )
    extension: list[tuple[str, object]] = [
        ("rt", int(record.time * 1000)),
        ("act", decision),
        ("externalId", record.request_id),
        ("requestMethod", record.method),
        ("request", record.path),
    ]
    optional: list[tuple[str, object | None]] = [
        ("suser", record.user),
        ("src", record.client_address),
        ("dhost", record.host),
        ("requestClientApplication", record.client_application),
        ("cn1", record.status),
        ("cn1Label", "status" if record.status is not None else None),
        ("cs1", ",".join(record.rule_ids) or None),
        ("cs1Label", "rules" if record.rule_ids else None),
        ("cs2", ",".join(f"{k}:{v}" for k, v in sorted(record.entities.items())) or None),
        ("cs2Label", "entities" if record.entities else None),
        ("cs3", record.provider),
        ("cs3Label", "provider" if record.provider else None),
        ("cs4", record.model),
        ("cs4Label", "model" if record.model else None),
        ("cs5", record.policy_version),
        ("cs5Label", "policyVersion" if record.policy_version else None),
        ("cs6", record.jurisdiction),
        ("cs6Label", "jurisdiction" if record.jurisdiction else None),
        ("cn2", record.seq),
        ("cn2Label", "seq" if record.seq is not None else None),
        ("reason", record.error),
    ]
    extension += [(key, value) for key, value in optional if value is not None]
    pairs = " ".join(f"{key}={_cef_value(value)}" for key, value in extension)
    return f"{header}|{pairs}"


def splunk_event(
    record: AuditRecord, *, index: str | None, sourcetype: str, source: str, host: str
) -> dict[str, Any]:
    """One event for Splunk's HTTP Event Collector (``/services/collector/event``)."""
    event: dict[str, Any] = {
        "time": round(record.time, 3),
        "host": host,
        "source": source,
        "sourcetype": sourcetype,
        "event": exported(record),
    }
    if index:
        event["index"] = index
    return event


def webhook_body(records: list[AuditRecord]) -> bytes:
    """A batch for the generic webhook: ``{"records": [...]}``, records in chain order."""
    return orjson.dumps({"source": "haetae", "records": [exported(r) for r in records]})


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp.body``, as ``sha256=<hex>``.

    The timestamp is inside the MAC so a receiver can refuse an old batch
    replayed to it; docs/governance.md shows the check.
    """
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"
