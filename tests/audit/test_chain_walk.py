"""The chain check's rows-to-hash path gives the hash the records carry, for every shape
of record a store holds, and still finds a record changed in the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from gateway.audit import open_audit_store
from gateway.audit.admin_event import admin_record
from gateway.audit.chain import record_hash
from gateway.audit.chain_walk import chain_links
from gateway.audit.record import AuditRecord, FindingSummary
from gateway.audit.sqlstore import COLUMNS
from gateway.audit.verify import verify_chain
from gateway.dev.bench.audit import generate_records


def _odd_records() -> list[AuditRecord]:
    """The shapes the defaults of ``from_dict`` touch: empty and missing lists and maps,
    findings in answers and from company tables, usage, details, Korean text."""
    base: dict[str, Any] = {
        "time": 1_767_225_600.5, "request_id": "q", "client_address": None, "user": None,
        "provider": None, "api": None, "model": None, "method": "POST", "path": "/",
    }  # fmt: skip
    bare = AuditRecord(record_id="bare", decision="allow", **base)
    findings = [
        FindingSummary("KR_RRN", "messages[0].content", 2, 0.99, ["ab" * 16]),
        FindingSummary("EMAIL_ADDRESS", "choices[0].message.content", 1, 0.5, direction="response"),
        FindingSummary("COMPANY_CUSTOMER", "messages[1].content", 1, 1.0, sources={"c": 2}),
    ]
    full = AuditRecord(
        record_id="full", decision="redact", groups=["재무팀"], rule_ids=["r1", "r2"],
        monitored_rule_ids=["m"], entities={"KR_RRN": 2}, edits={"KR_RRN": "mask"},
        usage={"input_tokens": 12, "output_tokens": 3}, error="Timeout",
        details={"response": {"action": "mask", "entities": {"EMAIL_ADDRESS": 1}}},
        findings=findings, evidence="sealed:abc", timings_ms={"total": 1.25}, **base,
    )  # fmt: skip
    admin = admin_record(
        actor="kim", role="auditor", action="audit.verify", outcome="ok", method="POST",
        path="/admin/v1/audit/verify/job", extra={"job": "x"},
    )  # fmt: skip
    return [bare, full, admin]


def test_the_walk_hashes_what_the_records_carry(tmp_path: Path) -> None:
    store = open_audit_store(f"sqlite:///{tmp_path / 'audit.db'}")
    for record in [*_odd_records(), *generate_records(200, end=1_767_225_600.0)]:
        store.append_now(record)
    links = list(chain_links(store, batch=64))  # several batches
    records = list(store.iter_chain())
    assert set(COLUMNS) == set(records[0].to_dict())  # the rows are the records' dictionary
    assert len(links) == len(records) == 203
    for link, record in zip(links, records, strict=True):
        assert (link.seq, link.hash, link.prev_hash) == (record.seq, record.hash, record.prev_hash)
        assert link.digest == record_hash(record) == record.hash
    assert verify_chain(links).ok


def test_the_walk_finds_a_changed_record(tmp_path: Path) -> None:
    store = open_audit_store(f"sqlite:///{tmp_path / 'audit.db'}")
    for record in _odd_records():
        store.append_now(record)
    store.close()
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute(
            "UPDATE audit_records SET findings = replace(findings, '0.99', '0.5') WHERE seq = 2"
        )
    report = verify_chain(chain_links(open_audit_store(f"sqlite:///{tmp_path / 'audit.db'}")))
    assert [(p.seq, p.kind) for p in report.problems] == [(2, "modified")]
