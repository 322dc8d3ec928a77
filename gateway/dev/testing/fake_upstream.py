"""A fake LLM provider: one pure-ASGI app answering OpenAI, Anthropic and Gemini calls.

The gateway's tests, the demo and the benchmark all need an upstream that the
official SDKs accept, that records what it was sent, and that can be told to
fail, stall or stream for a long time. Paths are matched by suffix so that any
provider prefix (``/v1``, ``/api/paas/v4``, ``/compatible-mode/v1`` ...) works.

Behaviour is driven by request headers, so tests can set them through the
SDKs' ``extra_headers``:

* ``x-fake-status: N`` - answer with HTTP ``N`` and that dialect's error body;
* ``x-fake-delay-ms: N`` - wait before answering (timeout tests);
* ``x-fake-chunk-delay-ms: N`` - wait between stream events;
* ``x-fake-chunks: N`` - number of content chunks in a stream (default 4).

Every reply is ``"echo: " + <last user text>``, unless a test set ``scripted``
to a ``fake_answers.ScriptedAnswer``: then every answer is that text (and tool
call), streamed in exactly its pieces. File uploads, Upload parts, batches and
Gemini's resumable upload get the objects their SDKs expect (``fake_files.py``).
Pure ASGI (no framework) keeps it fast enough to be the benchmark's baseline
upstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.dev.testing import fake_answers as fa
from gateway.dev.testing import fake_files
from gateway.dev.testing import fake_prompts as fp
from gateway.dev.testing import fake_replies as fr

__all__ = ["FakeUpstream", "ReceivedRequest"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

_JSON_TYPE = (b"content-type", b"application/json")
_SSE_TYPE = (b"content-type", b"text/event-stream; charset=utf-8")
_NO_CACHE = (b"cache-control", b"no-cache")
_GEMINI_ACTION = re.compile(r"/([^/]+):(generateContent|streamGenerateContent|countTokens)$")
_DIALECT_OF_KIND = {
    "chat": "openai",
    "responses": "openai",
    "embeddings": "openai",
    "anthropic": "anthropic",
    "anthropic_count": "anthropic",
    "generateContent": "gemini",
    "streamGenerateContent": "gemini",
    "countTokens": "gemini",
    "file": "openai",
}
MAX_CHUNKS = 100_000


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as the fake upstream saw it (header names lower-cased)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.time)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.body)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, used by ``GET /__fake__/received``."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.text,
        }


@dataclass(frozen=True, slots=True)
class _Controls:
    """The ``x-fake-*`` request headers, parsed once."""

    status: int
    delay: float
    chunk_delay: float
    chunks: int

    @classmethod
    def parse(cls, headers: dict[str, str], default_chunks: int) -> _Controls:
        status = _int(headers.get("x-fake-status"), 0)
        return cls(
            status=status if 400 <= status <= 599 else 0,
            delay=max(0, _int(headers.get("x-fake-delay-ms"), 0)) / 1000,
            chunk_delay=max(0, _int(headers.get("x-fake-chunk-delay-ms"), 0)) / 1000,
            chunks=min(MAX_CHUNKS, max(1, _int(headers.get("x-fake-chunks"), default_chunks))),
        )


@dataclass(slots=True)
class _Reply:
    """What to send back: a JSON body, or a stream of pre-framed events."""

    status: int = 200
    body: Any = None
    events: Iterator[bytes] | None = None
    headers: Headers = field(default_factory=list)
    content_type: tuple[bytes, bytes] = _SSE_TYPE


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


class FakeUpstream:
    """ASGI app imitating the provider APIs closely enough for the official SDKs.

    ``record=False`` skips request recording (benchmark); ``max_recorded`` bounds
    memory by dropping the oldest records. ``received`` and ``active_streams``
    may be read from any thread while the app serves on another.
    """

    def __init__(
        self, *, record: bool = True, max_recorded: int = 1000, default_chunks: int = 4
    ) -> None:
        self.record = record
        self.default_chunks = default_chunks
        self._lock = threading.Lock()
        self._received: deque[ReceivedRequest] = deque(maxlen=max_recorded)
        self._active_streams = 0
        #: what every answer says instead of the echo, when a test scripted it
        self.scripted: fa.ScriptedAnswer | None = None

    # --- state read by tests ---------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedRequest]:
        """A snapshot of the recorded requests, oldest first."""
        with self._lock:
            return list(self._received)

    @property
    def active_streams(self) -> int:
        """Streaming responses currently being written."""
        with self._lock:
            return self._active_streams

    def reset(self) -> None:
        """Forget recorded requests (streams in progress are still counted)."""
        with self._lock:
            self._received.clear()

    def wait_for_no_streams(self, timeout: float = 5.0) -> bool:
        """Block until no stream is in progress; False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        while self.active_streams:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    @contextlib.contextmanager
    def _streaming(self) -> Iterator[None]:
        with self._lock:
            self._active_streams += 1
        try:
            yield
        finally:
            with self._lock:
                self._active_streams -= 1

    # --- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        if body is None:
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        req = ReceivedRequest(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        if "/__fake__/" in req.path:
            await self._admin(req, send)
            return
        if self.record:
            with self._lock:
                self._received.append(req)
        await self._answer(req, receive, send)

    async def _admin(self, req: ReceivedRequest, send: Send) -> None:
        """Cross-process access for the demo; these requests are never recorded."""
        if req.method == "GET" and req.path.endswith("/__fake__/received"):
            await _send_json(send, 200, [r.as_dict() for r in self.received])
        elif req.method == "GET" and req.path.endswith("/__fake__/active_streams"):
            await _send_json(send, 200, {"active_streams": self.active_streams})
        elif req.method == "POST" and req.path.endswith("/__fake__/reset"):
            self.reset()
            await _send_json(send, 200, {"ok": True})
        else:
            await _send_json(send, 404, fr.error_body("openai", 404, f"No route {req.path}"))

    async def _answer(self, req: ReceivedRequest, receive: Receive, send: Send) -> None:
        controls = _Controls.parse(req.headers, self.default_chunks)
        watcher: asyncio.Task[None] | None = None
        try:
            if controls.delay:
                watcher = asyncio.create_task(_wait_disconnect(receive))
                if await _pause(watcher, controls.delay):
                    return
            reply = self._reply(req, controls)
            extra = [(b"x-request-id", fr.new_id("req_").encode()), *reply.headers]
            if reply.events is None:
                await _send_json(send, reply.status, reply.body, extra)
                return
            if watcher is None:
                watcher = asyncio.create_task(_wait_disconnect(receive))
            extra += [reply.content_type, _NO_CACHE]
            await self._stream(send, watcher, reply.events, extra, controls.chunk_delay)
        finally:
            if watcher is not None:
                watcher.cancel()

    async def _stream(
        self,
        send: Send,
        watcher: asyncio.Task[None],
        events: Iterator[bytes],
        headers: Headers,
        delay: float,
    ) -> None:
        """Send each event as its own body message; stop as soon as the client leaves."""
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        with self._streaming():
            for index, event in enumerate(events):
                if delay and index:
                    gone = await _pause(watcher, delay)
                else:
                    await asyncio.sleep(0)  # let the loop notice a closed connection
                    gone = watcher.done()
                if gone:
                    return
                await send({"type": "http.response.body", "body": event, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    # --- routing and replies -----------------------------------------------------------------

    def _reply(self, req: ReceivedRequest, controls: _Controls) -> _Reply:
        kind, arg = _route(req.method, req.path)
        if kind == "unknown":
            message = f"Unknown request URL: {req.method} {req.path}"
            return _Reply(404, fr.error_body("openai", 404, message))
        dialect = _DIALECT_OF_KIND.get(kind) or _models_dialect(req)
        if controls.status:
            message = f"Fake upstream error {controls.status} (requested by x-fake-status)"
            retry = [(b"retry-after", b"0")] if controls.status in (429, 503) else []
            return _Reply(
                controls.status, fr.error_body(dialect, controls.status, message), None, retry
            )
        if kind == "models":
            return _Reply(body=fr.model_list(dialect))
        if kind == "model":
            return _Reply(body=fr.model_info(dialect, arg))
        if kind == "file":
            status, body, headers = fake_files.file_reply(
                req.method, req.path, req.headers, req.body
            )
            return _Reply(status, body, None, headers)
        try:
            body = orjson.loads(req.body) if req.body else {}
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            return _Reply(400, fr.error_body(dialect, 400, "Request body is not a JSON object"))
        if self.scripted is not None and kind in _SCRIPTABLE:
            return _scripted(kind, arg, body, self.scripted, "alt=sse" in req.query)
        if dialect == "openai":
            return _openai_reply(kind, body, controls.chunks)
        if dialect == "anthropic":
            return _anthropic_reply(kind, body, controls.chunks)
        return _gemini_reply(kind, arg, body, controls.chunks, "alt=sse" in req.query)


def _route(method: str, path: str) -> tuple[str, str]:
    """Match by path suffix: (kind, argument) where argument is a model name if any."""
    if method == "POST":
        for suffix, kind in (
            ("/chat/completions", "chat"),
            ("/responses", "responses"),
            ("/embeddings", "embeddings"),
            ("/messages/count_tokens", "anthropic_count"),
            ("/messages", "anthropic"),
        ):
            if path.endswith(suffix):
                return kind, ""
        match = _GEMINI_ACTION.search(path)
        if match:
            return match.group(2), match.group(1)
        if fake_files.file_reply(method, path, {}, b"") is not None:
            return "file", ""
    elif fake_files.file_reply(method, path, {}, b"") is not None:
        return "file", ""
    if method == "GET":
        if path.endswith("/models"):
            return "models", ""
        _, sep, model_id = path.rpartition("/models/")
        if sep and model_id:
            return "model", model_id
    return "unknown", ""


def _models_dialect(req: ReceivedRequest) -> str:
    """``GET .../models`` exists in all three APIs; tell them apart by SDK headers."""
    if "anthropic-version" in req.headers:
        return "anthropic"
    gemini_path = "/v1beta/" in req.path or "/v1alpha/" in req.path
    if "x-goog-api-key" in req.headers or gemini_path or "key=" in req.query:
        return "gemini"
    return "openai"


def _openai_reply(kind: str, body: dict[str, Any], chunks: int) -> _Reply:
    model = str(body.get("model") or "gpt-4o-mini")
    stream = body.get("stream") is True
    if kind == "embeddings":
        dims = body.get("dimensions")
        dims = dims if isinstance(dims, int) and 1 <= dims <= 4096 else 8
        fmt = "base64" if body.get("encoding_format") == "base64" else "float"
        keys = fr.embedding_inputs(body.get("input"))
        return _Reply(body=fr.embeddings_reply(model, keys, fmt, dims))
    if kind == "responses":
        reply = fp.echo(fp.responses_prompt(body))
        tokens = fr.count_tokens(fp.all_text([body.get("instructions"), body.get("input")]))
        if stream:
            return _Reply(events=fr.response_events(model, fr.split_reply(reply, chunks), tokens))
        return _Reply(body=fr.response_reply(model, reply, tokens))
    reply = fp.echo(fp.chat_prompt(body))
    tokens = fr.count_tokens(fp.all_text(body.get("messages")))
    if stream:
        options = body.get("stream_options")
        usage = isinstance(options, dict) and options.get("include_usage") is True
        pieces = fr.split_reply(reply, chunks)
        return _Reply(events=fr.chat_events(model, pieces, tokens, usage))
    return _Reply(body=fr.chat_completion(model, reply, tokens))


def _anthropic_reply(kind: str, body: dict[str, Any], chunks: int) -> _Reply:
    model = str(body.get("model") or "claude-sonnet-4-6")
    tokens = fr.count_tokens(fp.all_text([body.get("system"), body.get("messages")]))
    if kind == "anthropic_count":
        return _Reply(body={"input_tokens": tokens})
    reply = fp.echo(fp.anthropic_prompt(body))
    if body.get("stream") is True:
        return _Reply(events=fr.anthropic_events(model, fr.split_reply(reply, chunks), tokens))
    return _Reply(body=fr.anthropic_message(model, reply, tokens))


def _gemini_reply(kind: str, model: str, body: dict[str, Any], chunks: int, sse: bool) -> _Reply:
    text = fp.all_text([body.get("systemInstruction"), body.get("contents")])
    if kind == "countTokens":
        request = body.get("generateContentRequest")
        tokens = fr.count_tokens(fp.all_text(request) if request else text)
        details = [{"modality": "TEXT", "tokenCount": tokens}]
        return _Reply(body={"totalTokens": tokens, "promptTokensDetails": details})
    tokens = fr.count_tokens(text)
    reply = fp.echo(fp.gemini_prompt(body))
    if kind == "generateContent":
        return _Reply(body=fr.gemini_response(model, reply, tokens, fr.count_tokens(reply)))
    parts = fr.gemini_chunks(model, fr.split_reply(reply, chunks), tokens)
    if sse:
        return _Reply(events=(fr.sse(chunk, eol=b"\r\n") for chunk in parts))
    return _Reply(events=_json_array(parts), content_type=_JSON_TYPE)


_SCRIPTABLE = frozenset(
    {"chat", "responses", "anthropic", "generateContent", "streamGenerateContent"}
)


def _scripted(
    kind: str, model: str, body: dict[str, Any], answer: fa.ScriptedAnswer, sse: bool
) -> _Reply:
    model = str(body.get("model") or model or "fake-model")
    prompts = {"chat": fp.chat_prompt, "responses": fp.responses_prompt}
    prompt = prompts.get(kind, fp.anthropic_prompt if kind == "anthropic" else fp.gemini_prompt)
    answer = answer.with_prompt(prompt(body))
    if kind == "generateContent":
        return _Reply(body=fa.scripted_body(kind, model, answer))
    if kind == "streamGenerateContent":
        if sse:
            return _Reply(events=fa.scripted_events(kind, model, answer))
        return _Reply(
            events=_json_array(fa.scripted_chunks(model, answer)), content_type=_JSON_TYPE
        )
    if body.get("stream") is True:
        return _Reply(events=fa.scripted_events(kind, model, answer))
    return _Reply(body=fa.scripted_body(kind, model, answer))


def _json_array(items: Iterator[Any]) -> Iterator[bytes]:
    """Gemini's stream framing without ``alt=sse``: one JSON array, element by element."""
    separator = b"["
    for item in items:
        yield separator + orjson.dumps(item)
        separator = b",\r\n"
    yield b"[]" if separator == b"[" else b"]"


# --- ASGI helpers --------------------------------------------------------------------------------


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if the client left before sending it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _pause(watcher: asyncio.Task[None], seconds: float) -> bool:
    """Sleep up to ``seconds``; True (early) if the client disconnected meanwhile."""
    done, _ = await asyncio.wait({watcher}, timeout=seconds)
    return bool(done)


async def _send_json(send: Send, status: int, body: Any, headers: Headers | None = None) -> None:
    data = orjson.dumps(body)
    start_headers = [_JSON_TYPE, (b"content-length", str(len(data)).encode()), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": data, "more_body": False})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
