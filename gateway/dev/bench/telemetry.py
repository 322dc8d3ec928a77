"""What tracing and metrics add per request, in CPU time, measured in one run.

``python -m gateway.dev.bench.telemetry`` builds the gateway five times in this
process — telemetry off, metrics only, tracing (every request, or one in ten
sampled), both — in front of an
in-process upstream (httpx ``MockTransport``), and drives the same requests
straight through the ASGI app, no sockets, so the gateway's own work is all
that is measured. The configurations take turns in several rounds; the table shows the
median and the best round, because the machine is shared. CPU time is the process's
(``time.process_time``), so the span and audit background threads count too.
Spans go through the SDK's batch processor to an exporter that drops them:
everything but the network.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from gateway.app import Gateway, build_app
from gateway.dev.bench.inprocess import chat_scope
from gateway.settings import TelemetrySettings, load_settings, shipped_policy
from gateway.telemetry import Telemetry, build_telemetry

__all__ = ["main"]

_BODY = orjson.dumps(
    {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Summarise the quarterly sales review in three bullets."},
        ],
    }
)
_ANSWER = orjson.dumps({"id": "x", "object": "chat.completion", "choices": []})


_KINDS = ("off", "metrics", "tracing", "tracing 10%", "both")


class _Answer(httpx.AsyncByteStream):
    """A streamed body, as a real upstream's is (a bytes body counts as already read)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield _ANSWER


class _Dropping(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _telemetry(kind: str) -> Telemetry:
    if kind == "off":
        return Telemetry()
    if kind == "tracing":
        return _traced()
    if kind == "tracing 10%":
        return _traced(sampled=0.1)
    reader = InMemoryMetricReader()
    metrics = build_telemetry(TelemetrySettings(), {}, metric_readers=[reader])
    if kind == "metrics":
        return metrics
    traced = _traced()
    traced.metrics, traced.prometheus = metrics.metrics, None
    traced._providers += metrics._providers
    return traced


def _traced(sampled: float = 1.0) -> Telemetry:
    """As configured by OTEL_TRACES_EXPORTER, or with OTEL_TRACES_SAMPLER=traceidratio."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    from gateway.telemetry.tracing import RequestTracer

    provider = TracerProvider(
        resource=Resource.create({"service.name": "haetae-bench"}),
        sampler=ParentBased(TraceIdRatioBased(sampled)),
    )
    provider.add_span_processor(BatchSpanProcessor(_Dropping()))
    return Telemetry(tracer=RequestTracer(provider.get_tracer("haetae")), _providers=(provider,))


def _build(kind: str, folder: Path) -> Gateway:
    overrides = {
        "policy": str(shipped_policy()),
        "audit.url": f"sqlite:///{folder}/audit-{kind.replace(' ', '-')}.db",
        # a loopback address: the default policy refuses hosts it cannot place
        "providers.openai.base_url": "http://127.0.0.1:9",
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=_Answer()))
    return build_app(
        load_settings(environ={}, overrides=overrides),
        transport=transport,
        environ={"HAETAE_PSEUDONYM_KEY": "bench-key-0123456789abcdef0123456789"},
        telemetry=_telemetry(kind),
    )


async def _requests(app: Gateway, count: int) -> float:
    """CPU seconds for ``count`` sequential requests through the ASGI app."""
    never = asyncio.Event()

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"benchmark request failed: {message['status']}")

    began = time.process_time()
    for _ in range(count):
        delivered = False

        async def receive() -> Any:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": _BODY, "more_body": False}
            await never.wait()  # the client never leaves
            return {"type": "http.disconnect"}

        await app(chat_scope(), receive, send)
    return time.process_time() - began


async def _measure(apps: dict[str, Gateway], count: int, rounds: int) -> dict[str, list[float]]:
    for app in apps.values():
        app.audit.start()
        await _requests(app, 50)  # warm-up: first-use imports, caches, pools
    per_request: dict[str, list[float]] = {kind: [] for kind in apps}
    for _ in range(rounds):
        for kind, app in apps.items():
            per_request[kind].append(await _requests(app, count) / count)
    for app in apps.values():
        await app.upstream.aclose()
        app.audit.close()
        app.telemetry.shutdown()
    return per_request


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.dev.bench.telemetry", description=__doc__
    )
    parser.add_argument("--requests", type=int, default=100, help="requests per round")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        apps = {kind: _build(kind, Path(folder)) for kind in _KINDS}
        result = asyncio.run(_measure(apps, args.requests, args.rounds))
    print(f"{args.rounds} rounds × {args.requests} requests; CPU µs per request\n")
    print("| telemetry | median | added | ratio | best round | added |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    median_off, best_off = statistics.median(result["off"]), min(result["off"])
    for kind, values in result.items():
        median, best = statistics.median(values), min(values)
        print(
            f"| {kind} | {median * 1e6:.0f} | {(median - median_off) * 1e6:+.0f} | "
            f"{median / median_off:.2f} | {best * 1e6:.0f} | {(best - best_off) * 1e6:+.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
