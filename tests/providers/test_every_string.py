"""Every string and number of a body is a segment: the places dialects once passed over.

Each row puts a resident number or an AWS access key where an insider could
hide it from a gateway that reads only text fields (issue 10 §1): tool names,
ids, roles, settings, schema keywords, signed provider state, numbers split
across an array or a key. The table checks, for every dialect, that the value
lands in a segment at the expected place, in the expected form (scan-only
where the provider checks the value), and that the detector finds it there.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from gateway.detect import DetectionEngine
from gateway.providers.anthropic_messages import AnthropicMessages
from gateway.providers.dialect import SCAN_ONLY, Dialect, Segment
from gateway.providers.gemini import GeminiGenerateContent
from gateway.providers.openai_chat import OpenAIChat
from gateway.providers.openai_embeddings import OpenAIEmbeddings
from gateway.providers.openai_responses import OpenAIResponses

RRN = "900101-1234568"
AWS = "AKIAZ3MHQ4RB5TX7LD2Q"  # random-looking: not the documentation example
ENTITY = {RRN: "KR_RRN", AWS: "SECRET_AWS_ACCESS_KEY"}

CHAT, RESPONSES, MESSAGES = OpenAIChat(), OpenAIResponses(), AnthropicMessages()
GEMINI, EMBEDDINGS = GeminiGenerateContent(), OpenAIEmbeddings()
USER = {"role": "user", "content": "hi"}
PARTS = [{"role": "user", "parts": [{"text": "hi"}]}]


def _chat(**fields: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [USER], **fields}


def _assistant_call(call: dict[str, Any]) -> dict[str, Any]:
    return _chat(messages=[USER, {"role": "assistant", "content": None, "tool_calls": [call]}])


def _tool(name: str = "lookup", **schema: Any) -> dict[str, Any]:
    params = {"type": "object", "properties": {"q": {"type": "string", **schema}}}
    return {"type": "function", "function": {"name": name, "parameters": params}}


def _messages(*blocks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    content = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": list(blocks)}]
    return {"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": content, **fields}


def _gemini_part(part: dict[str, Any]) -> dict[str, Any]:
    return {"contents": [{"role": "model", "parts": [part]}]}


def _b64(text: str) -> str:
    return base64.b64encode(f"signed state {text} end".encode()).decode()


#: (id, dialect, body for value v, location where v is scanned); the value is the
#: whole segment text unless the row's body writes it otherwise
Row = tuple[str, Dialect, Callable[[str], Any], str]
STRING_PLACES: list[Row] = [
    # OpenAI Chat Completions
    ("chat-tool-name", CHAT, lambda v: _chat(tools=[_tool(v)]), "tools[0].function.name"),
    ("chat-tool-format", CHAT, lambda v: _chat(tools=[_tool(format=v)]),
     "tools[0].function.parameters.properties.q.format"),
    ("chat-tool-ref", CHAT, lambda v: _chat(tools=[_tool(**{"$ref": v})]),
     "tools[0].function.parameters.properties.q.*"),
    ("chat-tool-call-id", CHAT,
     lambda v: _assistant_call({"id": v, "type": "function",
                                "function": {"name": "f", "arguments": "{}"}}),
     "messages[1].tool_calls[0].id"),
    ("chat-tool-call-name", CHAT,
     lambda v: _assistant_call({"id": "call_1", "type": "function",
                                "function": {"name": v, "arguments": "{}"}}),
     "messages[1].tool_calls[0].function.name"),
    ("chat-tool-call-id-of-result", CHAT,
     lambda v: _chat(messages=[USER, {"role": "tool", "tool_call_id": v, "content": "ok"}]),
     "messages[1].tool_call_id"),
    ("chat-role", CHAT, lambda v: _chat(messages=[{"role": v, "content": "hi"}]),
     "messages[0].role"),
    ("chat-tool-choice", CHAT, lambda v: _chat(tool_choice=v), "tool_choice"),
    ("chat-tool-choice-name", CHAT,
     lambda v: _chat(tool_choice={"type": "function", "function": {"name": v}}),
     "tool_choice.function.name"),
    ("chat-json-schema-name", CHAT,
     lambda v: _chat(response_format={"type": "json_schema",
                                      "json_schema": {"name": v, "schema": {"type": "object"}}}),
     "response_format.json_schema.name"),
    ("chat-cache-control", CHAT,
     lambda v: _chat(messages=[{"role": "user", "content": [
         {"type": "text", "text": "hi", "cache_control": {"type": v}}]}]),
     "messages[0].content[0].cache_control.type"),
    ("chat-stream-options", CHAT,
     lambda v: _chat(stream=True, stream_options={"include_usage": v}),
     "stream_options.include_usage"),
    ("chat-service-tier", CHAT, lambda v: _chat(service_tier=v), "service_tier"),
    ("chat-reasoning-effort", CHAT, lambda v: _chat(reasoning_effort=v), "reasoning_effort"),
    ("chat-modalities", CHAT, lambda v: _chat(modalities=["text", v]), "modalities[1]"),
    ("chat-audio-voice", CHAT, lambda v: _chat(audio={"voice": v, "format": "wav"}),
     "audio.voice"),
    # OpenAI Responses
    ("responses-include", RESPONSES, lambda v: {"model": "o3", "input": "hi", "include": [v]},
     "include[0]"),
    ("responses-call-id", RESPONSES,
     lambda v: {"model": "o3", "input": [{"type": "function_call", "call_id": v,
                                          "name": "f", "arguments": "{}"}]},
     "input[0].call_id"),
    ("responses-call-name", RESPONSES,
     lambda v: {"model": "o3", "input": [{"type": "function_call", "call_id": "c",
                                          "name": v, "arguments": "{}"}]},
     "input[0].name"),
    ("responses-output-call-id", RESPONSES,
     lambda v: {"model": "o3", "input": [{"type": "function_call_output", "call_id": v,
                                          "output": "ok"}]},
     "input[0].call_id"),
    ("responses-reasoning-summary", RESPONSES,
     lambda v: {"model": "o3", "input": [{"type": "reasoning", "id": "rs_1", "summary": [
         {"type": "summary_text", "text": v}]}]},
     "input[0].summary[0].text"),
    ("responses-reasoning-encrypted", RESPONSES,
     lambda v: {"model": "o3", "input": [{"type": "reasoning", "id": "rs_1", "summary": [],
                                          "encrypted_content": _b64(v)}]},
     "input[0].encrypted_content"),
    ("responses-reasoning-effort", RESPONSES,
     lambda v: {"model": "o3", "input": "hi", "reasoning": {"effort": v}}, "reasoning.effort"),
    ("responses-format-name", RESPONSES,
     lambda v: {"model": "o3", "input": "hi", "text": {"format": {
         "type": "json_schema", "name": v, "schema": {"type": "object"}}}},
     "text.format.name"),
    ("responses-tool-name", RESPONSES,
     lambda v: {"model": "o3", "input": "hi", "tools": [{"type": "function", "name": v,
                                                          "parameters": {}}]},
     "tools[0].name"),
    # Anthropic Messages
    ("messages-tool-name", MESSAGES,
     lambda v: _messages({"type": "text", "text": "x"},
                         tools=[{"name": v, "input_schema": {"type": "object"}}]),
     "tools[0].name"),
    ("messages-tool-use-name", MESSAGES,
     lambda v: _messages({"type": "tool_use", "id": "toolu_1", "name": v, "input": {}}),
     "messages[1].content[0].name"),
    ("messages-tool-use-id", MESSAGES,
     lambda v: _messages({"type": "tool_use", "id": v, "name": "f", "input": {}}),
     "messages[1].content[0].id"),
    ("messages-tool-result-id", MESSAGES,
     lambda v: _messages({"type": "tool_result", "tool_use_id": v, "content": "ok"}),
     "messages[1].content[0].tool_use_id"),
    ("messages-tool-result-unknown-key", MESSAGES,
     lambda v: _messages({"type": "tool_result", "tool_use_id": "t", "content": "ok",
                          "note": v}),
     "messages[1].content[0].note"),
    ("messages-thinking", MESSAGES,
     lambda v: _messages({"type": "thinking", "thinking": v, "signature": "c2ln"}),
     "messages[1].content[0].thinking"),
    ("messages-thinking-signature", MESSAGES,
     lambda v: _messages({"type": "thinking", "thinking": "ok", "signature": _b64(v)}),
     "messages[1].content[0].signature"),
    ("messages-redacted-thinking", MESSAGES,
     lambda v: _messages({"type": "redacted_thinking", "data": _b64(v)}),
     "messages[1].content[0].data"),
    ("messages-thinking-config", MESSAGES,
     lambda v: _messages({"type": "text", "text": "x"},
                         thinking={"type": v, "budget_tokens": 1024}),
     "thinking.type"),
    ("messages-cache-control", MESSAGES,
     lambda v: _messages({"type": "text", "text": "x", "cache_control": {
         "type": "ephemeral", "ttl": v}}),
     "messages[1].content[0].cache_control.ttl"),
    ("messages-tool-choice", MESSAGES,
     lambda v: _messages({"type": "text", "text": "x"}, tool_choice={"type": "tool", "name": v}),
     "tool_choice.name"),
    ("messages-role", MESSAGES,
     lambda v: {"model": "c", "max_tokens": 1, "messages": [{"role": v, "content": "hi"}]},
     "messages[0].role"),
    ("messages-service-tier", MESSAGES,
     lambda v: _messages({"type": "text", "text": "x"}, service_tier=v), "service_tier"),
    # Gemini
    ("gemini-function-call-name", GEMINI,
     lambda v: _gemini_part({"functionCall": {"name": v, "args": {}}}),
     "contents[0].parts[0].functionCall.name"),
    ("gemini-function-response-name", GEMINI,
     lambda v: _gemini_part({"functionResponse": {"name": v, "response": {}}}),
     "contents[0].parts[0].functionResponse.name"),
    ("gemini-allowed-function-names", GEMINI,
     lambda v: {"contents": PARTS, "toolConfig": {"functionCallingConfig": {
         "mode": "ANY", "allowedFunctionNames": [v]}}},
     "toolConfig.functionCallingConfig.allowedFunctionNames[0]"),
    ("gemini-declaration-name", GEMINI,
     lambda v: {"contents": PARTS, "tools": [{"functionDeclarations": [{"name": v}]}]},
     "tools[0].functionDeclarations[0].name"),
    ("gemini-safety-settings", GEMINI,
     lambda v: {"contents": PARTS, "safetySettings": [{"category": v,
                                                       "threshold": "BLOCK_NONE"}]},
     "safetySettings[0].category"),
    ("gemini-part-metadata", GEMINI,
     lambda v: _gemini_part({"text": "hi", "partMetadata": {"note": v}}),
     "contents[0].parts[0].partMetadata.note"),
    ("gemini-thought-signature", GEMINI,
     lambda v: _gemini_part({"text": "hi", "thoughtSignature": _b64(v)}),
     "contents[0].parts[0].thoughtSignature"),
    ("gemini-thought-signature-snake", GEMINI,
     lambda v: _gemini_part({"text": "hi", "thought_signature": v}),
     "contents[0].parts[0].thought_signature"),
    ("gemini-content-unknown-key", GEMINI,
     lambda v: {"contents": [{"role": "user", "parts": [{"text": "hi"}], "note": v}]},
     "contents[0].note"),
    ("gemini-role", GEMINI,
     lambda v: {"contents": [{"role": v, "parts": [{"text": "hi"}]}]}, "contents[0].role"),
    ("gemini-response-mime-type", GEMINI,
     lambda v: {"contents": PARTS, "generationConfig": {"responseMimeType": v}},
     "generationConfig.responseMimeType"),
    # OpenAI Embeddings
    ("embeddings-encoding-format", EMBEDDINGS,
     lambda v: {"model": "e", "input": "hi", "encoding_format": v}, "encoding_format"),
]  # fmt: skip

#: numbers: (id, dialect, body, location, form expected, text scanned)
NUMBER_PLACES: list[tuple[str, Dialect, Any, str, str, str]] = [
    ("fraction-in-tool-arguments", GEMINI,
     _gemini_part({"functionCall": {"name": "f", "args": {"n": 900101.1234568}}}),
     "contents[0].parts[0].functionCall.args.n", "number", "900101.1234568"),
    ("fraction-in-a-setting", CHAT, _chat(seed=900101.1234568), "seed", "fixed",
     "900101.1234568"),
    ("fraction-in-metadata", CHAT, _chat(metadata={"n": 900101.1234568}), "metadata.n",
     "number", "900101.1234568"),
    ("integer-array-in-tool-input", MESSAGES,
     _messages({"type": "tool_use", "id": "t", "name": "f", "input": {"ids": [900101, -1234568]}}),
     "messages[1].content[0].input.ids[0]", "fixed", "900101 -1234568"),
    ("integer-run-inside-an-array", CHAT, _chat(metadata={"n": ["a", 1, 900101, -1234568, 2]}),
     "metadata.n[1]", "fixed", "1 900101 -1234568 2"),
    ("integer-array-in-unknown-field", CHAT, _chat(extra=[900101, -1234568]), "extra[0]",
     "fixed", "900101 -1234568"),
    ("integer-array-in-a-setting", RESPONSES,
     {"model": "o3", "input": "hi", "reasoning": {"n": [900101, 1234568]}}, "reasoning.n[0]",
     "fixed", "900101 1234568"),
    ("number-keyed-by-a-number", CHAT, _chat(logit_bias={"900101": -1234568}), "logit_bias.*",
     "fixed", "900101 -1234568"),
    ("number-keyed-by-a-number-in-arguments", GEMINI,
     _gemini_part({"functionCall": {"name": "f", "args": {"900101": -1234568}}}),
     "contents[0].parts[0].functionCall.args.*", "fixed", "900101 -1234568"),
    ("number-keyed-in-safety-settings", GEMINI,
     {"contents": PARTS, "safetySettings": [{"900101": 1234568}]}, "safetySettings[0].*",
     "fixed", "900101 1234568"),
]  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["KR_RRN", "SECRET_AWS_ACCESS_KEY"])


def _at(segments: list[Segment], location: str) -> list[Segment]:
    return [s for s in segments if s.location == location]


@pytest.mark.parametrize("value", [RRN, AWS], ids=["rrn", "aws-key"])
@pytest.mark.parametrize(
    ("dialect", "body", "location"),
    [row[1:] for row in STRING_PLACES],
    ids=[row[0] for row in STRING_PLACES],
)
def test_a_value_in_a_provider_defined_place_is_scanned_scan_only(
    engine: DetectionEngine,
    dialect: Dialect,
    body: Callable[[str], Any],
    location: str,
    value: str,
) -> None:
    segments = _at(dialect.extract(body(value)).segments, location)
    assert segments, f"nothing scanned at {location}"
    assert all(s.form in SCAN_ONLY for s in segments)  # the provider checks these values
    found = engine.scan_segments([s.text for s in segments])
    assert ENTITY[value] in {f.entity_type for hits in found for f in hits}


@pytest.mark.parametrize(
    ("dialect", "body", "location", "form", "text"),
    [row[1:] for row in NUMBER_PLACES],
    ids=[row[0] for row in NUMBER_PLACES],
)
def test_a_number_split_or_fractional_is_scanned_as_text(
    engine: DetectionEngine, dialect: Dialect, body: Any, location: str, form: str, text: str
) -> None:
    segments = _at(dialect.extract(body).segments, location)
    assert [(s.form, s.text) for s in segments if s.text == text] == [(form, text)]
    (found,) = engine.scan_segments([text])
    assert "KR_RRN" in {f.entity_type for f in found}


@pytest.mark.parametrize(
    ("dialect", "body"),
    [
        (CHAT, _chat(tools=[_tool()], tool_choice="auto", temperature=0.7, n=1)),
        (MESSAGES, _messages({"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}},
                             thinking={"type": "enabled", "budget_tokens": 1024})),
        (GEMINI, {"contents": PARTS, "safetySettings": [
            {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
            "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}}}),
        (RESPONSES, {"model": "o3", "input": "hi", "include": ["reasoning.encrypted_content"],
                     "reasoning": {"effort": "low"}, "service_tier": "flex"}),
    ],
    ids=["chat", "messages", "gemini", "responses"],
)  # fmt: skip
def test_vocabulary_values_are_not_scanned(dialect: Dialect, body: Any) -> None:
    """Roles, tags and enum values the providers define cost no scan; the rest does."""
    fixed = [s for s in dialect.extract(body).segments if s.form == "fixed"]
    assert [s.text for s in fixed] == (["lookup"] if dialect is CHAT else [])


def test_binary_media_is_not_swept() -> None:
    image = base64.b64encode(bytes(range(256)) * 4).decode()
    body = _messages(
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": image}}
    )
    assert not [s for s in MESSAGES.extract(body).segments if image in s.text]


def test_an_mcp_server_token_is_not_swept_but_its_url_is() -> None:
    body = _messages(
        {"type": "text", "text": "x"},
        mcp_servers=[
            {"type": "url", "url": f"https://mcp.example/{RRN}", "name": "m",
             "authorization_token": AWS}
        ],
    )  # fmt: skip
    texts = [s.text for s in MESSAGES.extract(body).segments]
    assert f"https://mcp.example/{RRN}" in texts
    assert AWS not in texts
