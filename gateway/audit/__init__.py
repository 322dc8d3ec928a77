"""The audit trail: one record per gateway decision, chained, written off the event loop."""

from gateway.audit.format import format_record_line
from gateway.audit.query import AuditFilter, Page, StatsRow
from gateway.audit.record import SCHEMA_VERSION, AuditRecord, FindingSummary
from gateway.audit.sqlite import SQLiteAuditStore
from gateway.audit.sqlstore import PurgeResult, SQLAuditStore
from gateway.audit.store import AuditStore, AuditStoreError, open_audit_store

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
