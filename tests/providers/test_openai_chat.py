"""OpenAIChat: every text position of a Chat Completions body, and nothing else."""

from __future__ import annotations

import base64
from typing import Any

import openai
import orjson
import pytest

from gateway.providers.openai_chat import OpenAIChat
from tests.providers.dialect_tables import located, recording_client, table_tests

DIALECT = OpenAIChat()

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    (
        "string-contents",
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "제 주민번호는 900101-1234567 입니다", "name": "kim"},
            ],
        },
        [
            ("messages[0].content", "You are a helpful assistant."),
            ("messages[1].content", "제 주민번호는 900101-1234567 입니다"),
            ("messages[1].name", "kim"),
        ],
    ),
    (
        "parts-with-media",
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "developer", "content": [{"type": "text", "text": "Be terse."}]},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in this image?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                        {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
                        {"type": "file", "file": {"file_id": "file-abc"}},
                        {"type": "text", "text": "Email me at a@b.kr"},
                    ],
                },
            ],
        },
        [
            ("messages[0].content[0].text", "Be terse."),
            ("messages[1].content[0].text", "What is in this image?"),
            ("messages[1].content[4].text", "Email me at a@b.kr"),
        ],
    ),
    (
        "tool-round-trip",
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "user", "content": "Weather in Seoul?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "weather", "arguments": '{"city": "Seoul"}'},
                        },
                        {
                            "id": "call_2",
                            "type": "custom",
                            "custom": {"name": "sql", "input": "SELECT * FROM users"},
                        },
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21C"},
                {
                    "role": "tool",
                    "tool_call_id": "call_2",
                    "content": [{"type": "text", "text": "kim,010-1234-5678"}],
                },
            ],
            "tools": [{"type": "function", "function": {"name": "weather", "parameters": {}}}],
        },
        [
            ("messages[0].content", "Weather in Seoul?"),
            ("messages[1].tool_calls[0].function.arguments", '{"city": "Seoul"}'),
            ("messages[1].tool_calls[1].custom.input", "SELECT * FROM users"),
            ("messages[2].content", "Sunny, 21C"),
            ("messages[3].content[0].text", "kim,010-1234-5678"),
        ],
    ),
    (
        "refusals",
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "user", "content": ""},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Partial answer"},
                        {"type": "refusal", "refusal": "I can't share that."},
                    ],
                    "refusal": "Declined.",
                },
            ],
        },
        [
            ("messages[1].content[0].text", "Partial answer"),
            ("messages[1].content[1].refusal", "I can't share that."),
            ("messages[1].refusal", "Declined."),
        ],
    ),
    (
        "legacy-functions",
        {
            "model": "gpt-3.5-turbo",
            "messages": [
                {
                    "role": "assistant",
                    "content": None,
                    "function_call": {"name": "lookup", "arguments": '{"id": "A-1"}'},
                },
                {"role": "function", "name": "lookup", "content": "name=Hong Gildong"},
            ],
        },
        [
            ("messages[0].function_call.arguments", '{"id": "A-1"}'),
            ("messages[1].name", "lookup"),
            ("messages[1].content", "name=Hong Gildong"),
        ],
    ),
    (
        "prediction",
        {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Rename x to y"}],
            "prediction": {"type": "content", "content": "x = 1\nprint(x)"},
            "stream": True,
        },
        [("messages[0].content", "Rename x to y"), ("prediction.content", "x = 1\nprint(x)")],
    ),
    (
        "client-key-order",
        {
            "prediction": {"type": "content", "content": [{"type": "text", "text": "draft"}]},
            "model": "gpt-4o",
            "messages": [
                {
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"arguments": "{}", "name": "f"},
                        }
                    ],
                    "role": "assistant",
                    "content": "after the call",
                }
            ],
        },
        [
            ("prediction.content[0].text", "draft"),
            ("messages[0].tool_calls[0].function.arguments", "{}"),
            ("messages[0].content", "after the call"),
        ],
    ),
    ("no-messages", {"model": "gpt-4o"}, []),
    (
        "definitions-and-end-user-fields",
        {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "hi", "name": "Hong Gildong"}],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "crm",
                        "description": "Find a customer",
                        "strict": True,
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "email": {
                                    "type": "string",
                                    "format": "email",
                                    "description": "like kim@corp.kr",
                                    "enum": ["a@b.kr"],
                                }
                            },
                        },
                    },
                },
                {
                    "type": "custom",
                    "custom": {
                        "name": "sql",
                        "description": "Run SQL",
                        "format": {
                            "type": "grammar",
                            "grammar": {"syntax": "lark", "definition": "start: NAME"},
                        },
                    },
                },
            ],
            "functions": [{"name": "old", "description": "legacy function"}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "out", "description": "Answer for Kim", "schema": {}},
            },
            "metadata": {"customer": "kim@corp.kr"},
            "user": "user-42",
            "safety_identifier": "kim@corp.kr",
            "stop": ["Hong"],
            "web_search_options": {
                "search_context_size": "low",
                "user_location": {"type": "approximate", "approximate": {"city": "Seoul"}},
            },
            "temperature": 0.1,
            "max_completion_tokens": 1000000,
            "tool_choice": {"type": "function", "function": {"name": "crm"}},
            "vendor_extension": {"note": "call 010-1234-5678", "rrn": 9001011234568},
        },
        [
            ("messages[0].content", "hi"),
            ("messages[0].name", "Hong Gildong"),
            ("tools[0].function.description", "Find a customer"),
            ("tools[0].function.parameters.properties.email.description", "like kim@corp.kr"),
            ("tools[0].function.parameters.properties.email.enum[0]", "a@b.kr"),
            ("tools[1].custom.description", "Run SQL"),
            ("tools[1].custom.format.grammar.definition", "start: NAME"),
            ("functions[0].description", "legacy function"),
            ("response_format.json_schema.description", "Answer for Kim"),
            ("metadata.customer", "kim@corp.kr"),
            ("user", "user-42"),
            ("safety_identifier", "kim@corp.kr"),
            ("stop[0]", "Hong"),
            ("web_search_options.user_location.approximate.city", "Seoul"),
            ("vendor_extension.note", "call 010-1234-5678"),
            ("vendor_extension.rrn", "9001011234568"),
        ],
    ),
]


UNREADABLE: list[Any] = [
    [],
    {"messages": {"role": "user"}},
    {"messages": ["hi"]},
    {"messages": [{"role": "user", "content": 42}]},
    {"messages": [{"role": "user", "content": {"text": "hi"}}]},
    {"messages": [{"role": "user", "content": [{"type": "hologram", "text": "x"}]}]},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": ["x"]}]}]},
    {"messages": [{"role": "assistant", "tool_calls": {"id": "x"}}]},
]

(
    test_extracts_exact_segments,
    test_edits_touch_only_the_segments,
    test_unreadable_shapes_are_refused,
) = table_tests(DIALECT, CASES, UNREADABLE)


@pytest.mark.parametrize(
    ("body", "model", "streaming"),
    [
        ({"model": "gpt-4o", "stream": True}, "gpt-4o", True),
        ({"model": "gpt-4o", "stream": False}, "gpt-4o", False),
        ({"model": "gpt-4o", "stream": "true"}, "gpt-4o", False),
        ({"messages": []}, None, False),
    ],
)
def test_model_and_streaming(body: dict[str, Any], model: str | None, streaming: bool) -> None:
    assert DIALECT.model(body, "/v1/chat/completions") == model
    assert DIALECT.is_streaming(body, "/v1/chat/completions", "") is streaming


def test_body_sent_by_the_openai_sdk() -> None:
    http, sent = recording_client(403, {"error": {"message": "stop", "type": "x"}})
    client = openai.OpenAI(
        api_key="sk-test", base_url="http://gateway.test/v1", http_client=http, max_retries=0
    )
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(
            model="gpt-4o-mini",
            stream=True,
            messages=[
                {"role": "system", "content": "sys"},
                {"role": "user", "content": [{"type": "text", "text": "card 4111 1111 1111 1111"}]},
            ],
        )
    body = orjson.loads(sent[0].content)
    assert located(DIALECT.extract(body).segments) == [
        ("messages[0].content", "sys"),
        ("messages[1].content[0].text", "card 4111 1111 1111 1111"),
    ]
    assert DIALECT.is_streaming(body, "/v1/chat/completions", "") is True


def test_attachments_and_server_references() -> None:
    text_file = base64.b64encode(b"name,email\nKim,kim@corp.kr").decode()
    body = {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                    {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
                    {"type": "file", "file": {"file_id": "file-1"}},
                    {
                        "type": "file",
                        "file": {
                            "filename": "kim.csv",
                            "file_data": f"data:text/csv;base64,{text_file}",
                        },
                    },
                ],
            },
            {"role": "assistant", "audio": {"id": "audio_1"}},
        ],
    }
    found = DIALECT.extract(body)
    assert located(found.segments) == [
        ("messages[0].content[3].file.filename", "kim.csv"),
        ("messages[0].content[3].file.file_data", "name,email\nKim,kim@corp.kr"),
    ]
    assert found.attachments == ("image", "audio", "file")
    assert found.server_references == ("file_id", "audio_id")
