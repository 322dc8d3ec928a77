"""Counters and histograms per decision, exported over OTLP and/or scraped.

Every label value comes from a closed set the gateway controls: actions, rule
ids (the policy's), provider ids and APIs (the catalog's), entity types (the
recognizers'), status codes. Nothing the caller types becomes a label — not the
model name, not the path — so a client cannot grow the series count or write
text into the metrics.

Everything is recorded from the audit record at the moment it is handed to the
store, so the metrics and the audit log count the same requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from gateway.audit import AuditRecord
    from gateway.exchange import Exchange, Stage
    from gateway.types import Receive, Scope, Send

__all__ = ["CountedScan", "GatewayMetrics", "PrometheusEndpoint"]

# Seconds. Scans take a millisecond for a chat turn and a second for a 50 KB log.
_SCAN_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Seconds to the provider's response head: from a cached embedding to a slow reasoning model.
_UPSTREAM_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def _label(value: str | None) -> str:
    return value if value else "none"


class _Tally:
    """A counter summed on the request path and read when metrics are collected.

    An SDK counter costs ~9 µs per ``add`` (attribute hashing, locks, one storage
    per reader); a dict addition costs a fraction of one. The SDK reads the sums
    through an observable counter's callback, on the exporter's thread: copying
    the dict there is one C call under the GIL, so a request adding a key at the
    same moment can't break the iteration.
    """

    def __init__(self, labels: tuple[str, ...]) -> None:
        self.labels = labels
        self.sums: dict[tuple[str | int, ...], int] = {}

    def add(self, key: tuple[str | int, ...], amount: int = 1) -> None:
        self.sums[key] = self.sums.get(key, 0) + amount

    def collect(self, _options: CallbackOptions) -> Iterable[Observation]:
        labels = self.labels
        return [Observation(total, dict(zip(labels, key, strict=True))) for key, total in
                dict(self.sums).items()]  # fmt: skip


class GatewayMetrics:
    """The gateway's instruments on one meter; ``observe`` runs once per request."""

    def __init__(self, meter: Meter) -> None:
        self.decisions = _Tally(("action", "provider", "api", "status"))
        self.rule_matches = _Tally(("rule", "mode", "provider"))
        self.findings = _Tally(("entity", "provider"))
        self.scanned = _Tally(("provider",))
        for name, tally, unit, description in (
            (
                "haetae.decisions",
                self.decisions,
                "{request}",
                "Requests by decision (allow, redact, block, error), provider, API, status",
            ),
            (
                "haetae.rule.matches",
                self.rule_matches,
                "{match}",
                "Rules that determined a decision (enforced) or only monitored it",
            ),
            (
                "haetae.findings",
                self.findings,
                "{finding}",
                "Findings that counted for a decision, by entity type and provider",
            ),
            ("haetae.scan.input", self.scanned, "By", "Request body bytes parsed and scanned"),
        ):
            meter.create_observable_counter(
                name, callbacks=[tally.collect], unit=unit, description=description
            )
        self.scan_duration = meter.create_histogram(
            "haetae.scan.duration",
            unit="s",
            description="Time to scan one request's text",
            explicit_bucket_boundaries_advisory=_SCAN_BUCKETS,
        )
        self.upstream_duration = meter.create_histogram(
            "haetae.upstream.duration",
            unit="s",
            description="Time from sending a request upstream to the provider's response head",
            explicit_bucket_boundaries_advisory=_UPSTREAM_BUCKETS,
        )
        self.request_duration = meter.create_histogram(
            "haetae.request.duration",
            unit="s",
            description="Time from receiving a request to its audit record (answer relayed)",
            explicit_bucket_boundaries_advisory=_UPSTREAM_BUCKETS,
        )
        self._meter = meter

    def observe(self, record: AuditRecord) -> None:
        provider = _label(record.provider)
        self.decisions.add((record.decision, provider, _label(record.api), record.status or 0))
        for rule in record.rule_ids:
            self.rule_matches.add((rule, "enforced", provider))
        for rule in record.monitored_rule_ids:
            self.rule_matches.add((rule, "monitored", provider))
        for entity, count in record.entities.items():
            self.findings.add((entity, provider), count)
        timings = record.timings_ms
        by_provider = {"provider": provider}
        if (scan := timings.get("detect")) is not None:
            self.scan_duration.record(scan / 1000, by_provider)
        if (upstream := timings.get("upstream_head")) is not None:
            self.upstream_duration.record(upstream / 1000, by_provider)
        if (total := timings.get("total")) is not None:
            self.request_duration.record(
                total / 1000, {"action": record.decision, "provider": provider}
            )

    def watch_audit(self, store: object) -> None:
        """Gauges read from the store when metrics are collected, if it exposes them.

        ``queue_depth`` (records waiting for the writer), ``spool_depth`` (records
        waiting in a local spool for the store to come back) and ``dropped``.
        """

        def reading(attribute: str) -> Any:
            def callback(_options: CallbackOptions) -> Iterable[Observation]:
                value = getattr(store, attribute, None)
                return [Observation(value)] if isinstance(value, int | float) else []

            return callback

        for attribute, description in (
            ("queue_depth", "Audit records queued for the store's writer"),
            ("spool_depth", "Audit records in the local spool, waiting for the store"),
        ):
            if hasattr(store, attribute):
                self._meter.create_observable_gauge(
                    f"haetae.audit.{attribute.replace('_', '.')}",
                    callbacks=[reading(attribute)],
                    unit="{record}",
                    description=description,
                )
        if hasattr(store, "dropped"):
            self._meter.create_observable_counter(
                "haetae.audit.dropped",
                callbacks=[reading("dropped")],
                unit="{record}",
                description="Audit records lost to a failed write or a full backlog",
            )

    def watch_rollout(self, rejections: object) -> None:
        """``haetae.rollout.rejected``: values refused from the shared store (forged or replayed).

        ``rejections`` is the rollout's ``Rejections`` (its ``count`` is read when
        metrics are collected); anything above zero deserves an alert.
        """

        def callback(_options: CallbackOptions) -> Iterable[Observation]:
            count = getattr(rejections, "count", None)
            return [Observation(count)] if isinstance(count, int) else []

        self._meter.create_observable_counter(
            "haetae.rollout.rejected",
            callbacks=[callback],
            unit="{value}",
            description="Values in the shared policy store that failed their signature check",
        )


class CountedScan:
    """The detect stage, counting the bytes of every body it scanned."""

    def __init__(self, stage: Stage, metrics: GatewayMetrics) -> None:
        self._stage = stage
        self._scanned = metrics.scanned
        self.name = stage.name

    async def __call__(self, exchange: Exchange) -> None:
        await self._stage(exchange)
        if exchange.segments:
            provider = exchange.provider.id if exchange.provider else "none"
            self._scanned.add((provider,), len(exchange.body))


class PrometheusEndpoint:
    """``GET /metrics`` in Prometheus' text format, from a registry of our own."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        if scope["method"] not in ("GET", "HEAD"):
            await _respond(send, 405, b"text/plain", b"use GET\n", [(b"allow", b"GET, HEAD")])
            return
        body = generate_latest(self._registry)
        await _respond(
            send, 200, CONTENT_TYPE_LATEST.encode(), body, head=scope["method"] == "HEAD"
        )


async def _respond(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    extra: Sequence[tuple[bytes, bytes]] = (),
    *,
    head: bool = False,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body)), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
