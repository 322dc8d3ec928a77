"""An audit store (real SQLite) for admin apps: every admin call writes to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.admin.journal import AdminJournal
from gateway.audit import SQLiteAuditStore


@pytest.fixture
def audit_store(tmp_path: Path) -> Iterator[SQLiteAuditStore]:
    store = SQLiteAuditStore(tmp_path / "audit.db")
    store.start()
    yield store
    store.close()


@pytest.fixture
def journal(audit_store: SQLiteAuditStore) -> AdminJournal:
    return AdminJournal(audit_store)
