"""The audit trail: one record per gateway decision, chained, written off the event loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.audit.format import format_record_line
    from gateway.audit.open import open_audit_store
    from gateway.audit.query import AuditFilter, Page, StatsRow
    from gateway.audit.record import SCHEMA_VERSION, AuditRecord, FindingSummary
    from gateway.audit.sqlite import SQLiteAuditStore
    from gateway.audit.sqlstore import PurgeResult, SQLAuditStore
    from gateway.audit.store import AuditStore, AuditStoreError

__all__ = [
    "SCHEMA_VERSION",
    "AuditFilter",
    "AuditRecord",
    "AuditStore",
    "AuditStoreError",
    "FindingSummary",
    "Page",
    "PurgeResult",
    "SQLAuditStore",
    "SQLiteAuditStore",
    "StatsRow",
    "format_record_line",
    "open_audit_store",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "format_record_line": "gateway.audit.format",
        "open_audit_store": "gateway.audit.open",
        "AuditFilter": "gateway.audit.query",
        "Page": "gateway.audit.query",
        "StatsRow": "gateway.audit.query",
        "SCHEMA_VERSION": "gateway.audit.record",
        "AuditRecord": "gateway.audit.record",
        "FindingSummary": "gateway.audit.record",
        "SQLiteAuditStore": "gateway.audit.sqlite",
        "PurgeResult": "gateway.audit.sqlstore",
        "SQLAuditStore": "gateway.audit.sqlstore",
        "AuditStore": "gateway.audit.store",
        "AuditStoreError": "gateway.audit.store",
    },
)
