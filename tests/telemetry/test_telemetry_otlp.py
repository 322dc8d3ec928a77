"""The standard OTEL_* variables really export: OTLP/HTTP to a collector on loopback."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from gateway.app import build_app
from gateway.settings import load_settings
from tests.support.stack import DEFAULT_POLICY
from tests.support.telemetry import CHAT

RRN = "900101-1234568"
BEARER = "sk-proj-OtlpLeakTest0123456789abcdef"


class _Collector(BaseHTTPRequestHandler):
    received: dict[str, list[bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.setdefault(self.path, []).append(body)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def collector() -> Iterator[tuple[str, dict[str, list[bytes]]]]:
    received: dict[str, list[bytes]] = {}
    handler = type("Collector", (_Collector,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_configured_endpoint_receives_spans_and_metrics_without_values(
    collector: tuple[str, dict[str, list[bytes]]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    endpoint, received = collector
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "haetae-test"}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)  # the exporters read the process environment
    overrides = {
        "policy": str(DEFAULT_POLICY),
        "audit.url": f"sqlite:///{tmp_path / 'audit.db'}",
    }
    app = build_app(load_settings(environ={}, overrides=overrides), environ=environ)
    assert app.telemetry.tracer is not None and app.telemetry.metrics is not None

    async def one_blocked_request() -> int:
        app.audit.start()
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
                body = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"id {RRN}"}]}
                response = await client.post(
                    CHAT, content=orjson.dumps(body), headers={"authorization": f"Bearer {BEARER}"}
                )
                return response.status_code
        finally:
            app.audit.close()
            app.telemetry.shutdown()  # flushes the batch span processor and the metric reader

    assert asyncio.run(one_blocked_request()) == 403
    traces = ExportTraceServiceRequest()
    for body in received["/v1/traces"]:
        traces.MergeFromString(body)
    spans = {
        span.name: span
        for resource in traces.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    }
    assert {"identify", "route", "detect", "decide", "record"} <= set(spans)
    assert "forward" not in spans
    service = {a.key: a.value.string_value for a in traces.resource_spans[0].resource.attributes}[
        "service.name"
    ]
    assert service == "haetae-test"
    metrics = ExportMetricsServiceRequest()
    for body in received["/v1/metrics"]:
        metrics.MergeFromString(body)
    names = {
        metric.name
        for resource in metrics.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert {"haetae.decisions", "haetae.findings", "haetae.scan.duration"} <= names
    wire = b"".join(b for bodies in received.values() for b in bodies)
    assert RRN.encode() not in wire and BEARER.encode() not in wire
    assert b"pipa-resident-number" in wire
