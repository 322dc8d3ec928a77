"""A gateway whose traces and metrics go to the SDK's in-memory exporters."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.app import Gateway
from gateway.dev.testing import FakeUpstream
from gateway.settings import TelemetrySettings
from gateway.telemetry import Telemetry, build_telemetry
from tests.support.polling import wait_for
from tests.support.stack import UNREACHABLE, GatewayStack, gateway_stack

__all__ = ["CHAT", "Traced", "in_memory_telemetry", "traced_stack"]

CHAT = "/openai/v1/chat/completions"


@dataclass
class Traced:
    """A gateway stack and what its telemetry exported."""

    stack: GatewayStack
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    @property
    def app(self) -> Gateway:
        return self.stack.app

    @property
    def fake(self) -> FakeUpstream:
        return self.stack.fake

    def url(self, path: str) -> str:
        return self.stack.url(path)

    def trace_of(self, request_id: str) -> list[ReadableSpan]:
        """Every span of the trace whose server span carries this request id.

        The server span ends just after the last byte is sent, so the client may
        have its answer a moment before the span is exported.
        """

        def roots() -> list[ReadableSpan]:
            return [
                s
                for s in self.spans.get_finished_spans()
                if s.attributes is not None and s.attributes.get("haetae.request_id") == request_id
            ]

        found = wait_for(roots, 5.0, message=f"no server span for {request_id}")
        assert len(found) == 1, f"expected one server span for {request_id}"
        trace_id = found[0].context.trace_id
        return [s for s in self.spans.get_finished_spans() if s.context.trace_id == trace_id]


def in_memory_telemetry(
    *, propagate_upstream: bool = False
) -> tuple[Telemetry, InMemorySpanExporter, InMemoryMetricReader]:
    """Traces and metrics on, exported only to memory (no OTEL_* variable is read)."""
    spans = InMemorySpanExporter()
    metrics = InMemoryMetricReader()
    telemetry = build_telemetry(
        TelemetrySettings(prometheus=True, propagate_upstream=propagate_upstream),
        {},
        span_exporters=[spans],
        metric_readers=[metrics],
    )
    return telemetry, spans, metrics


@contextlib.contextmanager
def traced_stack(
    folder: Path,
    *,
    propagate_upstream: bool = False,
    transport: str = "aiohttp",
    settings: dict[str, Any] | None = None,
) -> Iterator[Traced]:
    """``gateway_stack`` with in-memory telemetry, short timeouts, and Mistral unreachable."""
    telemetry, spans, metrics = in_memory_telemetry(propagate_upstream=propagate_upstream)
    overrides: dict[str, Any] = {
        "providers.mistral.base_url": UNREACHABLE,
        "timeouts.connect": 2.0,
        "timeouts.read": 2.0,
        "forward.transport": transport,
    }
    overrides |= settings or {}
    with gateway_stack(folder, settings=overrides, telemetry=telemetry) as stack:
        yield Traced(stack, spans, metrics)
