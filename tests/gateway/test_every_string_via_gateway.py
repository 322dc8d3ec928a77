"""Every string, number and forwarded header is seen, end to end through a real gateway.

An insider who cannot put a resident number or an AWS key in a prompt tries the
places a gateway that reads only text fields passes over: tool and function
names, call ids, roles, settings, signed provider state, numbers split across an
array or a key, custom headers and the Authorization header (issue 10 §1). Sent
with the official SDKs where they send the field, raw JSON otherwise. Under the
default policy each is blocked before the provider is called; under a redact
policy an editable place (a header, a number in metadata) reaches the provider
redacted, and a scan-only place (a name or id the provider checks) is refused
with 400 ``uneditable_content``, nothing forwarded.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import orjson
import pytest
from conftest import custom_gateway
from google import genai
from google.genai import types

from gateway.dev.testing import FakeUpstream, ServerThread

RRN = "900101-1234568"
AWS = "AKIAZ3MHQ4RB5TX7LD2Q"
CHAT = "/openai/v1/chat/completions"
MESSAGES = "/anthropic/v1/messages"
RESPONSES = "/openai/v1/responses"
GEMINI = "/gemini/v1beta/models/gemini-2.5-flash:generateContent"
USER = {"role": "user", "content": "hi"}


def _openai(url: Callable[[str], str], **options: Any) -> openai.OpenAI:
    options.setdefault("api_key", "sk-t")
    return openai.OpenAI(base_url=url("/openai/v1"), max_retries=0, **options)


def _anthropic(url: Callable[[str], str]) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-ant-t", base_url=url("/anthropic"), max_retries=0)


def _genai(url: Callable[[str], str]) -> genai.Client:
    options = types.HttpOptions(base_url=url("/gemini"), api_version="v1beta")
    return genai.Client(api_key="g-t", http_options=options)


def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


def _b64(text: str) -> str:
    return base64.b64encode(f"signed {text} state".encode()).decode()


# -- what each SDK sends, for a value ------------------------------------------


def chat_tool_name(url: Callable[[str], str], v: str) -> Any:
    return _openai(url).chat.completions.create(model="gpt-4o", messages=[USER], tools=[_tool(v)])


def chat_tool_call_id(url: Callable[[str], str], v: str) -> Any:
    call = {"id": v, "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [USER, {"role": "assistant", "tool_calls": [call]}]
    messages.append({"role": "tool", "tool_call_id": v, "content": "ok"})
    return _openai(url).chat.completions.create(model="gpt-4o", messages=messages)


def chat_json_schema_name(url: Callable[[str], str], v: str) -> Any:
    schema = {"type": "json_schema", "json_schema": {"name": v, "schema": {"type": "object"}}}
    return _openai(url).chat.completions.create(
        model="gpt-4o", messages=[USER], response_format=schema
    )


def chat_tool_choice(url: Callable[[str], str], v: str) -> Any:
    return _openai(url).chat.completions.create(
        model="gpt-4o",
        messages=[USER],
        tools=[_tool("f")],
        tool_choice={"type": "function", "function": {"name": v}},
    )


def chat_custom_header(url: Callable[[str], str], v: str) -> Any:
    client = _openai(url, default_headers={"x-request-note": f"ticket {v}"})
    return client.chat.completions.create(model="gpt-4o", messages=[USER])


def chat_user_agent(url: Callable[[str], str], v: str) -> Any:
    client = _openai(url, default_headers={"user-agent": f"tool/1.0 ({v})"})
    return client.chat.completions.create(model="gpt-4o", messages=[USER])


def chat_authorization(url: Callable[[str], str], v: str) -> Any:
    """The caller's own Authorization (passthrough), not shaped like an OpenAI key."""
    return _openai(url, api_key=v).chat.completions.create(model="gpt-4o", messages=[USER])


def responses_include(url: Callable[[str], str], v: str) -> Any:
    return _openai(url).responses.create(model="o3", input="hi", include=[v])  # type: ignore[list-item]


def responses_reasoning_item(url: Callable[[str], str], v: str) -> Any:
    item = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": _b64(v)}
    return _openai(url).responses.create(model="o3", input=[item])  # type: ignore[list-item]


def responses_call_id(url: Callable[[str], str], v: str) -> Any:
    items = [
        {"type": "function_call", "call_id": v, "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": v, "output": "ok"},
    ]
    return _openai(url).responses.create(model="o3", input=items)  # type: ignore[arg-type]


def messages_tool_name(url: Callable[[str], str], v: str) -> Any:
    return _anthropic(url).messages.create(
        model="claude-sonnet-4-6",
        max_tokens=10,
        messages=[USER],  # type: ignore[list-item]
        tools=[{"name": v, "input_schema": {"type": "object"}}],
    )


def messages_tool_use(url: Callable[[str], str], v: str) -> Any:
    blocks = [{"type": "tool_use", "id": "toolu_1", "name": v, "input": {}}]
    result = [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]
    return _anthropic(url).messages.create(
        model="claude-sonnet-4-6",
        max_tokens=10,
        messages=[
            USER,
            {"role": "assistant", "content": blocks},
            {"role": "user", "content": result},
        ],  # type: ignore[list-item]
    )


def messages_thinking_signature(url: Callable[[str], str], v: str) -> Any:
    blocks = [
        {"type": "thinking", "thinking": "ok", "signature": _b64(v)},
        {"type": "text", "text": "done"},
    ]
    return _anthropic(url).messages.create(
        model="claude-sonnet-4-6",
        max_tokens=10,
        messages=[USER, {"role": "assistant", "content": blocks}, USER],  # type: ignore[list-item]
    )


def gemini_function_call_name(url: Callable[[str], str], v: str) -> Any:
    contents = [
        types.Content(role="user", parts=[types.Part(text="hi")]),
        types.Content(
            role="model", parts=[types.Part(function_call=types.FunctionCall(name=v, args={}))]
        ),
    ]
    client = _genai(url)  # held: a client collected mid-call closes its connection
    return client.models.generate_content(model="gemini-2.5-flash", contents=contents)


def gemini_thought_signature(url: Callable[[str], str], v: str) -> Any:
    part = types.Part(text="ok", thought_signature=f"signed {v} state".encode())
    contents = [
        types.Content(role="user", parts=[types.Part(text="hi")]),
        types.Content(role="model", parts=[part]),
    ]
    client = _genai(url)  # held: a client collected mid-call closes its connection
    return client.models.generate_content(model="gemini-2.5-flash", contents=contents)


def gemini_allowed_function_names(url: Callable[[str], str], v: str) -> Any:
    declaration = types.FunctionDeclaration(name="f", description="d")
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[declaration])],
        tool_config=types.ToolConfig(
            function_calling_config=types.FunctionCallingConfig(
                mode=types.FunctionCallingConfigMode.ANY, allowed_function_names=[v]
            )
        ),
    )
    client = _genai(url)
    return client.models.generate_content(model="gemini-2.5-flash", contents="hi", config=config)


SDK_PLACES = [
    chat_tool_name,
    chat_tool_call_id,
    chat_json_schema_name,
    chat_tool_choice,
    chat_custom_header,
    chat_user_agent,
    chat_authorization,
    responses_include,
    responses_reasoning_item,
    responses_call_id,
    messages_tool_name,
    messages_tool_use,
    messages_thinking_signature,
    gemini_function_call_name,
    gemini_thought_signature,
    gemini_allowed_function_names,
]
#: places an SDK would not let a value through as such: raw JSON
RAW_PLACES: list[tuple[str, str, dict[str, Any]]] = [
    ("chat-logit-bias-key", CHAT, {"model": "g", "messages": [USER],
                                   "logit_bias": {"900101": -1234568}}),
    ("chat-integer-array", CHAT, {"model": "g", "messages": [USER],
                                  "metadata": {"n": [900101, -1234568]}}),
    ("chat-fraction", CHAT, {"model": "g", "messages": [USER], "seed": 900101.1234568}),
    ("chat-role", CHAT, {"model": "g", "messages": [{"role": RRN, "content": "hi"}]}),
    ("chat-service-tier", CHAT, {"model": "g", "messages": [USER], "service_tier": RRN}),
    ("chat-stream-options", CHAT, {"model": "g", "messages": [USER], "stream_options": {"x": RRN}}),
    ("messages-tool-result-key", MESSAGES, {"model": "c", "max_tokens": 1, "messages": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok",
                                      "note": RRN}]}]}),
    ("messages-thinking-config", MESSAGES, {"model": "c", "max_tokens": 1, "messages": [USER],
                                            "thinking": {"type": RRN, "budget_tokens": 1024}}),
    ("gemini-safety-settings", GEMINI, {"contents": [{"parts": [{"text": "hi"}]}],
                                        "safetySettings": [{"category": RRN}]}),
    ("gemini-part-metadata", GEMINI, {"contents": [{"parts": [
        {"text": "hi", "partMetadata": {"k": RRN}}]}]}),
    ("gemini-content-key", GEMINI, {"contents": [{"parts": [{"text": "hi"}], "note": RRN}]}),
]  # fmt: skip


def _refused(call: Callable[[], Any]) -> Exception:
    with pytest.raises(Exception) as caught:  # each SDK raises its own API error class
        call()
    return caught.value


def _status(error: Exception) -> int | None:
    status = getattr(error, "status_code", None) or getattr(error, "code", None)
    return status if isinstance(status, int) else None


# -- the default policy blocks ----------------------------------------------------


@pytest.mark.parametrize("value", [RRN, AWS], ids=["rrn", "aws-key"])
@pytest.mark.parametrize("send", SDK_PLACES, ids=[f.__name__ for f in SDK_PLACES])
def test_the_default_policy_blocks_a_value_in_any_place(fake, stack, send, value: str) -> None:
    error = _refused(lambda: send(stack.url, value))
    assert _status(error) == 403
    assert fake.received == []


@pytest.mark.parametrize(
    ("path", "body"), [r[1:] for r in RAW_PLACES], ids=[r[0] for r in RAW_PLACES]
)
def test_the_default_policy_blocks_raw_places(fake, stack, path: str, body: Any) -> None:
    response = httpx.post(stack.url(path), content=orjson.dumps(body), timeout=10)
    assert response.status_code == 403
    assert fake.received == []


def test_the_callers_own_provider_key_still_passes(fake, stack) -> None:
    """A key shaped for the destination is its credential, not a finding."""
    key = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5pR7tV9xZ1bD3"
    _openai(stack.url, api_key=key).chat.completions.create(model="gpt-4o", messages=[USER])
    assert fake.received[0].headers["authorization"] == f"Bearer {key}"


# -- a redact policy: edit where the value can be rewritten, refuse where not ----

POLICY = """
policy: redact-everything
rules:
  - {id: redact-rrn, when: {entities: [KR_RRN]}, action: redact}
  - {id: redact-keys, when: {entities: ["SECRET_*"]}, action: redact}
"""


@pytest.fixture(scope="module")
def redacting(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerThread, FakeUpstream]]:
    folder = tmp_path_factory.mktemp("redact")
    policy = folder / "policy.yaml"
    policy.write_text(POLICY)
    with custom_gateway(Path(policy), folder) as stack:
        yield stack


@pytest.fixture
def redact(redacting: tuple[ServerThread, FakeUpstream]) -> tuple[ServerThread, FakeUpstream]:
    redacting[1].reset()
    return redacting


SCAN_ONLY_SDK = [
    chat_tool_name,
    chat_tool_call_id,
    chat_tool_choice,
    responses_call_id,
    responses_reasoning_item,
    messages_tool_name,
    messages_thinking_signature,
    gemini_function_call_name,
    gemini_thought_signature,
]


@pytest.mark.parametrize("value", [RRN, AWS], ids=["rrn", "aws-key"])
@pytest.mark.parametrize("send", SCAN_ONLY_SDK, ids=[f.__name__ for f in SCAN_ONLY_SDK])
def test_an_edit_in_a_scan_only_place_refuses(redact, send, value: str) -> None:
    gateway, fake = redact
    error = _refused(lambda: send(gateway.url, value))
    assert _status(error) == 400
    assert "uneditable_content" in str(
        getattr(error, "body", None) or error
    ) or "cannot be edited" in str(error)
    assert value not in str(error)
    assert fake.received == []


def test_a_custom_header_reaches_the_provider_redacted(redact) -> None:
    gateway, fake = redact
    chat_custom_header(gateway.url, RRN)
    assert fake.received[0].headers["x-request-note"] == "ticket <KR_RRN>"


def test_an_authorization_that_is_no_provider_key_is_redacted(redact) -> None:
    gateway, fake = redact
    chat_authorization(gateway.url, AWS)
    assert fake.received[0].headers["authorization"] == "Bearer <SECRET_AWS_ACCESS_KEY>"


def test_a_fraction_in_metadata_reaches_the_provider_redacted(redact) -> None:
    gateway, fake = redact
    body = {"model": "g", "messages": [USER], "metadata": {"n": 900101.1234568}}
    response = httpx.post(gateway.url(CHAT), content=orjson.dumps(body), timeout=10)
    assert response.status_code == 200
    assert fake.received[0].json()["metadata"] == {"n": "<KR_RRN>"}


def test_a_split_number_is_refused_not_edited(redact) -> None:
    gateway, fake = redact
    body = {"model": "g", "messages": [USER], "metadata": {"n": [900101, -1234568]}}
    response = httpx.post(gateway.url(CHAT), content=orjson.dumps(body), timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "uneditable_content"
    assert "900101" not in response.text
    assert fake.received == []


def test_the_refusal_speaks_korean_when_asked(redact) -> None:
    gateway, fake = redact
    body = {"model": "g", "messages": [USER], "tools": [_tool(RRN)]}
    headers = {"accept-language": "ko-KR,ko;q=0.9,en;q=0.5"}
    response = httpx.post(gateway.url(CHAT), content=orjson.dumps(body), headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "uneditable_content"
    assert "제공자가 정의하거나 검증하는 값" in error["message"]
    assert "tools[0].function.name" in error["message"] and "KR_RRN" in error["message"]
    assert RRN not in response.text
    assert fake.received == []
