"""resolve_endpoint: an allow-list by family, method and path suffix; tricks never match."""

from __future__ import annotations

import pytest

from gateway.providers.anthropic_messages import AnthropicMessages
from gateway.providers.endpoints import (
    FAMILIES,
    REFUSAL_FAMILIES,
    Endpoint,
    canonical_path,
    refusal_family,
    resolve_endpoint,
)
from gateway.providers.gemini import GeminiGenerateContent
from gateway.providers.openai_chat import OpenAIChat
from gateway.providers.openai_embeddings import OpenAIEmbeddings
from gateway.providers.openai_responses import OpenAIResponses

INSPECTED: list[tuple[str, str, str, type, str]] = [
    ("openai", "POST", "/v1/chat/completions", OpenAIChat, "chat"),
    ("openai", "POST", "/chat/completions", OpenAIChat, "chat"),  # DeepSeek, Perplexity
    ("openai", "POST", "/api/paas/v4/chat/completions", OpenAIChat, "chat"),  # Zhipu
    ("openai", "POST", "/compatible-mode/v1/chat/completions", OpenAIChat, "chat"),  # Qwen
    ("openai", "POST", "/openai/deployments/gpt4o/chat/completions", OpenAIChat, "chat"),
    ("openai", "post", "/v1/chat/completions", OpenAIChat, "chat"),
    ("openai", "POST", "/v1/responses", OpenAIResponses, "responses"),
    ("openai", "POST", "/openai/v1/responses", OpenAIResponses, "responses"),
    ("openai", "POST", "/v1/responses/input_tokens", OpenAIResponses, "responses"),
    ("openai", "POST", "/v1/embeddings", OpenAIEmbeddings, "embeddings"),
    ("openai", "POST", "/openai/deployments/ada/embeddings", OpenAIEmbeddings, "embeddings"),
    ("anthropic", "POST", "/v1/messages", AnthropicMessages, "messages"),
    ("anthropic", "POST", "/v1/messages/count_tokens", AnthropicMessages, "messages"),
    ("anthropic", "POST", "/api/anthropic/v1/messages", AnthropicMessages, "messages"),
    (
        "gemini",
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        GeminiGenerateContent,
        "generate_content",
    ),
    (
        "gemini",
        "POST",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        GeminiGenerateContent,
        "generate_content",
    ),
    (
        "gemini",
        "POST",
        "/v1/models/gemini-2.5-pro:countTokens",
        GeminiGenerateContent,
        "generate_content",
    ),
    (
        "gemini",
        "POST",
        "/v1beta/models/gemini-embedding-001:embedContent",
        GeminiGenerateContent,
        "embeddings",
    ),
    (
        "gemini",
        "POST",
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        GeminiGenerateContent,
        "embeddings",
    ),
    (
        "gemini",
        "POST",
        "/v1beta/tunedModels/my-model-123:generateContent",
        GeminiGenerateContent,
        "generate_content",
    ),
    (
        "gemini",
        "POST",
        "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0:generateContent",
        GeminiGenerateContent,
        "generate_content",
    ),
]


@pytest.mark.parametrize(("family", "method", "path", "dialect", "api"), INSPECTED)
def test_inspected_endpoints(family: str, method: str, path: str, dialect: type, api: str) -> None:
    endpoint = resolve_endpoint(family, method, path)
    assert endpoint is not None
    assert endpoint.kind == "inspect"
    assert isinstance(endpoint.dialect, dialect)
    assert endpoint.api == api


def test_dialects_are_shared_singletons() -> None:
    first = resolve_endpoint("openai", "POST", "/v1/chat/completions")
    second = resolve_endpoint("openai", "POST", "/api/paas/v4/chat/completions")
    assert first is not None and second is not None
    assert first.dialect is second.dialect


@pytest.mark.parametrize(
    ("family", "path"),
    [
        ("openai", "/v1/models"),
        ("openai", "/v1/models/gpt-4o"),
        ("openai", "/v1/models/ft:gpt-4o-mini:acme::abc123"),
        ("openai", "/api/paas/v4/models"),
        ("anthropic", "/v1/models"),
        ("anthropic", "/v1/models/claude-sonnet-4-5"),
        ("gemini", "/v1beta/models"),
        ("gemini", "/v1beta/models/gemini-2.5-flash"),
    ],
)
def test_read_only_endpoints(family: str, path: str) -> None:
    assert resolve_endpoint(family, "GET", path) == Endpoint("read_only", None, "models")


@pytest.mark.parametrize(
    ("family", "method", "path"),
    [
        # not on the allow-list
        ("openai", "POST", "/v1/completions"),
        ("openai", "POST", "/v1/fine_tuning/jobs"),
        ("openai", "POST", "/v1/vector_stores"),
        ("openai", "POST", "/v1/audio/transcriptions"),
        ("openai", "POST", "/v1/images/generations"),
        ("openai", "POST", "/v1/responses/resp_1/cancel"),
        ("openai", "GET", "/v1/responses/resp_1"),
        ("openai", "GET", "/v1/chat/completions"),
        ("openai", "DELETE", "/v1/models/ft:gpt-4o:acme::x"),
        ("openai", "POST", "/v1/models"),
        ("openai", "POST", "/v1/chat/completions/extra"),
        ("anthropic", "POST", "/v1/messages/batches/msgbatch_1"),
        ("anthropic", "POST", "/v1/complete"),
        ("anthropic", "POST", "/messages"),  # the Anthropic suffix includes /v1
        ("anthropic", "GET", "/v1/messages/batches/msgbatch_1/extra"),
        ("anthropic", "POST", "/v1/chat/completions"),  # another family's route
        ("gemini", "POST", "/v1beta/cachedContents"),
        ("gemini", "POST", "/v1beta/models/gemini-2.5-flash:predict"),
        ("gemini", "POST", "/v1beta/models/:generateContent"),
        ("gemini", "POST", "/v1beta/files/abc:generateContent"),
        ("gemini", "POST", "/v1beta/models/gemini-2.5-flash"),
        ("gemini", "GET", "/v1beta/models/gemini-2.5-flash:generateContent"),
        ("unknown-family", "POST", "/v1/chat/completions"),
        # traversal and smuggling
        ("openai", "GET", "/v1/models/../chat/completions"),
        ("openai", "POST", "/v1/models/../chat/completions"),
        ("openai", "GET", "/v1/models/.."),
        ("openai", "GET", "/v1/models/."),
        ("openai", "POST", "/v1/./chat/completions"),
        ("openai", "GET", "/v1/models/%2e%2e/files"),
        ("openai", "GET", "/v1/models/%2E%2E"),
        ("openai", "GET", "/v1/models/a%2Fb"),
        ("openai", "GET", "/v1/models/a%2fb"),
        ("openai", "GET", "/v1/models/a%5Cb"),
        ("openai", "GET", "/v1/models/a%252e"),
        ("openai", "GET", "/v1/models/a%00"),
        ("openai", "GET", "/v1/models/a%zz"),
        ("openai", "GET", "/v1/models/a\\..\\b"),
        ("openai", "GET", "/v1/models?x=/chat/completions"),
        ("openai", "POST", "/v1/files?/chat/completions"),
        ("openai", "POST", "/v1/files#/chat/completions"),
        ("openai", "POST", "/v1/files;/chat/completions"),
        ("openai", "POST", "/v1/chat/completions%3Fx"),
        ("openai", "POST", "/v1//chat/completions"),
        ("openai", "POST", "/v1/chat/completions/"),
        ("openai", "POST", "v1/chat/completions"),
        ("openai", "POST", ""),
        ("openai", "POST", "/v1/chat/completions\n"),
        ("openai", "POST", "/v1/chat /completions"),
        ("anthropic", "POST", "/v1/models/../messages"),
        ("gemini", "POST", "/v1beta/models/../tunedModels/x:generateContent"),
    ],
)
def test_everything_else_is_refused(family: str, method: str, path: str) -> None:
    assert resolve_endpoint(family, method, path) is None


def test_harmless_percent_escapes_still_match() -> None:
    endpoint = resolve_endpoint("openai", "GET", "/v1/models/ft%3Agpt-4o%3Aacme")
    assert endpoint is not None and endpoint.kind == "read_only"


def test_routes_are_matched_decoded() -> None:
    # an escaped ':' names Gemini's method: a generate call, never a listing
    assert resolve_endpoint("gemini", "GET", "/v1beta/models/x%3AgenerateContent") is None
    endpoint = resolve_endpoint("gemini", "POST", "/v1beta/models/x%3AgenerateContent")
    assert endpoint is not None and endpoint.kind == "inspect"
    endpoint = resolve_endpoint("openai", "POST", "/v1/%63hat/completions")
    assert endpoint is not None and endpoint.kind == "inspect"


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/v1beta/models/x%3AgenerateContent", "/v1beta/models/x:generateContent"),
        ("/v1/%63hat/completion%73", "/v1/chat/completions"),
        ("/v1/models/ft%3Agpt-4o%3Aacme", "/v1/models/ft:gpt-4o:acme"),
        ("/v1/models/a%20b", "/v1/models/a%20b"),
        ("/v1/models/%ED%95%9C", "/v1/models/%ED%95%9C"),
        ("/v1/models/gpt-4o", "/v1/models/gpt-4o"),
        ("/v1/models/x%253A", None),  # encoded twice: refused, not guessed
        ("/v1/models/a%2Fb", None),
        ("/v1/models/%FF", None),  # not UTF-8
        ("/v1//models", None),
        ("/v1/models/", None),
        ("/v1/models;x", None),
        # plain paths, read without decoding: their own form, dot segments still refused
        ("/v1/models/ft:gpt-4o:acme!($&'*+,=@~)", "/v1/models/ft:gpt-4o:acme!($&'*+,=@~)"),
        ("/v1/./models", None),
        ("/v1/models/..", None),
        ("/v1/models/...", "/v1/models/..."),
        ("/v1/models/\u00e9", "/v1/models/%C3%A9"),
        ("/v1/models\n", None),
        ("v1/models", None),
    ],
)
def test_canonical_path_is_decoded_once_and_reescaped(path: str, canonical: str | None) -> None:
    assert canonical_path(path) == canonical


def test_refusal_families() -> None:
    assert frozenset({"openai", "anthropic", "gemini"}) == FAMILIES
    assert dict(REFUSAL_FAMILIES) == {
        "openai": "openai",
        "anthropic": "anthropic",
        "gemini": "gemini",
    }
    assert refusal_family("gemini") == "gemini"
    assert refusal_family("something-new") == "openai"
