"""OpenAIEmbeddings: text inputs become segments, token ids are refused."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import orjson
import pytest
from dialect_tables import assert_edits_touch_only_segments, assert_extracts, located

from gateway.providers.dialect import UninspectableContent
from gateway.providers.openai_embeddings import OpenAIEmbeddings

DIALECT = OpenAIEmbeddings()

CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    (
        "one-string",
        {"model": "text-embedding-3-small", "input": "홍길동 010-1234-5678"},
        [("input", "홍길동 010-1234-5678")],
    ),
    (
        "batch",
        {
            "model": "text-embedding-3-large",
            "input": ["first doc", "", "third doc"],
            "encoding_format": "float",
            "dimensions": 256,
        },
        [("input[0]", "first doc"), ("input[2]", "third doc")],
    ),
    ("empty-string", {"model": "m", "input": ""}, []),
    ("empty-batch", {"model": "m", "input": []}, []),
    (
        "end-user-and-extensions",
        {"model": "m", "input": "x", "user": "kim@corp.kr", "encoding_format": "float"},
        [("input", "x"), ("user", "kim@corp.kr")],
    ),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_extracts_exact_segments(body: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert_extracts(DIALECT, body, expected)


@pytest.mark.parametrize("body", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_edits_touch_only_the_segments(body: dict[str, Any]) -> None:
    assert_edits_touch_only_segments(DIALECT, body)


@pytest.mark.parametrize(
    "value",
    [[15339, 1917], [[15339, 1917], [9906]], ["text", 42], [[]]],
    ids=["token-ids", "token-id-batches", "mixed", "empty-token-batch"],
)
def test_token_ids_are_refused(value: Any) -> None:
    with pytest.raises(UninspectableContent, match="token-id input cannot be inspected"):
        DIALECT.extract({"model": "m", "input": value})


@pytest.mark.parametrize("body", [[], {"input": 3}, {"input": {"text": "x"}}, {"input": [{}]}])
def test_unreadable_shapes_are_refused(body: Any) -> None:
    with pytest.raises(UninspectableContent):
        DIALECT.extract(body)


def test_model_and_streaming() -> None:
    body = {"model": "text-embedding-3-small", "input": "x", "stream": True}
    assert DIALECT.model(body, "/v1/embeddings") == "text-embedding-3-small"
    assert DIALECT.is_streaming(body, "/v1/embeddings", "") is False


def test_body_sent_by_the_openai_sdk() -> None:
    sent: list[bytes] = []

    def upstream(request: httpx2.Request) -> httpx2.Response:
        sent.append(request.content)
        return httpx2.Response(403, json={"error": {"message": "stop"}})

    client = openai.OpenAI(
        api_key="sk-test",
        base_url="http://gateway.test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(upstream)),
        max_retries=0,
    )
    with pytest.raises(openai.PermissionDeniedError):
        client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    with pytest.raises(openai.PermissionDeniedError):
        client.embeddings.create(model="text-embedding-3-small", input=[[1, 2, 3]])
    texts, tokens = (orjson.loads(raw) for raw in sent)
    assert located(DIALECT.extract(texts).segments) == [
        ("input[0]", "a"),
        ("input[1]", "b"),
    ]
    with pytest.raises(UninspectableContent):
        DIALECT.extract(tokens)
