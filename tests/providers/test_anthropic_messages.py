"""AnthropicMessages: system, every block kind, nesting; signed blocks stay untouched."""

from __future__ import annotations

from typing import Any

import anthropic
import orjson
import pytest

from gateway.providers.anthropic_messages import AnthropicMessages
from gateway.providers.dialect import UninspectableContent
from tests.providers.dialect_tables import located, recording_client, table_tests

DIALECT = AnthropicMessages()

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    (
        "strings",
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": "You are Haetae's test bot.",
            "messages": [{"role": "user", "content": "주민번호 900101-1234567"}],
        },
        [
            ("system", "You are Haetae's test bot."),
            ("messages[0].content", "주민번호 900101-1234567"),
        ],
    ),
    (
        "system-blocks-and-images",
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": [
                {"type": "text", "text": "Policy A", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Policy B"},
            ],
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": "AA"},
                        },
                        {"type": "text", "text": "Describe it"},
                    ],
                }
            ],
        },
        [
            ("system[0].text", "Policy A"),
            ("system[1].text", "Policy B"),
            ("messages[0].content[1].text", "Describe it"),
        ],
    ),
    (
        "thinking-and-tools",
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 2048,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "messages": [
                {"role": "user", "content": "Find Kim's phone"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "look up kim", "signature": "EqQB"},
                        {"type": "redacted_thinking", "data": "EmwK"},
                        {
                            "type": "tool_use",
                            "id": "toolu_1",
                            "name": "crm",
                            "input": {"name": "Kim", "fields": ["phone", "email"], "limit": 1},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_1",
                            "content": "010-9876-5432",
                        },
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_2",
                            "is_error": False,
                            "content": [
                                {"type": "text", "text": "kim@corp.kr"},
                                {
                                    "type": "image",
                                    "source": {"type": "url", "url": "https://x/y.png"},
                                },
                                {
                                    "type": "search_result",
                                    "source": "https://wiki/kim",
                                    "title": "Kim profile",
                                    "content": [{"type": "text", "text": "Team lead"}],
                                },
                            ],
                        },
                    ],
                },
            ],
        },
        [
            ("messages[0].content", "Find Kim's phone"),
            ("messages[1].content[2].input.name", "Kim"),
            ("messages[1].content[2].input.fields[0]", "phone"),
            ("messages[1].content[2].input.fields[1]", "email"),
            ("messages[2].content[0].content", "010-9876-5432"),
            ("messages[2].content[1].content[0].text", "kim@corp.kr"),
            ("messages[2].content[1].content[1].source.url", "https://x/y.png"),
            ("messages[2].content[1].content[2].source", "https://wiki/kim"),
            ("messages[2].content[1].content[2].title", "Kim profile"),
            ("messages[2].content[1].content[2].content[0].text", "Team lead"),
        ],
    ),
    (
        "documents",
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {
                                "type": "text",
                                "media_type": "text/plain",
                                "data": "Salary: 90M KRW",
                            },
                            "title": "HR memo",
                            "context": "internal",
                            "citations": {"enabled": True},
                        },
                        {
                            "type": "document",
                            "source": {
                                "type": "content",
                                "content": [
                                    {"type": "text", "text": "Chunk one"},
                                    {"type": "text", "text": "Chunk two"},
                                ],
                            },
                        },
                        {
                            "type": "document",
                            "source": {"type": "content", "content": "Whole custom doc"},
                        },
                        {
                            "type": "document",
                            "source": {
                                "type": "base64",
                                "media_type": "application/pdf",
                                "data": "JVBERi0x",
                            },
                            "title": "scan.pdf",
                        },
                        {"type": "document", "source": {"type": "file", "file_id": "file_1"}},
                        {
                            "type": "search_result",
                            "source": "https://kb/1",
                            "title": "KB 1",
                            "content": [{"type": "text", "text": "Answer text"}],
                        },
                    ],
                }
            ],
        },
        [
            ("messages[0].content[0].source.data", "Salary: 90M KRW"),
            ("messages[0].content[0].title", "HR memo"),
            ("messages[0].content[0].context", "internal"),
            ("messages[0].content[1].source.content[0].text", "Chunk one"),
            ("messages[0].content[1].source.content[1].text", "Chunk two"),
            ("messages[0].content[2].source.content", "Whole custom doc"),
            ("messages[0].content[3].title", "scan.pdf"),
            ("messages[0].content[5].source", "https://kb/1"),
            ("messages[0].content[5].title", "KB 1"),
            ("messages[0].content[5].content[0].text", "Answer text"),
        ],
    ),
    (
        "server-tools",
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "messages": [
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "server_tool_use",
                            "id": "srvtoolu_1",
                            "name": "web_search",
                            "input": {"query": "Hong Gildong address"},
                        },
                        {
                            "type": "web_search_tool_result",
                            "tool_use_id": "srvtoolu_1",
                            "content": [{"type": "web_search_result", "encrypted_content": "x"}],
                        },
                        {
                            "type": "web_fetch_tool_result",
                            "tool_use_id": "srvtoolu_2",
                            "content": {
                                "type": "web_fetch_result",
                                "url": "https://x",
                                "content": {
                                    "type": "document",
                                    "source": {
                                        "type": "text",
                                        "media_type": "text/plain",
                                        "data": "page text",
                                    },
                                },
                            },
                        },
                        {
                            "type": "bash_code_execution_tool_result",
                            "tool_use_id": "srvtoolu_3",
                            "content": {
                                "type": "bash_code_execution_result",
                                "stdout": "TOKEN=abc",
                                "stderr": "",
                                "return_code": 0,
                                "content": [],
                            },
                        },
                        {"type": "text", "text": "Done."},
                    ],
                }
            ],
        },
        [
            ("messages[0].content[0].input.query", "Hong Gildong address"),
            ("messages[0].content[2].content.url", "https://x"),
            ("messages[0].content[2].content.content.source.data", "page text"),
            ("messages[0].content[3].content.stdout", "TOKEN=abc"),
            ("messages[0].content[4].text", "Done."),
        ],
    ),
    ("count-tokens-shape", {"model": "claude-haiku-4-5", "messages": []}, []),
    (
        "definitions-and-end-user-fields",
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": "sys",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "text",
                            "text": "hi",
                            "citations": [
                                {
                                    "type": "char_location",
                                    "cited_text": "Kim earns 90M",
                                    "document_index": 0,
                                    "document_title": "HR",
                                }
                            ],
                        }
                    ],
                },
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "toolu_1",
                            "name": "crm",
                            "input": {"rrn": 9001011234568, "page": 2},
                        }
                    ],
                },
            ],
            "tools": [
                {
                    "name": "crm",
                    "description": "Look up Kim",
                    "input_schema": {
                        "type": "object",
                        "properties": {"rrn": {"type": "integer", "description": "RRN"}},
                    },
                    "cache_control": {"type": "ephemeral"},
                },
                {
                    "type": "web_search_20250305",
                    "name": "web_search",
                    "max_uses": 3,
                    "user_location": {"type": "approximate", "city": "Seoul"},
                },
            ],
            "metadata": {"user_id": "kim@corp.kr"},
            "stop_sequences": ["Hong"],
            "output_config": {
                "format": {
                    "type": "json_schema",
                    "schema": {"type": "object", "description": "Kim's answer"},
                }
            },
            "thinking": {"type": "enabled", "budget_tokens": 1024},
        },
        [
            ("system", "sys"),
            ("messages[0].content[0].text", "hi"),
            ("messages[0].content[0].citations[0].cited_text", "Kim earns 90M"),
            ("messages[0].content[0].citations[0].document_title", "HR"),
            ("messages[1].content[0].input.rrn", "9001011234568"),
            ("tools[0].description", "Look up Kim"),
            ("tools[0].input_schema.properties.rrn.description", "RRN"),
            ("tools[1].user_location.city", "Seoul"),
            ("metadata.user_id", "kim@corp.kr"),
            ("stop_sequences[0]", "Hong"),
            ("output_config.format.schema.description", "Kim's answer"),
        ],
    ),
    (
        "replayed-beta-blocks",
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "messages": [
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "compaction",
                            "content": "Earlier: Kim asked about 900101-1234568",
                            "encrypted_content": "Eo8B",
                            "signature": "sig",
                            "tool_changes": [
                                {
                                    "type": "tool_addition",
                                    "tool": {
                                        "type": "tool_definition",
                                        "definition": {"name": "crm", "description": "CRM search"},
                                    },
                                }
                            ],
                        },
                        {
                            "type": "mcp_tool_listing",
                            "mcp_server_name": "crm",
                            "tools": [{"name": "find", "description": "Find a customer"}],
                        },
                        {
                            "type": "advisor_tool_result",
                            "tool_use_id": "srvtoolu_9",
                            "content": {"type": "advisor_result", "text": "Ask for consent"},
                        },
                        {
                            "type": "advisor_tool_result",
                            "tool_use_id": "srvtoolu_10",
                            "content": {
                                "type": "advisor_redacted_result",
                                "encrypted_content": "x",
                            },
                        },
                        {
                            "type": "fallback",
                            "from": {"model": "claude-opus-4-7"},
                            "to": {"model": "claude-sonnet-4-6"},
                        },
                        {"type": "tool_removal", "tool": {"type": "tool_reference", "name": "crm"}},
                    ],
                }
            ],
        },
        [
            ("messages[0].content[0].content", "Earlier: Kim asked about 900101-1234568"),
            ("messages[0].content[0].tool_changes[0].tool.definition.description", "CRM search"),
            ("messages[0].content[1].tools[0].description", "Find a customer"),
            ("messages[0].content[2].content.text", "Ask for consent"),
            ("messages[0].content[4].from.model", "claude-opus-4-7"),
            ("messages[0].content[4].to.model", "claude-sonnet-4-6"),
        ],
    ),
]


UNREADABLE: list[Any] = [
    [],
    {"system": 1},
    {"messages": {}},
    {"messages": ["hi"]},
    {"messages": [{"role": "user", "content": {"type": "text", "text": "x"}}]},
    {"messages": [{"role": "user", "content": [{"type": "hologram", "text": "x"}]}]},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": 3}]}]},
    {"messages": [{"role": "user", "content": [{"type": "tool_result", "content": 3}]}]},
]

(
    test_extracts_exact_segments,
    test_edits_touch_only_the_segments,
    test_unreadable_shapes_are_refused,
) = table_tests(DIALECT, CASES, UNREADABLE)


def test_model_and_streaming() -> None:
    assert DIALECT.model({"model": "claude-opus-4-1"}, "/v1/messages") == "claude-opus-4-1"
    assert DIALECT.model({}, "/v1/messages") is None
    assert DIALECT.is_streaming({"stream": True}, "/v1/messages", "") is True
    assert DIALECT.is_streaming({"stream": 1}, "/v1/messages", "") is False


def test_bodies_sent_by_the_anthropic_sdk() -> None:
    http, sent = recording_client(403, {"type": "error", "error": {"type": "permission_error"}})
    client = anthropic.Anthropic(
        api_key="sk-ant-test", base_url="http://gateway.test", http_client=http, max_retries=0
    )
    messages: list[anthropic.types.MessageParam] = [
        {"role": "user", "content": [{"type": "text", "text": "hello"}]},
    ]
    with pytest.raises(anthropic.PermissionDeniedError):
        client.messages.create(model="claude-x", max_tokens=10, system="sys", messages=messages)
    with pytest.raises(anthropic.PermissionDeniedError):
        client.messages.count_tokens(model="claude-x", system="sys", messages=messages)
    assert [request.url.path for request in sent] == ["/v1/messages", "/v1/messages/count_tokens"]
    for request in sent:  # document order: the SDK writes ``messages`` before ``system``
        assert located(DIALECT.extract(orjson.loads(request.content)).segments) == [
            ("messages[0].content[0].text", "hello"),
            ("system", "sys"),
        ]


def test_attachments_and_server_references() -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "container": "container_1",
        "mcp_servers": [
            {"type": "url", "url": "https://mcp.example", "name": "crm", "authorization_token": "t"}
        ],
        "thread": {"type": "continue", "previous_message_id": "msg_1"},
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"},
                    },
                    {"type": "image", "source": {"type": "file", "file_id": "file_1"}},
                    {
                        "type": "document",
                        "source": {"type": "url", "url": "https://x.example/a.pdf"},
                    },
                    {"type": "container_upload", "file_id": "file_2"},
                ],
            }
        ],
    }
    found = DIALECT.extract(body)
    assert located(found.segments) == [
        ("messages[0].content[2].source.url", "https://x.example/a.pdf"),
    ]
    assert found.attachments == ("image", "document", "file")
    assert found.server_references == (
        "container_id",
        "mcp_server",
        "previous_message_id",
        "file_id",
    )


def test_unknown_sources_are_refused() -> None:
    body = {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "x"}}]}]}
    with pytest.raises(UninspectableContent, match="unsupported source type"):
        DIALECT.extract(body)
