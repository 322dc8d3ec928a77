"""Traces, metrics and logs: what the platform team watches, never what users wrote.

``build_telemetry`` reads the standard ``OTEL_*`` variables (see ``config``) and
the gateway's ``telemetry`` settings once at start-up. What it returns wraps the
pipeline's parts — the request handler, the stages, the upstream client, the
audit store — only for the signals that are on; with everything off each
``wrap_*`` hands back the very object it was given, so the request path is
exactly the untraced one. The modules that need OpenTelemetry (``tracing``,
``metrics``, ``audit``) are imported only once a signal is on, so importing this
package, as the pipeline and the CLI do, costs nothing, and a gateway without
the ``otel`` extra (OpenTelemetry's SDK and exporters) starts as long as no
signal is asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, cast

from gateway.extras import require
from gateway.telemetry.config import ExporterChoice, choose_exporters
from gateway.telemetry.logs import bind_request_id, configure_logging

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace.export import SpanExporter

    from gateway.audit.store import AuditStore
    from gateway.exchange import Stage
    from gateway.settings import TelemetrySettings
    from gateway.telemetry.metrics import GatewayMetrics
    from gateway.telemetry.tracing import RequestTracer
    from gateway.types import ASGIApp
    from gateway.upstream.base import Upstream

__all__ = [
    "ExporterChoice",
    "Telemetry",
    "bind_request_id",
    "build_telemetry",
    "choose_exporters",
    "configure_logging",
]

log = logging.getLogger("haetae.telemetry")

#: the standard variables that turn an exporter on (see ``config``)
_ASKING = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
)


@dataclass(slots=True)
class Telemetry:
    """The signals that are on; ``Telemetry()`` is all off."""

    tracer: RequestTracer | None = None
    metrics: GatewayMetrics | None = None
    #: the ``/metrics`` scrape endpoint, when Prometheus export is on
    prometheus: ASGIApp | None = None
    _providers: tuple[Any, ...] = ()

    def wrap_requests(self, app: ASGIApp) -> ASGIApp:
        if self.tracer is None:
            return app
        from gateway.telemetry.tracing import TracedRequests

        return TracedRequests(app, self.tracer)

    def wrap_stages(self, *stages: Stage) -> list[Stage]:
        if self.tracer is None and self.metrics is None:
            return list(stages)
        from gateway.telemetry.metrics import CountedScan
        from gateway.telemetry.tracing import TracedStage

        wrapped: list[Stage] = []
        for stage in stages:
            if self.metrics is not None and stage.name == "detect":
                stage = CountedScan(stage, self.metrics)
            if self.tracer is not None:
                stage = TracedStage(stage, self.tracer)
            wrapped.append(stage)
        return wrapped

    def wrap_upstream(self, upstream: Upstream) -> Upstream:
        if self.tracer is None:
            return upstream
        from gateway.telemetry.tracing import TracedUpstream

        return TracedUpstream(upstream, self.tracer)

    def wrap_audit(self, store: AuditStore) -> AuditStore:
        if self.tracer is None and self.metrics is None:
            return store
        from gateway.telemetry.audit import ObservedAuditStore

        if self.metrics is not None:
            self.metrics.watch_audit(store)
        return cast("AuditStore", ObservedAuditStore(store, self.tracer, self.metrics))

    def watch_rollout(self, rejections: object | None) -> None:
        """Count what the rollout refused from the shared store (when metrics are on)."""
        if self.metrics is not None and rejections is not None:
            self.metrics.watch_rollout(rejections)

    def shutdown(self) -> None:
        """Export what is buffered and stop the exporters (bounded by their timeouts)."""
        for provider in self._providers:
            try:
                provider.shutdown()
            except Exception as exc:  # the gateway is stopping; say so and carry on
                log.warning("telemetry exporter shutdown failed: %s", type(exc).__name__)


def _version() -> str:
    try:
        return metadata.version("haetae")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def build_telemetry(
    settings: TelemetrySettings,
    environ: Mapping[str, str],
    *,
    span_exporters: Sequence[SpanExporter] = (),
    metric_readers: Sequence[MetricReader] = (),
) -> Telemetry:
    """Telemetry as the environment and settings ask; extra exporters are for tests.

    ``span_exporters`` are attached with a synchronous processor so that a test
    sees each span as soon as it ends; configured exporters batch in the
    background.
    """
    choice = choose_exporters(environ, prometheus=settings.prometheus)
    if not (choice.traces or choice.metrics or span_exporters or metric_readers):
        return Telemetry()
    require("otel", _asked_by(settings, environ))
    from opentelemetry.sdk.resources import Resource

    from gateway.telemetry.metrics import GatewayMetrics, PrometheusEndpoint
    from gateway.telemetry.tracing import RequestTracer

    resource = Resource.create({"service.name": choice.service_name, "service.version": _version()})
    telemetry = Telemetry()
    providers: list[Any] = []
    if choice.traces or span_exporters:
        provider = _tracer_provider(resource, choice.traces, span_exporters)
        providers.append(provider)
        telemetry.tracer = RequestTracer(
            provider.get_tracer("haetae", _version()),
            propagate_upstream=settings.propagate_upstream,
        )
    if choice.metrics or metric_readers:
        readers = list(metric_readers)
        if choice.prometheus:
            from opentelemetry.exporter.prometheus import PrometheusMetricReader
            from prometheus_client import CollectorRegistry

            registry = CollectorRegistry(auto_describe=True)
            # Scope labels would repeat "haetae" on every series; there is one scope.
            readers.append(PrometheusMetricReader(scope_info_enabled=False, registry=registry))
            telemetry.prometheus = PrometheusEndpoint(registry)
        readers.extend(_pushing_readers(choice.metrics))
        from opentelemetry.sdk.metrics import MeterProvider

        meters = MeterProvider(metric_readers=readers, resource=resource)
        providers.append(meters)
        telemetry.metrics = GatewayMetrics(meters.get_meter("haetae", _version()))
    telemetry._providers = tuple(providers)
    log.info(
        "telemetry: traces %s, metrics %s (service %s)",
        "+".join(choice.traces) or ("test" if span_exporters else "off"),
        "+".join(choice.metrics) or ("test" if metric_readers else "off"),
        choice.service_name,
    )
    return telemetry


def _asked_by(settings: TelemetrySettings, environ: Mapping[str, str]) -> str:
    """What turned telemetry on, in the operator's words (for a missing extra)."""
    if settings.prometheus:
        return "telemetry.prometheus"
    named = [name for name in _ASKING if environ.get(name, "").strip().lower() not in ("", "none")]
    return f"telemetry export ({', '.join(named) or 'test exporters'})"


def _tracer_provider(resource: Any, names: Sequence[str], extra: Sequence[SpanExporter]) -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    # Not the global provider: settings are per app, and tests build several.
    provider = TracerProvider(resource=resource)
    for name in names:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    for exporter in extra:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def _pushing_readers(names: Sequence[str]) -> list[MetricReader]:
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    readers: list[MetricReader] = []
    for name in names:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        elif name == "console":
            from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

            readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
    return readers
