"""One trace per request: a server span, a child span per stage, forward and record.

Only identifiers and counts go into spans: the decision, rule ids, entity types
and counts, provider, API, model and status — the same facts the audit record
holds, minus who sent the request. Never prompt text, matched values, headers,
query strings or exception messages: an exception is recorded by its type, or
by a refusal's code.

All of this exists only when tracing is configured. ``Telemetry`` then wraps
the stages, the upstream client and the audit store at start-up; when it is
not, nothing is wrapped and a request allocates no span at all.

**Trace context.** A caller's W3C ``traceparent``/``tracestate`` makes the
gateway's span a child of the caller's trace. The caller's trace headers are
never forwarded to the provider (``baggage`` in particular is free text that is
not scanned); with ``propagate_upstream`` the gateway sends its own forward
span's ``traceparent`` instead, for an in-house upstream that traces too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from gateway.errors import Refusal
from gateway.labels import recorded_method

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

    from gateway.audit import AuditRecord
    from gateway.exchange import Exchange, Stage
    from gateway.types import ASGIApp, Receive, Scope, Send
    from gateway.upstream import Upstream, UpstreamResponse

__all__ = [
    "RequestTracer",
    "TracedRequests",
    "TracedStage",
    "TracedUpstream",
    "annotate_request",
    "request_attributes",
]

_PROPAGATOR = TraceContextTextMapPropagator()
#: the server span of the request this task handles (the record hook annotates it)
_request_span: ContextVar[Span | None] = ContextVar("haetae_request_span", default=None)
_MODEL_CHARS = 128  # the model is caller-supplied: keep an odd value from growing spans


class _HeaderGetter(Getter[list[tuple[bytes, bytes]]]):
    """Reads W3C trace headers straight from ASGI's raw header list."""

    def get(self, carrier: list[tuple[bytes, bytes]], key: str) -> list[str] | None:
        wanted = key.encode("latin-1")
        values = [value.decode("latin-1") for name, value in carrier if name == wanted]
        return values or None

    def keys(self, carrier: list[tuple[bytes, bytes]]) -> list[str]:
        return [name.decode("latin-1") for name, _ in carrier]


_GETTER = _HeaderGetter()


class RequestTracer:
    """The tracer plus the one choice it needs on the request path."""

    def __init__(self, tracer: Tracer, *, propagate_upstream: bool = False) -> None:
        self.tracer = tracer
        self.propagate_upstream = propagate_upstream


def _unsampled() -> bool:
    """True inside a request whose span the sampler dropped: its children are skipped.

    A dropped request still costs a non-recording span per ``start_span``; not
    making them keeps sampling (``OTEL_TRACES_SAMPLER``) cheap on the rest.
    """
    span = _request_span.get()
    return span is not None and not span.is_recording()


def _failed(span: Span, exc: BaseException) -> None:
    """Mark a span failed by the exception's kind; its message may quote the request."""
    if isinstance(exc, Refusal):
        span.set_attribute("haetae.refusal", exc.code)
        if exc.status >= 500:
            span.set_status(Status(StatusCode.ERROR, exc.code))
    else:
        span.set_attribute("error.type", type(exc).__name__)
        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))


class TracedRequests:
    """ASGI wrapper around the pipeline: the request's server span, made current."""

    def __init__(self, app: ASGIApp, tracer: RequestTracer) -> None:
        self._app = app
        self._tracer = tracer.tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope["headers"]
        parent = None
        for name, _ in headers:
            if name == b"traceparent":
                parent = _PROPAGATOR.extract(headers, getter=_GETTER)
                break
        method = recorded_method(scope["method"])  # any token, for some servers
        span = self._tracer.start_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        _request_span.set(span)
        try:
            await self._app(scope, receive, send)
        except BaseException as exc:
            _failed(span, exc)
            raise
        finally:
            otel_context.detach(token)
            span.end()


class TracedStage:
    """A stage inside its own span, named after it."""

    def __init__(self, stage: Stage, tracer: RequestTracer) -> None:
        self._stage = stage
        self._tracer = tracer.tracer
        self.name = stage.name

    async def __call__(self, exchange: Exchange) -> None:
        if _unsampled():
            await self._stage(exchange)
            return
        # Not made current: nothing inside a stage starts spans, and attaching
        # costs as much again as a fifth of the span.
        span = self._tracer.start_span(self.name)
        try:
            await self._stage(exchange)
            if self.name == "detect" and exchange.segments:
                span.set_attribute("haetae.segments", len(exchange.segments))
                span.set_attribute("haetae.findings", sum(exchange.entity_counts.values()))
            elif self.name == "decide" and exchange.decision is not None:
                span.set_attribute("haetae.decision", exchange.decision.action)
        except BaseException as exc:
            _failed(span, exc)
            raise
        finally:
            span.end()


class TracedUpstream:
    """The upstream client inside a ``forward`` span that ends when the answer is relayed."""

    def __init__(self, upstream: Upstream, tracer: RequestTracer) -> None:
        self._upstream = upstream
        self._tracer = tracer.tracer
        self._propagate = tracer.propagate_upstream

    async def open(
        self,
        provider_id: str,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
    ) -> UpstreamResponse:
        if _unsampled():
            if self._propagate:  # the upstream learns the trace was not sampled
                headers = _with_trace_context(headers, otel_context.get_current())
            return await self._upstream.open(provider_id, method, url, headers, content)
        # The host only: the URL's query can hold a key, its userinfo a password.
        host = url.split("/", 3)[2].rpartition("@")[2] if "://" in url else ""
        span = self._tracer.start_span(
            "forward",
            kind=SpanKind.CLIENT,
            attributes={
                "haetae.provider": provider_id,
                "http.request.method": method,
                "server.address": host,
                "http.request.body.size": len(content),
            },
        )
        if self._propagate:
            headers = _with_trace_context(headers, trace.set_span_in_context(span))
        try:
            response = await self._upstream.open(provider_id, method, url, headers, content)
        except BaseException as exc:
            _failed(span, exc)
            span.end()
            raise
        span.set_attribute("http.response.status_code", response.status_code)
        return _TracedResponse(response, span)

    async def aclose(self) -> None:
        await self._upstream.aclose()


def _with_trace_context(
    headers: list[tuple[bytes, bytes]], context: otel_context.Context
) -> list[tuple[bytes, bytes]]:
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=context)
    return [*headers, *((k.encode(), v.encode()) for k, v in carrier.items())]


class _TracedResponse:
    def __init__(self, response: UpstreamResponse, span: Span) -> None:
        self._response = response
        self._span = span
        self.status_code = response.status_code

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return self._response.raw_headers()

    async def chunks(self) -> AsyncIterator[bytes]:
        size = 0
        try:
            async for chunk in self._response.chunks():
                size += len(chunk)
                yield chunk
        except BaseException as exc:
            _failed(self._span, exc)
            raise
        finally:
            if self._span.is_recording():  # not yet ended by an early close
                self._span.set_attribute("http.response.body.size", size)

    async def aclose(self) -> None:
        try:
            await self._response.aclose()
        finally:
            self._span.end()


def request_attributes(record: AuditRecord) -> dict[str, str | int | list[str]]:
    """The audit record's facts as span attributes, minus the user and the address."""
    attributes: dict[str, str | int | list[str]] = {
        "haetae.request_id": record.request_id,
        "haetae.decision": record.decision,
    }
    if record.status is not None:
        attributes["http.response.status_code"] = record.status
    if record.upstream_status is not None:
        attributes["haetae.upstream.status_code"] = record.upstream_status
    if record.provider:
        attributes["haetae.provider"] = record.provider
    if record.api:
        attributes["haetae.api"] = record.api
    if record.model:
        attributes["gen_ai.request.model"] = record.model[:_MODEL_CHARS]
    if record.rule_ids:
        attributes["haetae.rule_ids"] = list(record.rule_ids)
    if record.monitored_rule_ids:
        attributes["haetae.monitored_rule_ids"] = list(record.monitored_rule_ids)
    if record.entities:
        types = sorted(record.entities)
        attributes["haetae.entity_types"] = types
        attributes["haetae.entity_counts"] = [f"{t}={record.entities[t]}" for t in types]
        attributes["haetae.findings"] = sum(record.entities.values())
    if record.policy_version:
        attributes["haetae.policy.version"] = record.policy_version
    if record.error:
        attributes["error.type"] = record.error
    return attributes


def annotate_request(record: AuditRecord) -> None:
    """Put the record's facts on the request's server span and name it by its route."""
    span = _request_span.get()
    if span is None or not span.is_recording():
        return
    span.set_attributes(request_attributes(record))
    if record.provider and record.api:
        span.update_name(f"{record.method} {record.provider}:{record.api}")
    if record.status is not None and record.status >= 500:
        span.set_status(Status(StatusCode.ERROR, record.error or str(record.status)))


def record_span(tracer: RequestTracer, name: str) -> Span:
    """A span for the audit hand-off, a child of whatever is current (the request)."""
    if _unsampled():
        return trace.INVALID_SPAN
    return tracer.tracer.start_span(name)
