"""Old home of the telemetry tests' helpers; they live in ``tests.support.telemetry`` now."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.app import Gateway, build_app
from gateway.settings import load_settings
from tests.support.stack import DEFAULT_POLICY, ROOT, UNREACHABLE, fake_provider_settings
from tests.support.telemetry import CHAT, Traced, in_memory_telemetry, traced_stack

__all__ = ["CHAT", "ROOT", "UNREACHABLE", "Traced", "build_traced_app", "traced_stack"]


def build_traced_app(
    upstream_url: str,
    audit_db: Path,
    *,
    propagate_upstream: bool = False,
    transport: str = "aiohttp",
) -> tuple[Gateway, InMemorySpanExporter, InMemoryMetricReader]:
    """The app alone, for tests that serve it themselves (new tests use ``traced_stack``)."""
    telemetry, spans, metrics = in_memory_telemetry(propagate_upstream=propagate_upstream)
    overrides = fake_provider_settings(upstream_url) | {
        "providers.mistral.base_url": UNREACHABLE,
        "policy": str(DEFAULT_POLICY),
        "audit.url": f"sqlite:///{audit_db}",
        "timeouts.connect": 2.0,
        "timeouts.read": 2.0,
        "forward.transport": transport,
    }
    app = build_app(load_settings(environ={}, overrides=overrides), environ={}, telemetry=telemetry)
    return app, spans, metrics
