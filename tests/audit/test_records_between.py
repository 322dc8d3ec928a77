"""Reading a time window back: what dry-runs and reviews build on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.audit import open_audit_store
from gateway.audit.record import AuditRecord


def record(n: int, time: float) -> AuditRecord:
    return AuditRecord(
        record_id=f"r{n}", time=time, request_id=f"q{n}", client_address=None, user=None,
        provider="openai", api="chat", model=None, method="POST", path="/", decision="allow",
    )  # fmt: skip


def test_window_is_half_open_and_oldest_first(tmp_path: Path) -> None:
    store = open_audit_store(f"sqlite:///{tmp_path / 'a.db'}")
    store.start()
    try:
        for n, time in enumerate([100.0, 200.0, 150.0, 300.0]):
            store.append(record(n, time))
        asyncio.run(store.flush())
        window = store.records_between(100.0, 300.0)
    finally:
        store.close()
    assert [r.record_id for r in window] == ["r0", "r1", "r2"]
