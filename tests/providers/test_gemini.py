"""GeminiGenerateContent: generate, countTokens and embed bodies; model from the URL."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from google import genai
from google.genai import errors, types

from gateway.providers.gemini import GeminiGenerateContent
from tests.providers.dialect_tables import located, recording_client, table_tests

DIALECT = GeminiGenerateContent()

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    (
        "generate",
        {
            "systemInstruction": {"role": "user", "parts": [{"text": "Reply in Korean."}]},
            "contents": [
                {
                    "role": "user",
                    "parts": [
                        {"text": "제 번호는 010-1234-5678"},
                        {"inlineData": {"mimeType": "image/png", "data": "iVBOR"}},
                        {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://b/f"}},
                    ],
                },
                {
                    "role": "model",
                    "parts": [
                        {"text": "thinking summary", "thought": True},
                        {
                            "functionCall": {
                                "name": "lookup",
                                "args": {"name": "Kim", "tags": ["vip"], "limit": 3},
                            },
                            "thoughtSignature": "CiQB",
                        },
                    ],
                },
                {
                    "role": "user",
                    "parts": [
                        {
                            "functionResponse": {
                                "name": "lookup",
                                "response": {"output": {"email": "kim@corp.kr"}},
                            }
                        }
                    ],
                },
            ],
            "generationConfig": {"temperature": 0.2, "stopSequences": ["END"]},
            "tools": [{"functionDeclarations": [{"name": "lookup", "description": "CRM"}]}],
        },
        [
            ("systemInstruction.parts[0].text", "Reply in Korean."),
            ("contents[0].parts[0].text", "제 번호는 010-1234-5678"),
            ("contents[0].parts[2].fileData.fileUri", "gs://b/f"),
            ("contents[1].parts[0].text", "thinking summary"),
            ("contents[1].parts[1].functionCall.args.name", "Kim"),
            ("contents[1].parts[1].functionCall.args.tags[0]", "vip"),
            ("contents[2].parts[0].functionResponse.response.output.email", "kim@corp.kr"),
            ("generationConfig.stopSequences[0]", "END"),
            ("tools[0].functionDeclarations[0].description", "CRM"),
        ],
    ),
    (
        "snake-case-and-code",
        {
            "system_instruction": {"parts": [{"text": "sys"}]},
            "contents": [
                {
                    "role": "model",
                    "parts": [
                        {"function_call": {"name": "f", "args": {"q": "x"}}},
                        {"executableCode": {"language": "PYTHON", "code": "print(secret)"}},
                        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "hunter2"}},
                    ],
                },
                {"role": "user", "parts": [{"function_response": {"response": {"r": "y"}}}]},
            ],
        },
        [
            ("system_instruction.parts[0].text", "sys"),
            ("contents[0].parts[0].function_call.args.q", "x"),
            ("contents[0].parts[1].executableCode.code", "print(secret)"),
            ("contents[0].parts[2].codeExecutionResult.output", "hunter2"),
            ("contents[1].parts[0].function_response.response.r", "y"),
        ],
    ),
    (
        "count-tokens-nested",
        {
            "generateContentRequest": {
                "model": "models/gemini-2.5-flash",
                "systemInstruction": {"parts": [{"text": "sys"}]},
                "contents": [{"role": "user", "parts": [{"text": "count me"}]}],
            }
        },
        [
            ("generateContentRequest.systemInstruction.parts[0].text", "sys"),
            ("generateContentRequest.contents[0].parts[0].text", "count me"),
        ],
    ),
    (
        "embed-content",
        {
            "model": "models/gemini-embedding-001",
            "content": {"parts": [{"text": "embed this"}, {"text": "and this"}]},
            "taskType": "RETRIEVAL_DOCUMENT",
            "title": "Payroll 2025",
        },
        [
            ("content.parts[0].text", "embed this"),
            ("content.parts[1].text", "and this"),
            ("title", "Payroll 2025"),
        ],
    ),
    (
        "batch-embed",
        {
            "requests": [
                {"model": "models/e", "content": {"parts": [{"text": "a"}]}, "title": "t"},
                {"model": "models/e", "content": {"role": "user", "parts": [{"text": "b"}]}},
            ]
        },
        [
            ("requests[0].content.parts[0].text", "a"),
            ("requests[0].title", "t"),
            ("requests[1].content.parts[0].text", "b"),
        ],
    ),
    ("no-parts", {"contents": [{"role": "user"}], "cachedContent": "cachedContents/1"}, []),
    (
        "definitions-and-labels",
        {
            "contents": [
                {"role": "user", "parts": [{"text": "hi"}]},
                {
                    "role": "model",
                    "parts": [{"functionCall": {"name": "crm", "args": {"rrn": 9001011234568}}}],
                },
            ],
            "tools": [
                {
                    "functionDeclarations": [
                        {
                            "name": "crm",
                            "description": "Find Kim",
                            "parameters": {
                                "type": "OBJECT",
                                "properties": {
                                    "rrn": {"type": "INTEGER", "description": "resident number"}
                                },
                            },
                        }
                    ]
                },
                {"googleSearch": {}},
            ],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY"}},
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseSchema": {"type": "OBJECT", "description": "Answer for Kim"},
                "seed": 1234567,
            },
            "labels": {"team": "kim@corp.kr"},
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        },
        [
            ("contents[0].parts[0].text", "hi"),
            ("contents[1].parts[0].functionCall.args.rrn", "9001011234568"),
            ("tools[0].functionDeclarations[0].description", "Find Kim"),
            (
                "tools[0].functionDeclarations[0].parameters.properties.rrn.description",
                "resident number",
            ),
            ("generationConfig.responseSchema.description", "Answer for Kim"),
            ("labels.team", "kim@corp.kr"),
        ],
    ),
]


UNREADABLE: list[Any] = [
    [],
    {"contents": {"parts": []}},
    {"contents": ["hi"]},
    {"contents": [{"parts": {"text": "x"}}]},
    {"contents": [{"parts": ["x"]}]},
    {"contents": [{"parts": [{"text": 5}]}]},
    {"systemInstruction": "sys"},
    {"requests": {"content": {}}},
]

(
    test_extracts_exact_segments,
    test_edits_touch_only_the_segments,
    test_unreadable_shapes_are_refused,
) = table_tests(DIALECT, CASES, UNREADABLE)


@pytest.mark.parametrize(
    ("path", "model", "streaming"),
    [
        ("/v1beta/models/gemini-2.5-flash:generateContent", "gemini-2.5-flash", False),
        ("/v1beta/models/gemini-2.5-flash:streamGenerateContent", "gemini-2.5-flash", True),
        ("/v1/models/gemini-2.5-pro:countTokens", "gemini-2.5-pro", False),
        ("/v1beta/models/gemini-embedding-001:batchEmbedContents", "gemini-embedding-001", False),
        ("/v1beta/tunedModels/my-tune:generateContent", "my-tune", False),
        (
            "/v1/projects/p/locations/us/publishers/google/models/gemini-2.0:streamGenerateContent",
            "gemini-2.0",
            True,
        ),
        ("/v1beta/models/gemini-2.5-flash", None, False),
        ("/v1beta/files/abc:generateContent", None, False),
    ],
)
def test_model_and_streaming_come_from_the_path(
    path: str, model: str | None, streaming: bool
) -> None:
    assert DIALECT.model({"model": "ignored"}, path) == model
    assert DIALECT.is_streaming({"stream": True}, path, "alt=sse") is streaming


def test_bodies_sent_by_the_genai_sdk() -> None:
    http, sent = recording_client(403, {"error": {"code": 403, "status": "PERMISSION_DENIED"}})
    client = genai.Client(
        api_key="test-key",
        http_options=types.HttpOptions(
            base_url="http://gateway.test",
            api_version="v1beta",
            httpx_client=http,
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )
    config = types.GenerateContentConfig(system_instruction="sys")
    with pytest.raises(errors.ClientError):
        client.models.generate_content(model="gemini-2.5-flash", contents="hi", config=config)
    with pytest.raises(errors.ClientError):
        list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"))
    embed = types.EmbedContentConfig(title="doc")
    with pytest.raises(errors.ClientError):
        client.models.embed_content(model="gemini-embedding-001", contents=["a"], config=embed)
    found = [
        (DIALECT.model(body, path), DIALECT.is_streaming(body, path, ""), segments)
        for request in sent
        for path, body in [(request.url.path, orjson.loads(request.content))]
        for segments in [located(DIALECT.extract(body).segments)]
    ]
    assert found == [
        (
            "gemini-2.5-flash",
            False,
            [("contents[0].parts[0].text", "hi"), ("systemInstruction.parts[0].text", "sys")],
        ),
        ("gemini-2.5-flash", True, [("contents[0].parts[0].text", "hi")]),
        (
            "gemini-embedding-001",
            False,
            [("requests[0].content.parts[0].text", "a"), ("requests[0].title", "doc")],
        ),
    ]


def test_attachments_and_server_references() -> None:
    note = base64.b64encode("메모: kim@corp.kr".encode()).decode()
    body = {
        "cachedContent": "cachedContents/abc",
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"inlineData": {"mimeType": "image/png", "data": "iVBO"}},
                    {"inline_data": {"mime_type": "text/plain", "data": note}},
                    {
                        "fileData": {
                            "mimeType": "video/mp4",
                            "fileUri": "files/abc",
                            "displayName": "kim-interview.mp4",
                        }
                    },
                ],
            },
            {
                "role": "user",
                "parts": [
                    {
                        "functionResponse": {
                            "name": "render",
                            "response": {"ok": True},
                            "parts": [{"inlineData": {"mimeType": "audio/wav", "data": "UklG"}}],
                        }
                    }
                ],
            },
        ],
    }
    found = DIALECT.extract(body)
    assert located(found.segments) == [
        ("contents[0].parts[1].inline_data.data", "메모: kim@corp.kr"),
        ("contents[0].parts[2].fileData.fileUri", "files/abc"),
        ("contents[0].parts[2].fileData.displayName", "kim-interview.mp4"),
    ]
    assert found.attachments == ("image", "file", "video", "audio")
    assert found.server_references == ("cachedContent", "file_uri")
