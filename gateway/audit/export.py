"""Writing records out for auditors: JSON lines (lossless) or CSV (for spreadsheets).

Both stream: records are written as they are read, so an export of any size
runs in constant memory. CSV cells that a spreadsheet would run as a formula
(starting with ``= + - @``, tab or CR) get a leading apostrophe; several of
these fields (model, path, user, application) are chosen by the client.

CSV is made for Excel as Korean offices run it: UTF-8 with a byte-order mark
by default (without one Excel reads UTF-8 as the local code page and Korean
turns to mojibake), or CP949 on request (characters CP949 lacks become
``?``); times are ``2026-01-31 09:00:00`` in the review zone, a form Excel
parses as a date, with the offset in a column of its own.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from datetime import UTC, tzinfo
from typing import IO, TYPE_CHECKING

import orjson

from gateway.audit.record import AuditRecord
from gateway.audit.timezone import excel_time

if TYPE_CHECKING:
    from gateway.audit.query import AuditFilter
    from gateway.audit.sqlstore import SQLAuditStore

__all__ = [
    "CSV_COLUMNS",
    "CSV_ENCODINGS",
    "csv_lines",
    "encode_lines",
    "matching",
    "write_jsonl",
]

#: what ``--encoding``/``encoding=`` accept: the codec, and how unencodable text is written
CSV_ENCODINGS = {"utf-8-sig": "strict", "utf-8": "strict", "cp949": "replace"}

CSV_COLUMNS = (
    "seq", "time", "utc_offset", "record_id", "request_id", "user", "groups", "client_address",
    "client_application", "provider", "host", "api", "model", "method", "path",
    "jurisdiction", "endpoint_country", "decision", "status", "upstream_status", "rule_ids",
    "monitored_rule_ids", "entities", "findings", "edits", "input_tokens", "output_tokens",
    "policy_version", "error", "total_ms", "schema_version", "hash",
)  # fmt: skip


def matching(store: SQLAuditStore, where: AuditFilter, page: int = 1000) -> Iterator[AuditRecord]:
    """Every record ``where`` matches, oldest first, read a page at a time."""
    cursor = None
    while True:
        found = store.search(where, limit=page, cursor=cursor, order="asc")
        yield from found.records
        if found.next_cursor is None:
            return
        cursor = found.next_cursor


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


def _row(r: AuditRecord, zone: tzinfo) -> list[object]:
    usage = r.usage or {}
    when, offset = excel_time(r.time, zone)
    findings = "; ".join(f"{f.entity_type}@{f.location}×{f.count}" for f in r.findings)
    values: list[object] = [
        r.seq, when, offset, r.record_id, r.request_id, r.user, ";".join(r.groups),
        r.client_address, r.client_application, r.provider, r.host, r.api, r.model, r.method,
        r.path, r.jurisdiction, r.endpoint_country, r.decision, r.status, r.upstream_status,
        ";".join(r.rule_ids), ";".join(r.monitored_rule_ids),
        ";".join(f"{k}={n}" for k, n in r.entities.items()), findings,
        ";".join(f"{k}={a}" for k, a in r.edits.items()), usage.get("input_tokens"),
        usage.get("output_tokens"), r.policy_version, r.error, r.timings_ms.get("total"),
        r.schema_version, r.hash,
    ]  # fmt: skip
    return [_cell(v) for v in values]


def csv_lines(records: Iterable[AuditRecord], zone: tzinfo = UTC) -> Iterator[str]:
    """The header, then one line per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows: Iterable[list[object]] = itertools.chain(
        [list(CSV_COLUMNS)], (_row(r, zone) for r in records)
    )
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def encode_lines(lines: Iterable[str], encoding: str) -> Iterator[bytes]:
    """Lines as bytes in one of ``CSV_ENCODINGS`` (``utf-8-sig`` starts with the BOM)."""
    errors = CSV_ENCODINGS[encoding]
    if encoding == "utf-8-sig":
        yield codecs.BOM_UTF8
        encoding = "utf-8"
    for line in lines:
        yield line.encode(encoding, errors)
