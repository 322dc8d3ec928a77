"""The fake upstream must satisfy the official SDKs, since every gateway test relies on it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator, MutableMapping
from typing import Any

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from gateway.dev.testing import FakeUpstream, ReceivedRequest, ServerThread
from gateway.dev.testing.fake_replies import split_reply

pytestmark = pytest.mark.timeout(30)

LONG_STREAM = {"x-fake-chunks": "10000", "x-fake-chunk-delay-ms": "2"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ServerThread, FakeUpstream]]:
    fake = FakeUpstream()
    with ServerThread(fake) as server:
        yield server, fake


@pytest.fixture
def server(served: tuple[ServerThread, FakeUpstream]) -> ServerThread:
    return served[0]


@pytest.fixture
def fake(served: tuple[ServerThread, FakeUpstream]) -> FakeUpstream:
    served[1].reset()
    return served[1]


@pytest.fixture
def oai(server: ServerThread) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key="sk-test", base_url=server.url("/v1"), max_retries=0) as client:
        yield client


@pytest.fixture
def claude(server: ServerThread) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(api_key="sk-ant", base_url=server.base_url, max_retries=0) as client:
        yield client


@pytest.fixture
def gemini(server: ServerThread) -> genai.Client:
    options = genai_types.HttpOptions(base_url=server.base_url)
    return genai.Client(api_key="g-key", http_options=options)


def user(text: str) -> Any:
    """Chat messages ending in a user turn (``Any``: the SDKs want their TypedDicts)."""
    return [{"role": "system", "content": "be brief"}, {"role": "user", "content": text}]


def last(fake: FakeUpstream) -> ReceivedRequest:
    return fake.received[-1]


# --- ServerThread ------------------------------------------------------------------------------


def test_server_thread_knows_port_before_start_and_refuses_non_loopback() -> None:
    thread = ServerThread(FakeUpstream())
    assert thread.port > 0 and thread.base_url == f"http://127.0.0.1:{thread.port}"
    thread.stop()  # never started: just releases the socket
    with pytest.raises(ValueError):
        ServerThread(FakeUpstream(), host="0.0.0.0")


def test_server_thread_passes_lifespan_through() -> None:
    events: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            events.append(message["type"])
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    with ServerThread(app, lifespan="on") as thread:
        assert thread.running and events == ["lifespan.startup"]
    assert events == ["lifespan.startup", "lifespan.shutdown"] and not thread.running


def test_server_thread_reports_failed_startup() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "boom"})

    with pytest.raises(RuntimeError, match="failed to start"):
        ServerThread(app, lifespan="on").start()


@pytest.mark.parametrize("loop", ["asyncio", "auto"])
def test_server_thread_connections_do_not_stall_on_nagle(loop: str) -> None:
    """Without TCP_NODELAY on accepted connections, every small response waits ~40 ms for
    the client's delayed ACK (30 requests: ~1.3 s instead of ~20 ms). asyncio sets it only
    when the listening socket says it is TCP, so check the connection the server holds."""
    with (
        ServerThread(FakeUpstream(record=False), loop=loop) as thread,
        httpx.Client(base_url=thread.base_url) as client,
    ):
        client.post("/v1/chat/completions", json={"messages": user("x")})  # kept alive
        (connection,) = thread.server.server_state.connections
        accepted = connection.transport.get_extra_info("socket")
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


# --- OpenAI ------------------------------------------------------------------------------------


def test_chat_completion_echoes_last_user_turn(oai: openai.OpenAI, fake: FakeUpstream) -> None:
    reply = oai.chat.completions.create(model="gpt-4o-mini", messages=user("hello there"))
    assert reply.choices[0].message.content == "echo: hello there"
    assert reply.choices[0].finish_reason == "stop" and reply.model == "gpt-4o-mini"
    assert reply.usage is not None and reply.usage.completion_tokens == 3
    seen = last(fake)
    assert (seen.method, seen.path) == ("POST", "/v1/chat/completions")
    assert seen.headers["authorization"] == "Bearer sk-test"
    assert seen.json()["messages"][-1]["content"] == "hello there"


def test_chat_stream_with_usage(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": [{"type": "text", "text": "stream me please"}]}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert "".join(pieces) == "echo: stream me please" and len(pieces) >= 3
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_chat_stream_helper_accumulates(oai: openai.OpenAI) -> None:
    with oai.chat.completions.stream(model="m", messages=user("a b c d e")) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "echo: a b c d e"


@pytest.mark.parametrize("prefix", ["/openai/v1", "/api/paas/v4", "/compatible-mode/v1"])
def test_any_path_prefix_works(server: ServerThread, fake: FakeUpstream, prefix: str) -> None:
    with openai.OpenAI(api_key="k", base_url=server.url(prefix), max_retries=0) as client:
        reply = client.chat.completions.create(model="glm-4", messages=user("hi"))
    assert reply.choices[0].message.content == "echo: hi"
    assert last(fake).path == prefix + "/chat/completions"


def test_responses_create(oai: openai.OpenAI) -> None:
    assert oai.responses.create(model="gpt-4.1", input="plain input").output_text == (
        "echo: plain input"
    )
    items = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ignored"},
        {"role": "user", "content": [{"type": "input_text", "text": "second turn"}]},
    ]
    reply = oai.responses.create(model="gpt-4.1", input=items)  # type: ignore[arg-type]
    assert reply.output_text == "echo: second turn" and reply.status == "completed"
    assert reply.usage is not None and reply.usage.output_tokens == 3


def test_responses_stream(oai: openai.OpenAI) -> None:
    with oai.responses.stream(model="gpt-4.1", input="stream this") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert final.output_text == "echo: stream this" and "".join(deltas) == final.output_text
    events = [e.type for e in oai.responses.create(model="gpt-4.1", input="x", stream=True)]
    assert events[0] == "response.created" and events[-1] == "response.completed"
    assert events.count("response.output_text.delta") == 4
    numbers = [e.sequence_number for e in oai.responses.create(model="m", input="y", stream=True)]
    assert numbers == list(range(len(numbers)))


def test_embeddings_base64_default_matches_float(oai: openai.OpenAI, fake: FakeUpstream) -> None:
    default = oai.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    assert last(fake).json()["encoding_format"] == "base64"  # the SDK's default
    floats = oai.embeddings.create(
        model="text-embedding-3-small", input=["alpha", "beta"], encoding_format="float"
    )
    assert [d.embedding for d in default.data] == [d.embedding for d in floats.data]
    assert len(default.data) == 2 and len(default.data[0].embedding) == 8
    assert default.data[0].embedding != default.data[1].embedding
    sized = oai.embeddings.create(model="m", input=[[1, 2, 3]], dimensions=32)
    assert len(sized.data[0].embedding) == 32


def test_openai_models(oai: openai.OpenAI) -> None:
    assert "gpt-4o-mini" in [m.id for m in oai.models.list()]
    assert oai.models.retrieve("gpt-4.1").id == "gpt-4.1"


# --- Anthropic ---------------------------------------------------------------------------------


def test_anthropic_messages(claude: anthropic.Anthropic, fake: FakeUpstream) -> None:
    message = claude.messages.create(
        model="claude-haiku-4-5",
        max_tokens=64,
        system="be brief",
        messages=[{"role": "user", "content": [{"type": "text", "text": "hi claude"}]}],
    )
    assert message.content[0].type == "text" and message.content[0].text == "echo: hi claude"
    assert message.stop_reason == "end_turn" and message.usage.output_tokens == 3
    assert last(fake).path == "/v1/messages" and "anthropic-version" in last(fake).headers


def test_anthropic_stream(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model="claude-haiku-4-5", max_tokens=64, messages=user("stream me")[1:]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(pieces) == "echo: stream me" and len(pieces) >= 3
    assert final.usage.output_tokens == 3 and final.stop_reason == "end_turn"


def test_anthropic_count_tokens_and_models(claude: anthropic.Anthropic) -> None:
    counted = claude.messages.count_tokens(
        model="claude-haiku-4-5", messages=[{"role": "user", "content": "one two three"}]
    )
    assert counted.input_tokens == 3
    assert "claude-haiku-4-5" in [m.id for m in claude.models.list()]


# --- Gemini ------------------------------------------------------------------------------------


def test_gemini_generate_content(gemini: genai.Client, fake: FakeUpstream) -> None:
    reply = gemini.models.generate_content(model="gemini-2.5-flash", contents="hi gemini")
    assert reply.text == "echo: hi gemini"
    assert reply.usage_metadata is not None and reply.usage_metadata.candidates_token_count == 3
    seen = last(fake)
    assert seen.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert seen.headers["x-goog-api-key"] == "g-key"


def test_gemini_stream_count_and_models(gemini: genai.Client, fake: FakeUpstream) -> None:
    chunks = list(gemini.models.generate_content_stream(model="gemini-2.5-flash", contents="go"))
    assert "".join(c.text or "" for c in chunks) == "echo: go" and len(chunks) == 4
    assert last(fake).query == "alt=sse"
    assert gemini.models.count_tokens(model="gemini-2.5-flash", contents="a b c").total_tokens == 3
    assert "models/gemini-2.5-flash" in [m.name for m in gemini.models.list()]


def test_async_clients_stream(server: ServerThread) -> None:
    async def run() -> tuple[str, str]:
        async with openai.AsyncOpenAI(
            api_key="k", base_url=server.url("/v1"), max_retries=0
        ) as client:
            stream = await client.chat.completions.create(
                model="m", messages=user("async one"), stream=True
            )
            text = "".join([c.choices[0].delta.content or "" async for c in stream])
        options = genai_types.HttpOptions(base_url=server.base_url)
        aio = genai.Client(api_key="k", http_options=options).aio
        parts = await aio.models.generate_content_stream(model="gemini-2.5-flash", contents="two")
        gtext = "".join([c.text or "" async for c in parts])
        await aio.aclose()
        return text, gtext

    assert asyncio.run(run()) == ("echo: async one", "echo: two")


# --- control headers ---------------------------------------------------------------------------


def test_error_status_raises_each_sdks_error(
    oai: openai.OpenAI, claude: anthropic.Anthropic, server: ServerThread
) -> None:
    limited = {"x-fake-status": "429"}
    with pytest.raises(openai.RateLimitError) as oai_error:
        oai.chat.completions.create(model="m", messages=user("x"), extra_headers=limited)
    assert oai_error.value.response.headers["retry-after"] == "0"
    assert oai_error.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.InternalServerError):
        oai.responses.create(model="m", input="x", extra_headers={"x-fake-status": "500"})
    with pytest.raises(anthropic.RateLimitError) as claude_error:
        claude.messages.create(
            model="claude-haiku-4-5", max_tokens=8, messages=user("x")[1:], extra_headers=limited
        )
    assert claude_error.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
    options = genai_types.HttpOptions(base_url=server.base_url, headers=limited)
    client = genai.Client(api_key="k", http_options=options)
    with pytest.raises(genai_errors.ClientError) as gemini_error:
        client.models.generate_content(model="gemini-2.5-flash", contents="x")
    assert (gemini_error.value.code, gemini_error.value.status) == (429, "RESOURCE_EXHAUSTED")


def test_delay_header_lets_client_time_out(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.APITimeoutError):
        oai.chat.completions.create(
            model="m", messages=user("x"), extra_headers={"x-fake-delay-ms": "5000"}, timeout=0.2
        )


def test_stream_events_arrive_in_separate_chunks(server: ServerThread) -> None:
    body = {"model": "m", "stream": True, "messages": user("one two three four five six")}
    with (
        httpx.Client() as client,
        client.stream(
            "POST",
            server.url("/v1/chat/completions"),
            json=body,
            headers={"x-fake-chunk-delay-ms": "15", "x-fake-chunks": "5"},
        ) as response,
    ):
        raw = list(response.iter_raw())
    events = b"".join(raw).count(b"\n\n")
    assert events == 8  # role + 5 content + finish + [DONE]
    assert len(raw) >= events


def test_each_event_is_its_own_asgi_message() -> None:
    async def run() -> list[MutableMapping[str, Any]]:
        sent: list[MutableMapping[str, Any]] = []
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                body = b'{"stream": true, "messages": [{"role": "user", "content": "hi"}]}'
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/v1/messages", "headers": []}
        await FakeUpstream(record=False)(scope, receive, send)
        return sent

    messages = asyncio.run(run())
    bodies = [m for m in messages if m["type"] == "http.response.body"]
    assert all(m["body"].count(b"\n\n") == 1 and m["more_body"] for m in bodies[:-1])
    assert len(bodies) - 1 == 6 + 4  # 6 framing events + 4 content deltas
    assert bodies[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


def test_closing_sdk_stream_early_ends_upstream_stream(
    oai: openai.OpenAI, claude: anthropic.Anthropic, fake: FakeUpstream
) -> None:
    stream = oai.chat.completions.create(
        model="m", messages=user("x"), stream=True, extra_headers=LONG_STREAM
    )
    next(iter(stream))
    assert fake.active_streams == 1
    stream.close()
    assert fake.wait_for_no_streams(5.0)
    with claude.messages.stream(
        model="claude-haiku-4-5", max_tokens=8, messages=user("x")[1:], extra_headers=LONG_STREAM
    ) as messages:
        next(iter(messages.text_stream))
        assert fake.active_streams == 1
    assert fake.wait_for_no_streams(5.0)


def test_closing_raw_stream_without_delay_ends_upstream_stream(
    server: ServerThread, fake: FakeUpstream
) -> None:
    url = server.url("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
    body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
    with httpx.Client() as client:
        with client.stream("POST", url, json=body, headers={"x-fake-chunks": "100000"}) as resp:
            assert next(resp.iter_raw()).startswith(b"data: ")
        assert fake.wait_for_no_streams(5.0)


# --- recording and admin endpoints -------------------------------------------------------------


def test_admin_endpoints_and_unknown_paths(server: ServerThread, fake: FakeUpstream) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        missing = client.post("/v1/unknown", json={})
        assert missing.status_code == 404 and missing.json()["error"]["type"]
        client.post("/v1/chat/completions", json={"messages": user("rec")}, params={"a": "1"})
        records = client.get("/__fake__/received").json()
        assert [r["path"] for r in records] == ["/v1/unknown", "/v1/chat/completions"]
        assert records[1]["query"] == "a=1" and '"rec"' in records[1]["body"]
        assert client.get("/__fake__/active_streams").json() == {"active_streams": 0}
        assert client.post("/__fake__/reset").json() == {"ok": True}
        assert client.get("/__fake__/received").json() == []
    assert fake.received == []


def test_recording_can_be_off_or_bounded() -> None:
    async def hit(app: FakeUpstream, times: int) -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            return None

        for index in range(times):
            scope = {"type": "http", "method": "GET", "path": f"/v1/models/m{index}", "headers": []}
            await app(scope, receive, send)

    quiet, bounded = FakeUpstream(record=False), FakeUpstream(max_recorded=3)
    asyncio.run(hit(quiet, 5))
    asyncio.run(hit(bounded, 5))
    assert quiet.received == []
    assert [r.path for r in bounded.received] == [f"/v1/models/m{i}" for i in (2, 3, 4)]


@pytest.mark.parametrize("count", [1, 3, 4, 9, 50])
def test_split_reply_keeps_text_and_count(count: int) -> None:
    text = "echo: the quick brown fox"
    pieces = split_reply(text, count)
    assert len(pieces) == count and all(pieces)
    joined = "".join(pieces)
    assert joined == text if count <= len(text) else joined.startswith(text)
