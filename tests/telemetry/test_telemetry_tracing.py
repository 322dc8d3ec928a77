"""Traces: one per request, a span per stage, the decision's facts, the caller's context."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gateway.errors import PolicyBlock
from gateway.settings import TelemetrySettings
from gateway.telemetry import Telemetry, build_telemetry
from gateway.telemetry.tracing import RequestTracer, TracedStage, TracedUpstream
from tests.support.telemetry import CHAT, Traced

STAGES = [
    "identify", "route", "admit", "read_body", "extract", "detect", "decide", "limits", "transform",
]  # fmt: skip
RRN = "900101-1234568"
EMAIL = "kim.minsu@example.co.kr"


def chat(stack: Traced, text: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
    return httpx.post(stack.url(CHAT), content=orjson.dumps(body), headers=headers, timeout=10)


def test_an_allowed_request_is_one_trace_with_a_span_per_stage(stack: Traced) -> None:
    response = chat(stack, "summarise the meeting notes")
    assert response.status_code == 200
    spans = stack.trace_of(response.headers["x-haetae-request-id"])
    (root,) = [s for s in spans if s.parent is None]
    children = sorted((s for s in spans if s.parent is not None), key=lambda s: s.start_time or 0)
    # the opening is durable (record.flush) before anything is forwarded
    assert [s.name for s in children] == [*STAGES, "record.flush", "forward", "record"]
    assert all(s.parent is not None and s.parent.span_id == root.context.span_id for s in children)
    assert root.kind is SpanKind.SERVER
    assert root.name == "POST openai:chat"
    attributes = dict(root.attributes or {})
    assert attributes["haetae.decision"] == "allow"
    assert attributes["haetae.provider"] == "openai"
    assert attributes["haetae.api"] == "chat"
    assert attributes["gen_ai.request.model"] == "gpt-4o"
    assert attributes["http.response.status_code"] == 200
    assert attributes["haetae.upstream.status_code"] == 200
    forward = next(s for s in children if s.name == "forward")
    assert forward.kind is SpanKind.CLIENT
    assert (forward.attributes or {})["http.response.status_code"] == 200
    # The forward span lasts until the answer is relayed, not just to its head.
    assert (forward.attributes or {})["http.response.body.size"] > 0


def test_a_block_has_no_forward_span_and_names_its_rule_and_entities(stack: Traced) -> None:
    response = chat(stack, f"my resident number is {RRN}, mail {EMAIL}")
    assert response.status_code == 403
    spans = stack.trace_of(response.headers["x-haetae-request-id"])
    names = [s.name for s in sorted(spans, key=lambda s: s.start_time or 0) if s.parent]
    assert names == [*STAGES[:-2], "record", "record.flush"]  # blocked at decide
    assert stack.fake.received == []
    (root,) = [s for s in spans if s.parent is None]
    attributes = dict(root.attributes or {})
    assert attributes["haetae.decision"] == "block"
    assert attributes["haetae.rule_ids"] == ("pipa-resident-number",)
    assert "KR_RRN" in attributes["haetae.entity_types"]
    assert "KR_RRN=1" in attributes["haetae.entity_counts"]
    assert attributes["http.response.status_code"] == 403
    # A policy block is the gateway working, not failing.
    assert root.status.status_code is StatusCode.UNSET
    decide = next(s for s in spans if s.name == "decide")
    assert (decide.attributes or {})["haetae.refusal"] == "blocked_by_policy"


def test_the_callers_trace_context_is_honoured_and_not_forwarded(stack: Traced) -> None:
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    headers = {
        "traceparent": f"00-{trace_id}-{parent_id}-01",
        "tracestate": "vendor=opaque",
        "baggage": f"user.email={EMAIL}",
    }
    response = chat(stack, "hello", headers)
    assert response.status_code == 200
    spans = stack.trace_of(response.headers["x-haetae-request-id"])
    (root,) = [s for s in spans if s.parent is not None and s.parent.is_remote]
    assert format(root.context.trace_id, "032x") == trace_id
    assert root.parent is not None and format(root.parent.span_id, "016x") == parent_id
    (sent,) = stack.fake.received
    assert not {"traceparent", "tracestate", "baggage"} & set(sent.headers)


def test_a_callers_unsampled_trace_is_not_recorded(stack: Traced) -> None:
    trace_id = "5bf92f3577b34da6a3ce929d0e0e4737"
    headers = {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-00"}  # flags 00: not sampled
    assert chat(stack, "hello", headers).status_code == 200
    later = chat(stack, "hello").headers["x-haetae-request-id"]
    stack.trace_of(later)  # the unsampled request's spans would have ended before this one's
    recorded = {format(s.context.trace_id, "032x") for s in stack.spans.get_finished_spans()}
    assert trace_id not in recorded


def test_a_request_without_trace_context_starts_a_new_trace(stack: Traced) -> None:
    first = chat(stack, "hello").headers["x-haetae-request-id"]
    second = chat(stack, "hello").headers["x-haetae-request-id"]
    assert stack.trace_of(first)[0].context.trace_id != stack.trace_of(second)[0].context.trace_id


def test_an_upstream_failure_marks_the_forward_span_by_its_code(stack: Traced) -> None:
    body = orjson.dumps({"model": "mistral-small", "messages": [{"role": "user", "content": "hi"}]})
    response = httpx.post(stack.url("/mistral/v1/chat/completions"), content=body, timeout=10)
    assert response.status_code == 502
    spans = stack.trace_of(response.headers["x-haetae-request-id"])
    forward = next(s for s in spans if s.name == "forward")
    assert forward.status.status_code is StatusCode.ERROR
    assert (forward.attributes or {})["haetae.refusal"] == "upstream_unreachable"
    (root,) = [s for s in spans if s.parent is None]
    assert root.status.status_code is StatusCode.ERROR


# -- units ---------------------------------------------------------------------------


def _tracer() -> tuple[RequestTracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return RequestTracer(provider.get_tracer("test"), propagate_upstream=True), exporter


class _Failing:
    name = "extract"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    async def __call__(self, exchange: object) -> None:
        raise self.exc


def test_a_failing_stage_is_recorded_by_exception_type_never_its_message() -> None:
    tracer, exporter = _tracer()
    secret = f"cannot parse {RRN}"
    with pytest.raises(ValueError):
        stage = TracedStage(_Failing(ValueError(secret)), tracer)
        asyncio.run(stage(object()))  # type: ignore[arg-type]
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "ValueError"
    assert span.events == ()  # no exception event: it would carry the message
    assert RRN not in span.to_json()


def test_a_refusal_is_an_attribute_not_an_error() -> None:
    tracer, exporter = _tracer()
    with pytest.raises(PolicyBlock):
        stage = TracedStage(_Failing(PolicyBlock(f"no {RRN}", rule_ids=["r"])), tracer)
        asyncio.run(stage(object()))  # type: ignore[arg-type]
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.UNSET
    assert (span.attributes or {})["haetae.refusal"] == "blocked_by_policy"


class _Response:
    status_code = 200

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return []

    async def chunks(self) -> AsyncIterator[bytes]:
        yield b"ok"

    async def aclose(self) -> None:
        return None


class _Upstream:
    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []

    async def open(
        self, provider_id: str, method: str, url: str, headers: list[tuple[bytes, bytes]],
        content: bytes,
    ) -> _Response:  # fmt: skip
        self.headers = headers
        return _Response()

    async def aclose(self) -> None:
        return None


def test_with_propagation_the_upstream_gets_the_forward_spans_context() -> None:
    tracer, exporter = _tracer()
    upstream = _Upstream()
    traced = TracedUpstream(upstream, tracer)  # type: ignore[arg-type]

    async def forward() -> None:
        response = await traced.open(
            "openai", "POST", "https://user:pw@api.example/v1/chat?key=SECRETKEY", [], b"{}"
        )
        async for _ in response.chunks():
            pass
        await response.aclose()

    asyncio.run(forward())
    (span,) = exporter.get_finished_spans()
    sent = dict(upstream.headers)
    assert (
        sent[b"traceparent"]
        .decode()
        .startswith(f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-")
    )
    assert (span.attributes or {})["server.address"] == "api.example"
    assert "SECRETKEY" not in span.to_json() and "pw@" not in span.to_json()


def test_off_means_nothing_is_wrapped() -> None:
    telemetry = build_telemetry(TelemetrySettings(), {})
    assert telemetry == Telemetry()
    stage, upstream, store, app = _Failing(ValueError()), object(), object(), object()
    assert telemetry.wrap_stages(stage) == [stage]  # type: ignore[arg-type]
    assert telemetry.wrap_upstream(upstream) is upstream  # type: ignore[arg-type]
    assert telemetry.wrap_audit(store) is store  # type: ignore[arg-type]
    assert telemetry.wrap_requests(app) is app  # type: ignore[arg-type]


def test_trace_headers_are_never_forwarded_even_with_tracing_off() -> None:
    from gateway.upstream import upstream_request_headers

    caller = [
        (b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        (b"tracestate", b"vendor=x"),
        (b"baggage", f"user.email={EMAIL}".encode()),
        (b"content-type", b"application/json"),
    ]
    assert upstream_request_headers(caller, None) == [(b"content-type", b"application/json")]
