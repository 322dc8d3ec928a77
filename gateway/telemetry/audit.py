"""The audit store as the pipeline sees it when telemetry is on.

Handing a record to the store is the one moment every request passes through
with its outcome settled (allowed, blocked, failed, relayed), and the record is
already stripped of raw values. So this is where the ``record`` span is made,
the request span is annotated and the metrics are counted: traces, metrics and
the audit log describe the same requests with the same facts.

A forwarded request is handed over twice (an opening before it leaves, a
completion when its answer ends: ``gateway/audit/phases.py``); it is observed
once, at its completion, as the two records merged, so that metrics count
requests, not records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.audit.phases import is_completion, is_opening, merged, opening_id
from gateway.telemetry.tracing import annotate_request, record_span

if TYPE_CHECKING:
    from gateway.audit import AuditRecord, AuditStore
    from gateway.telemetry.metrics import GatewayMetrics
    from gateway.telemetry.tracing import RequestTracer

__all__ = ["ObservedAuditStore"]


class ObservedAuditStore:
    """Delegates to the real store; ``append`` and ``flush`` are observed on the way."""

    def __init__(
        self, store: AuditStore, tracer: RequestTracer | None, metrics: GatewayMetrics | None
    ) -> None:
        self._store = store
        self._tracer = tracer
        self._metrics = metrics
        self._open: dict[str, AuditRecord] = {}  # openings in flight, by record id

    def append(self, record: AuditRecord) -> None:
        if is_opening(record):
            self._open[record.record_id] = record
            self._store.append(record)
            return
        if is_completion(record):
            opening = self._open.pop(opening_id(record) or "", None)
            self._observe(record, merged(opening, record) if opening else record)
            return
        self._observe(record, record)

    def _observe(self, record: AuditRecord, request: AuditRecord) -> None:
        """Append ``record``; spans and metrics describe ``request`` (the request as it ended)."""
        if self._tracer is None:
            self._store.append(record)
        else:
            span = record_span(self._tracer, "record")
            try:
                self._store.append(record)
            finally:
                span.set_attribute("haetae.decision", request.decision)
                span.end()
            annotate_request(request)
        if self._metrics is not None:
            self._metrics.observe(request)

    async def flush(self, timeout: float = 5.0, *, leaving: bool = False) -> None:  # noqa: ASYNC109
        if self._tracer is None:
            await self._store.flush(timeout, leaving=leaving)
            return
        span = record_span(self._tracer, "record.flush")
        try:
            await self._store.flush(timeout, leaving=leaving)
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__name__)
            raise
        finally:
            span.end()

    # -- everything else is the store's own --------------------------------

    def start(self) -> None:
        self._store.start()

    def close(self) -> None:
        self._store.close()

    @property
    def healthy(self) -> bool:
        return self._store.healthy

    @property
    def last_error(self) -> str | None:
        return self._store.last_error

    def tail(self, limit: int) -> list[AuditRecord]:
        return self._store.tail(limit)

    def records_between(self, start: float, end: float) -> list[AuditRecord]:
        return self._store.records_between(start, end)

    def witness_status(self) -> dict[str, Any]:
        return self._store.witness_status()

    def __getattr__(self, name: str) -> Any:
        # Methods a store grows later (queries, spool state) pass straight through.
        return getattr(self._store, name)
