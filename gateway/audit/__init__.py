"""The audit trail: one record per gateway decision, written off the event loop."""

from gateway.audit.format import format_record_line
from gateway.audit.record import AuditRecord
from gateway.audit.sqlite import SQLiteAuditStore
from gateway.audit.store import AuditStore, AuditStoreError, open_audit_store

__all__ = [
    "AuditRecord",
    "AuditStore",
    "AuditStoreError",
    "SQLiteAuditStore",
    "format_record_line",
    "open_audit_store",
]
