"""A gateway whose traces and metrics go to the SDK's in-memory exporters (helpers)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.app import Gateway, build_app
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.providers.catalog import load_catalog
from gateway.settings import TelemetrySettings, load_settings
from gateway.telemetry import build_telemetry

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens on loopback
CHAT = "/openai/v1/chat/completions"


@dataclass
class Traced:
    gateway: ServerThread
    app: Gateway
    fake: FakeUpstream
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    def url(self, path: str) -> str:
        return self.gateway.url(path)

    def trace_of(self, request_id: str) -> list[ReadableSpan]:
        """Every span of the trace whose server span carries this request id.

        The server span ends just after the last byte is sent, so the client may
        have its answer a moment before the span is exported.
        """
        deadline = time.monotonic() + 5
        while True:
            finished = self.spans.get_finished_spans()
            roots = [s for s in finished if s.attributes.get("haetae.request_id") == request_id]
            if roots or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert len(roots) == 1, f"expected one server span for {request_id}"
        trace_id = roots[0].context.trace_id
        return [s for s in finished if s.context.trace_id == trace_id]


def build_traced_app(
    upstream_url: str,
    audit_db: Path,
    *,
    propagate_upstream: bool = False,
    transport: str = "aiohttp",
) -> tuple[Gateway, InMemorySpanExporter, InMemoryMetricReader]:
    spans = InMemorySpanExporter()
    metrics = InMemoryMetricReader()
    telemetry = build_telemetry(
        TelemetrySettings(prometheus=True, propagate_upstream=propagate_upstream),
        {},  # no OTEL_* variables: only the in-memory exporters
        span_exporters=[spans],
        metric_readers=[metrics],
    )
    overrides = {f"providers.{pid}.base_url": upstream_url for pid in load_catalog()}
    overrides |= {
        "providers.mistral.base_url": UNREACHABLE,
        "policy": str(ROOT / "policies" / "default.yaml"),
        "audit.url": f"sqlite:///{audit_db}",
        "timeouts.connect": 2.0,
        "timeouts.read": 2.0,
        "forward.transport": transport,
    }
    app = build_app(load_settings(environ={}, overrides=overrides), environ={}, telemetry=telemetry)
    return app, spans, metrics
