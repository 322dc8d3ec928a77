"""Forward: send the inspected request upstream and relay the answer as it comes.

Each upstream chunk becomes one ASGI body message at once (no coalescing, so
server-sent events keep their timing), and ``send`` awaiting the client gives
backpressure. A watcher on ``receive`` notices the client leaving and closes
the upstream response, so no abandoned stream keeps generating (and billing).

The answer is the upstream's to shape, so nothing about it is trusted: only
allow-listed headers cross (``upstream/headers.py``); an answer that must be
read to restore pseudonyms is read in bounded memory and time
(``upstream/events.py``); and when the upstream breaks a limit after the head
has gone out, the client still gets an error it can parse — the provider's own
stream error event — before the stream ends (:class:`StreamAborted`).
"""

from __future__ import annotations

import asyncio
import codecs
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import orjson

from gateway.answers.inspect import AnswerInspection
from gateway.coaching import COACHED_APIS, coached
from gateway.detect.restore import StreamRestorer, restore_document, restore_text
from gateway.errors import Refusal, UpstreamProtocolError
from gateway.exchange import elapsed_ms
from gateway.providers.gemini_files import through_gateway
from gateway.responses import protocol_error_message, stream_error_event
from gateway.restore_events import EventStreamRestorer
from gateway.upstream import (
    Upstream,
    UpstreamResponse,
    relayable_response_headers,
    strip_query_credentials,
    upstream_request_headers,
)
from gateway.upstream.events import StreamLimits, progressing

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.types import Receive, Send

__all__ = ["ClientGone", "Forward", "StreamAborted"]


class ClientGone(Exception):
    """The client disconnected before the whole answer was relayed."""


class StreamAborted(Exception):
    """The upstream failed after the response head was relayed; ``code`` is the error kind.

    ``reported`` says whether the client got the provider's stream error event
    (an event stream, cut at an event boundary). Otherwise only closing the
    connection mid-body tells it that the answer is incomplete.
    """

    def __init__(self, code: str, *, reported: bool) -> None:
        super().__init__(code)
        self.code = code
        self.reported = reported


class Forward:
    name = "forward"

    def __init__(
        self,
        upstream: Upstream,
        limits: StreamLimits | None = None,
        answers: AnswerInspection | None = None,
    ) -> None:
        self._upstream = upstream
        self._limits = limits or StreamLimits()
        self._answers = answers

    def with_upstream(self, upstream: Upstream) -> Forward:
        """The same limits and answer inspection, sending through ``upstream``."""
        return Forward(upstream, self._limits, self._answers)

    def reads_answer(self, exchange: Exchange) -> bool:
        """The answer must be read: to restore pseudonyms, for rules that judge it, or to
        open it with a coach note."""
        return (
            bool(exchange.restore_mapping)
            or (self._answers is not None and self._answers.applies(exchange))
            or _coaches(exchange)
        )

    async def open(self, exchange: Exchange) -> UpstreamResponse:
        """Connect and send; returns at the response head (errors are Refusals)."""
        provider = exchange.provider
        assert provider is not None and provider.base_url is not None
        injected = provider.auth_header_value()
        query = exchange.query if exchange.outgoing_query is None else exchange.outgoing_query
        if injected is not None:  # the caller's credential parameters are not needed
            query = strip_query_credentials(query)
        url = provider.base_url + exchange.upstream_path
        if query:
            url += "?" + query.decode("latin-1")
        body = exchange.outgoing_body if exchange.outgoing_body is not None else exchange.body
        headers = upstream_request_headers(exchange.headers, injected)
        if self.reads_answer(exchange):
            # Pseudonyms are restored or rules judge the answer: it must arrive readable.
            headers = [(k, v) for k, v in headers if k != b"accept-encoding"]
            headers.append((b"accept-encoding", b"identity"))
        return await self._upstream.open(provider.id, exchange.method, url, headers, body)

    async def relay(
        self,
        exchange: Exchange,
        response: UpstreamResponse,
        send: Send,
        extra_headers: list[tuple[bytes, bytes]],
    ) -> None:
        """Stream the response to the client.

        Raises ``ClientGone`` if it left, a ``Refusal`` before anything was sent
        (an answer that cannot be restored), ``StreamAborted`` after.
        """
        assert exchange.provider is not None
        headers = relayable_response_headers(response.raw_headers())
        if exchange.provider.family == "gemini" and exchange.provider.base_url:
            gateway = (exchange.scheme, exchange.header(b"host"))
            headers = through_gateway(
                headers, exchange.provider.base_url, exchange.provider.id, gateway
            )
        if self.reads_answer(exchange):
            encoding = _content_encoding(headers)
            if encoding not in (b"", b"identity"):
                # Asked for identity; a compressed answer cannot be read to restore.
                await response.aclose()
                reason = "unrequested_encoding"
                raise UpstreamProtocolError(protocol_error_message(exchange, reason), reason=reason)
            # Restored values change the length; uvicorn then uses chunked encoding.
            headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.extend(extra_headers)
        pump = asyncio.ensure_future(self._pump(exchange, response, send, headers))
        watcher = asyncio.ensure_future(_until_disconnect(exchange.receive))
        try:
            done, _ = await asyncio.wait((pump, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, watcher):
                task.cancel()
            await asyncio.gather(pump, watcher, return_exceptions=True)
            await response.aclose()
        if pump in done:
            pump.result()  # re-raise a failure of the upstream mid-stream
        else:
            raise ClientGone

    async def _pump(
        self,
        exchange: Exchange,
        response: UpstreamResponse,
        send: Send,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        assert exchange.provider is not None
        first = True
        event_stream = _is_event_stream(headers)
        chunks = response.chunks()
        judge = self._answers.judge_for(exchange) if self._answers is not None else None
        if judge is not None:
            assert self._answers is not None
            if not event_stream:  # read whole, judged before the head: a block is a refusal
                try:
                    body = await self._answers.read_whole(chunks)
                except UpstreamProtocolError as broken:  # in the caller's language
                    message = protocol_error_message(exchange, broken.reason)
                    raise UpstreamProtocolError(message, reason=broken.reason) from None
                began = time.perf_counter()
                api = exchange.endpoint.api if exchange.endpoint is not None else None
                body = await self._answers.whole(judge, body, api)
                exchange.timings_ms["answer"] = elapsed_ms(began)
                if judge.verdict.action != "allow":  # the head is not sent yet: say so
                    headers.append((b"x-haetae-answer", judge.verdict.action.encode()))
                if exchange.restore_mapping:  # read whole anyway: restored field by field
                    body = await _restored_whole_off_loop(body, exchange.restore_mapping)
                chunks = _one(body)
            else:  # judged as it flows; the time it takes is added up in "answer"
                limits = self._limits
                chunks = self._answers.stream(
                    judge, exchange, chunks, limits.max_event_bytes, limits.idle_timeout
                )
        if exchange.restore_mapping and (judge is None or event_stream):
            # after the rules: the caller's own values are not judged
            chunks = restored(chunks, exchange.restore_mapping, event_stream, self._limits)
        coaching = _coaches(exchange) and 200 <= response.status_code < 300
        if coaching:
            assert exchange.endpoint is not None and exchange.notice is not None
            api, limit = exchange.endpoint.api, self._limits.max_event_bytes
            chunks = coached(chunks, api, exchange.notice, event_stream, limit)
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        whole_events = judge is not None or bool(exchange.restore_mapping)
        at_boundary = True  # whether the client has whole events only (nothing half-sent)
        try:
            async for chunk in chunks:
                if first:
                    exchange.timings_ms["first_byte"] = elapsed_ms(exchange.started)
                    first = False
                try:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                except OSError:
                    raise ClientGone from None
                if event_stream and not whole_events:
                    at_boundary = chunk.endswith(_EVENT_ENDS)
        except Refusal as failure:
            # Restored streams are relayed in whole events; a passed-through one may have
            # stopped mid-event, where an error event would be glued to the broken one.
            if not (event_stream and at_boundary):
                raise StreamAborted(failure.code, reported=False) from None
            message = failure.message
            if isinstance(failure, UpstreamProtocolError):
                message = protocol_error_message(exchange, failure.reason)
            error = stream_error_event(exchange.family, failure.status, failure.code, message)
            try:
                await send({"type": "http.response.body", "body": error, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            except OSError:
                raise ClientGone from None
            raise StreamAborted(failure.code, reported=True) from None
        await send({"type": "http.response.body", "body": b""})


async def restored(
    chunks: AsyncIterator[bytes],
    mapping: dict[str, str],
    event_stream: bool,
    limits: StreamLimits,
) -> AsyncIterator[bytes]:
    """The body with this request's pseudonyms turned back into their values.

    Event streams are restored field by field across events (``restore_events``),
    holding at most one event (``limits``). Another body that ends within
    ``max_event_bytes`` (every real answer) is restored in its parsed strings, so a
    value restored into tool-call arguments is escaped for their JSON too. Past
    that, it is restored as text: placeholders are plain ASCII, found in the raw
    JSON, and the values go back JSON-escaped since they land inside JSON strings;
    only a tail that could begin a placeholder is held between chunks, so a body
    of any size streams through in constant memory beyond the first
    ``max_event_bytes``.
    """
    if event_stream:
        events = EventStreamRestorer(mapping, limits.max_event_bytes)
        async for chunk in progressing(chunks, events.framer, limits.idle_timeout):
            if out := events.feed(chunk):
                yield out
        if out := events.flush():
            yield out
        return
    iterator = aiter(chunks)
    start = bytearray()
    async for chunk in iterator:
        start += chunk
        if len(start) > limits.max_event_bytes:
            break
    else:  # the whole body, within the bound
        if start:
            yield await _restored_whole_off_loop(bytes(start), mapping)
        return
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    restorer = StreamRestorer(mapping, json_escape=True)
    if text := restorer.feed(decoder.decode(bytes(start))):
        yield text.encode()
    del start
    async for chunk in iterator:
        text = restorer.feed(decoder.decode(chunk))
        if text:
            yield text.encode()
    rest = restorer.feed(decoder.decode(b"", final=True)) + restorer.flush()
    if rest:
        yield rest.encode()


def _coaches(exchange: Exchange) -> bool:
    """The policy writes coach notes into answers, this request has one, and its API's
    answers have a known text field (``coaching.COACHED_APIS``)."""
    return (
        exchange.notice is not None
        and exchange.policy.document.coach_in_answer
        and exchange.endpoint is not None
        and exchange.endpoint.api in COACHED_APIS
    )


async def _one(body: bytes) -> AsyncIterator[bytes]:
    yield body


#: a whole answer larger than this is restored on a thread: parsing, walking and writing
#: out 1.5 MB held the loop for ~10 ms of its CPU (~7 µs a KB); a 64 KB one costs ~0.4 ms
RESTORE_INLINE_BYTES = 64 * 1024


async def _restored_whole_off_loop(body: bytes, mapping: dict[str, str]) -> bytes:
    """``_restored_whole``, on a thread for a large answer, so the loop serves others."""
    if len(body) > RESTORE_INLINE_BYTES:
        return await asyncio.to_thread(_restored_whole, body, mapping)
    return _restored_whole(body, mapping)


def _restored_whole(body: bytes, mapping: dict[str, str]) -> bytes:
    """A whole answer's pseudonyms restored in its parsed strings, so tool-call arguments
    get their values JSON-escaped; a body that is not JSON is restored as text."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return restore_text(body.decode("utf-8", "replace"), mapping).encode()
    return orjson.dumps(restore_document(document, mapping))


#: how a relayed chunk ends when it ends on an event boundary
_EVENT_ENDS = (b"\n\n", b"\r\n\r\n", b"\r\r")


def _content_encoding(headers: list[tuple[bytes, bytes]]) -> bytes:
    for name, value in headers:
        if name == b"content-encoding":
            return value.strip().lower()
    return b""


def _is_event_stream(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name == b"content-type" and value.lower().startswith(b"text/event-stream")
        for name, value in headers
    )


async def _until_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
