"""OpenAIResponses: instructions, every input item kind, prompt variables."""

from __future__ import annotations

import base64
from typing import Any

import openai
import orjson
import pytest

from gateway.providers.openai_responses import OpenAIResponses
from tests.providers.dialect_tables import located, recording_client, table_tests

DIALECT = OpenAIResponses()

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    (
        "string-input",
        {"model": "gpt-5", "instructions": "Answer in Korean.", "input": "내 전화 010-1234-5678"},
        [("instructions", "Answer in Korean."), ("input", "내 전화 010-1234-5678")],
    ),
    (
        "messages",
        {
            "model": "gpt-5",
            "input": [
                {"role": "developer", "content": "Be brief."},
                {
                    "type": "message",
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "Summarise this"},
                        {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
                        {"type": "input_file", "file_id": "file-1"},
                    ],
                },
                {
                    "type": "message",
                    "role": "assistant",
                    "id": "msg_1",
                    "status": "completed",
                    "content": [
                        {"type": "output_text", "text": "Done: a@b.kr", "annotations": []},
                        {"type": "refusal", "refusal": "Not that part."},
                    ],
                },
            ],
        },
        [
            ("input[0].content", "Be brief."),
            ("input[1].content[0].text", "Summarise this"),
            ("input[2].content[0].text", "Done: a@b.kr"),
            ("input[2].content[1].refusal", "Not that part."),
        ],
    ),
    (
        "tool-items",
        {
            "model": "gpt-5",
            "input": [
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
                {
                    "type": "function_call",
                    "call_id": "c1",
                    "name": "lookup",
                    "arguments": '{"rrn": "900101-1234567"}',
                },
                {"type": "function_call_output", "call_id": "c1", "output": "found Hong"},
                {"type": "custom_tool_call", "call_id": "c2", "name": "sh", "input": "cat ~/.env"},
                {
                    "type": "custom_tool_call_output",
                    "call_id": "c2",
                    "output": [
                        {"type": "input_text", "text": "AWS_KEY=AKIA..."},
                        {"type": "input_image", "image_url": "https://x/y.png"},
                    ],
                },
                {"type": "item_reference", "id": "msg_0"},
            ],
        },
        [
            ("input[1].arguments", '{"rrn": "900101-1234567"}'),
            ("input[2].output", "found Hong"),
            ("input[3].input", "cat ~/.env"),
            ("input[4].output[0].text", "AWS_KEY=AKIA..."),
            ("input[4].output[1].image_url", "https://x/y.png"),
        ],
    ),
    (
        "hosted-tool-items",
        {
            "model": "gpt-5",
            "input": [
                {
                    "type": "mcp_call",
                    "id": "mcp_1",
                    "server_label": "crm",
                    "name": "find",
                    "arguments": '{"q": "kim"}',
                    "output": "kim@corp.kr",
                },
                {
                    "type": "local_shell_call",
                    "id": "ls_1",
                    "call_id": "c3",
                    "status": "completed",
                    "action": {"type": "exec", "command": ["grep", "secret"], "env": {}},
                },
                {"type": "local_shell_call_output", "id": "ls_1", "output": "secret=hunter2"},
                {
                    "type": "file_search_call",
                    "id": "fs_1",
                    "status": "completed",
                    "queries": ["salary"],
                    "results": [{"file_id": "f1", "filename": "pay.csv", "text": "kim 9000"}],
                },
                {"type": "computer_call_output", "call_id": "c4", "output": {"type": "x"}},
            ],
        },
        [
            ("input[0].arguments", '{"q": "kim"}'),
            ("input[0].output", "kim@corp.kr"),
            ("input[1].action.command[0]", "grep"),
            ("input[1].action.command[1]", "secret"),
            ("input[2].output", "secret=hunter2"),
            ("input[3].queries[0]", "salary"),
            ("input[3].results[0].filename", "pay.csv"),
            ("input[3].results[0].text", "kim 9000"),
        ],
    ),
    (
        "prompt-variables",
        {
            "prompt": {
                "id": "pmpt_1",
                "version": "2",
                "variables": {
                    "customer": "Hong Gildong",
                    "note": {"type": "input_text", "text": "VIP"},
                    "photo": {"type": "input_image", "image_url": "https://x/y.png"},
                },
            },
            "input": [],
        },
        [
            ("prompt.variables.customer", "Hong Gildong"),
            ("prompt.variables.note.text", "VIP"),
            ("prompt.variables.photo.image_url", "https://x/y.png"),
        ],
    ),
    ("empty", {"model": "gpt-5", "previous_response_id": "resp_1"}, []),
    (
        "definitions-and-end-user-fields",
        {
            "model": "gpt-5",
            "instructions": [{"role": "developer", "content": "Be terse"}],
            "input": "hi",
            "tools": [
                {
                    "type": "function",
                    "name": "crm",
                    "description": "Find Kim",
                    "strict": True,
                    "parameters": {
                        "type": "object",
                        "properties": {"q": {"type": "string", "description": "query"}},
                    },
                },
                {
                    "type": "file_search",
                    "vector_store_ids": ["vs_1"],
                    "filters": {"type": "eq", "key": "owner", "value": "kim@corp.kr"},
                },
                {
                    "type": "mcp",
                    "server_label": "crm",
                    "server_url": "https://mcp.corp.example",
                    "authorization": "Bearer ghp_not_scanned",
                    "headers": {"X-Key": "not scanned"},
                    "server_description": "Customer records",
                },
                {"type": "code_interpreter", "container": "cntr_1"},
                {"type": "web_search", "user_location": {"type": "approximate", "city": "Seoul"}},
            ],
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "out",
                    "description": "Answer for Kim",
                    "schema": {"type": "object"},
                },
                "verbosity": "low",
            },
            "metadata": {"ticket": "kim@corp.kr"},
            "user": "kim",
            "safety_identifier": "hash-1",
            "prompt_cache_key": "kim-cache",
            "reasoning": {"effort": "low"},
            "max_output_tokens": 1000000,
        },
        [
            ("instructions[0].content", "Be terse"),
            ("input", "hi"),
            ("tools[0].description", "Find Kim"),
            ("tools[0].parameters.properties.q.description", "query"),
            ("tools[1].filters.key", "owner"),
            ("tools[1].filters.value", "kim@corp.kr"),
            ("tools[2].server_description", "Customer records"),
            ("tools[4].user_location.city", "Seoul"),
            ("text.format.description", "Answer for Kim"),
            ("metadata.ticket", "kim@corp.kr"),
            ("user", "kim"),
            ("safety_identifier", "hash-1"),
            ("prompt_cache_key", "kim-cache"),
        ],
    ),
    (
        "replayed-annotations",
        {
            "model": "gpt-5",
            "input": [
                {
                    "type": "message",
                    "role": "assistant",
                    "id": "msg_1",
                    "status": "completed",
                    "content": [
                        {
                            "type": "output_text",
                            "text": "See Kim's page",
                            "logprobs": [],
                            "annotations": [
                                {
                                    "type": "url_citation",
                                    "url": "https://blog.example/kim",
                                    "title": "Kim Minsu, 010-1234-5678",
                                    "start_index": 0,
                                    "end_index": 14,
                                }
                            ],
                        }
                    ],
                }
            ],
        },
        [
            ("input[0].content[0].text", "See Kim's page"),
            ("input[0].content[0].annotations[0].url", "https://blog.example/kim"),
            ("input[0].content[0].annotations[0].title", "Kim Minsu, 010-1234-5678"),
        ],
    ),
    (
        "configuration-update",
        {
            "model": "gpt-5",
            "input": [
                {
                    "type": "configuration_update",
                    "id": "cfg_1",
                    "reasoning": {"effort": "low"},
                    "text": {
                        "format": {
                            "type": "json_schema",
                            "name": "out",
                            "schema": {"type": "object", "description": "Kim's file"},
                        }
                    },
                }
            ],
        },
        [
            ("input[0].reasoning.effort", "low"),
            ("input[0].text.format.schema.description", "Kim's file"),
        ],
    ),
]


UNREADABLE: list[Any] = [
    "hi",
    {"input": 5},
    {"input": ["hi"]},
    {"input": [{"type": "brand_new_item", "payload": "secret"}]},
    {"input": [{"role": "user", "content": [{"type": "input_hologram", "text": "x"}]}]},
    {"input": [{"role": "user", "content": {"text": "x"}}]},
    {"instructions": ["a"]},
    {"prompt": {"id": "p", "variables": {"x": 42}}},
]

(
    test_extracts_exact_segments,
    test_edits_touch_only_the_segments,
    test_unreadable_shapes_are_refused,
) = table_tests(DIALECT, CASES, UNREADABLE)


def test_model_and_streaming() -> None:
    assert DIALECT.model({"model": "gpt-5"}, "/v1/responses") == "gpt-5"
    assert DIALECT.model({"prompt": {"id": "p"}}, "/v1/responses") is None
    assert DIALECT.is_streaming({"stream": True}, "/v1/responses", "") is True
    assert DIALECT.is_streaming({}, "/v1/responses", "") is False


def test_body_sent_by_the_openai_sdk() -> None:
    http, sent = recording_client(403, {"error": {"message": "stop"}})
    client = openai.OpenAI(
        api_key="sk-test", base_url="http://gateway.test/v1", http_client=http, max_retries=0
    )
    with pytest.raises(openai.PermissionDeniedError):
        client.responses.create(
            model="gpt-5",
            instructions="sys",
            input=[
                {"role": "user", "content": [{"type": "input_text", "text": "hello"}]},
                {"type": "function_call_output", "call_id": "c1", "output": "42"},
            ],
        )
    body = orjson.loads(sent[0].content)
    # document order: the SDK writes ``input`` before ``instructions``
    assert located(DIALECT.extract(body).segments) == [
        ("input[0].content[0].text", "hello"),
        ("input[1].output", "42"),
        ("instructions", "sys"),
    ]


def test_attachments_and_server_references() -> None:
    text_file = base64.b64encode("주민 900101-1234568".encode()).decode()
    body = {
        "model": "gpt-5",
        "previous_response_id": "resp_1",
        "conversation": {"id": "conv_1"},
        "prompt": {"id": "pmpt_1"},
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_image", "file_id": "file-1"},
                    {"type": "input_file", "filename": "a.txt", "file_data": text_file},
                    {"type": "input_file", "file_url": "https://x.example/report.pdf"},
                ],
            },
            {
                "type": "computer_call_output",
                "call_id": "c",
                "output": {"type": "computer_screenshot", "image_url": "data:image/png;base64,iV"},
            },
            {"type": "item_reference", "id": "msg_0"},
        ],
        "tools": [
            {"type": "file_search", "vector_store_ids": ["vs_1"]},
            {"type": "mcp", "server_label": "x", "server_url": "https://mcp.example"},
            {"type": "code_interpreter", "container": {"type": "auto", "file_ids": ["f"]}},
        ],
    }
    found = DIALECT.extract(body)
    assert located(found.segments) == [
        ("input[0].content[1].filename", "a.txt"),
        ("input[0].content[1].file_data", "주민 900101-1234568"),
        ("input[0].content[2].file_url", "https://x.example/report.pdf"),
    ]
    assert found.attachments == ("image", "file")
    assert found.server_references == (
        "previous_response_id",
        "conversation",
        "prompt",
        "file_id",
        "item_reference",
        "vector_store_id",
        "mcp_server",
    )
