"""Writing records out for auditors: JSON lines (lossless) or CSV (for spreadsheets).

Both stream: records are written as they are read, so an export of any size
runs in constant memory. CSV cells that a spreadsheet would run as a formula
(starting with ``= + - @``, tab or CR) get a leading apostrophe; several of
these fields (model, path, user, application) are chosen by the client.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO

import orjson

from gateway.audit.format import iso_time
from gateway.audit.record import AuditRecord

__all__ = ["CSV_COLUMNS", "write_csv", "write_jsonl"]

CSV_COLUMNS = (
    "seq", "time", "record_id", "request_id", "user", "groups", "client_address",
    "client_application", "provider", "host", "api", "model", "method", "path",
    "jurisdiction", "endpoint_country", "decision", "status", "upstream_status", "rule_ids",
    "monitored_rule_ids", "entities", "findings", "edits", "input_tokens", "output_tokens",
    "policy_version", "error", "total_ms", "schema_version", "hash",
)  # fmt: skip


def write_jsonl(records: Iterable[AuditRecord], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(orjson.dumps(record.to_dict()).decode() + "\n")
        count += 1
    return count


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _row(r: AuditRecord) -> list[object]:
    usage = r.usage or {}
    findings = "; ".join(f"{f.entity_type}@{f.location}×{f.count}" for f in r.findings)
    values: list[object] = [
        r.seq, iso_time(r.time), r.record_id, r.request_id, r.user, ";".join(r.groups),
        r.client_address, r.client_application, r.provider, r.host, r.api, r.model, r.method,
        r.path, r.jurisdiction, r.endpoint_country, r.decision, r.status, r.upstream_status,
        ";".join(r.rule_ids), ";".join(r.monitored_rule_ids),
        ";".join(f"{k}={n}" for k, n in r.entities.items()), findings,
        ";".join(f"{k}={a}" for k, a in r.edits.items()), usage.get("input_tokens"),
        usage.get("output_tokens"), r.policy_version, r.error, r.timings_ms.get("total"),
        r.schema_version, r.hash,
    ]  # fmt: skip
    return [_cell(v) for v in values]


def write_csv(records: Iterable[AuditRecord], out: IO[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        writer.writerow(_row(record))
        count += 1
    return count
