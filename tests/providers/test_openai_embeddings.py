"""OpenAIEmbeddings: text inputs become segments, token ids are refused."""

from __future__ import annotations

from typing import Any

import openai
import orjson
import pytest

from gateway.providers.dialect import UninspectableContent
from gateway.providers.openai_embeddings import OpenAIEmbeddings
from tests.providers.dialect_tables import located, recording_client, table_tests

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


UNREADABLE: list[Any] = [[], {"input": 3}, {"input": {"text": "x"}}, {"input": [{}]}]

(
    test_extracts_exact_segments,
    test_edits_touch_only_the_segments,
    test_unreadable_shapes_are_refused,
) = table_tests(DIALECT, CASES, UNREADABLE)


@pytest.mark.parametrize(
    "value",
    [[15339, 1917], [[15339, 1917], [9906]], ["text", 42], [[]]],
    ids=["token-ids", "token-id-batches", "mixed", "empty-token-batch"],
)
def test_token_ids_are_refused(value: Any) -> None:
    with pytest.raises(UninspectableContent, match="token-id input cannot be inspected"):
        DIALECT.extract({"model": "m", "input": value})


def test_model_and_streaming() -> None:
    body = {"model": "text-embedding-3-small", "input": "x", "stream": True}
    assert DIALECT.model(body, "/v1/embeddings") == "text-embedding-3-small"
    assert DIALECT.is_streaming(body, "/v1/embeddings", "") is False


def test_body_sent_by_the_openai_sdk() -> None:
    http, sent = recording_client(403, {"error": {"message": "stop"}})
    client = openai.OpenAI(
        api_key="sk-test", base_url="http://gateway.test/v1", http_client=http, max_retries=0
    )
    with pytest.raises(openai.PermissionDeniedError):
        client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    with pytest.raises(openai.PermissionDeniedError):
        client.embeddings.create(model="text-embedding-3-small", input=[[1, 2, 3]])
    texts, tokens = (orjson.loads(request.content) for request in sent)
    assert located(DIALECT.extract(texts).segments) == [
        ("input[0]", "a"),
        ("input[1]", "b"),
    ]
    with pytest.raises(UninspectableContent):
        DIALECT.extract(tokens)
