"""Refusal bodies make each official SDK raise its ordinary error class with our message."""

from __future__ import annotations

import anthropic
import httpx2
import openai
import orjson
import pytest
from google import genai
from google.genai import errors, types

from gateway.providers.refusals import render_error

MESSAGE = "Haetae blocked this request: it contains a resident registration number."
CODE = "pii_detected"


def _upstream(family: str, status: int) -> httpx2.MockTransport:
    body = render_error(family, status, MESSAGE, CODE)
    headers = {"content-type": "application/json"}
    return httpx2.MockTransport(
        lambda _request: httpx2.Response(status, content=body, headers=headers)
    )


@pytest.mark.parametrize(
    ("status", "error_class", "kind"),
    [
        (400, openai.BadRequestError, "invalid_request_error"),
        (403, openai.PermissionDeniedError, "request_forbidden"),
        (404, openai.NotFoundError, "invalid_request_error"),
        (413, openai.APIStatusError, "invalid_request_error"),
        (429, openai.RateLimitError, "requests"),
        (502, openai.InternalServerError, "server_error"),
    ],
)
def test_openai_sdk(status: int, error_class: type[openai.APIStatusError], kind: str) -> None:
    client = openai.OpenAI(
        api_key="sk-test",
        base_url="http://gateway.test/v1",
        http_client=httpx2.Client(transport=_upstream("openai", status)),
        max_retries=0,
    )
    with pytest.raises(error_class) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    error = caught.value
    assert error.status_code == status
    assert MESSAGE in str(error)
    assert (error.type, error.code, error.param) == (kind, CODE, None)


@pytest.mark.parametrize(
    ("status", "error_class", "kind"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (404, anthropic.NotFoundError, "not_found_error"),
        (413, anthropic.ContentTooLargeError, "request_too_large"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.InternalServerError, "overloaded_error"),
    ],
)
def test_anthropic_sdk(status: int, error_class: type[anthropic.APIStatusError], kind: str) -> None:
    client = anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url="http://gateway.test",
        http_client=httpx2.Client(transport=_upstream("anthropic", status)),
        max_retries=0,
    )
    with pytest.raises(error_class) as caught:
        client.messages.create(
            model="claude-x", max_tokens=8, messages=[{"role": "user", "content": "x"}]
        )
    error = caught.value
    assert error.status_code == status
    assert MESSAGE in str(error)
    assert (error.type, error.api_message, error.error_code) == (kind, MESSAGE, CODE)


@pytest.mark.parametrize(
    ("status", "error_class", "rpc_status"),
    [
        (400, errors.ClientError, "INVALID_ARGUMENT"),
        (403, errors.ClientError, "PERMISSION_DENIED"),
        (404, errors.ClientError, "NOT_FOUND"),
        (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
        (500, errors.ServerError, "INTERNAL"),
        (503, errors.ServerError, "UNAVAILABLE"),
        (504, errors.ServerError, "DEADLINE_EXCEEDED"),
    ],
)
def test_genai_sdk(status: int, error_class: type[errors.APIError], rpc_status: str) -> None:
    client = genai.Client(
        api_key="test-key",
        http_options=types.HttpOptions(
            base_url="http://gateway.test",
            httpx_client=httpx2.Client(transport=_upstream("gemini", status)),
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )
    with pytest.raises(error_class) as caught:
        client.models.generate_content(model="gemini-2.5-flash", contents="x")
    error = caught.value
    assert (error.code, error.status, error.message) == (status, rpc_status, MESSAGE)
    assert MESSAGE in str(error)


@pytest.mark.parametrize(
    ("family", "status", "expected"),
    [
        (
            "openai",
            403,
            {
                "error": {
                    "message": MESSAGE,
                    "type": "request_forbidden",
                    "param": None,
                    "code": CODE,
                }
            },
        ),
        (
            "azure-or-anything-else",
            451,
            {
                "error": {
                    "message": MESSAGE,
                    "type": "invalid_request_error",
                    "param": None,
                    "code": CODE,
                }
            },
        ),
        (
            "openai",
            599,
            {"error": {"message": MESSAGE, "type": "server_error", "param": None, "code": CODE}},
        ),
        (
            "anthropic",
            403,
            {
                "type": "error",
                "error": {
                    "type": "permission_error",
                    "message": MESSAGE,
                    "details": {"error_code": CODE},
                },
            },
        ),
        (
            "anthropic",
            418,
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "message": MESSAGE,
                    "details": {"error_code": CODE},
                },
            },
        ),
        (
            "gemini",
            403,
            {
                "error": {
                    "code": 403,
                    "message": MESSAGE,
                    "status": "PERMISSION_DENIED",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": CODE,
                            "domain": "haetae.gateway",
                        }
                    ],
                }
            },
        ),
    ],
)
def test_exact_bodies(family: str, status: int, expected: object) -> None:
    assert orjson.loads(render_error(family, status, MESSAGE, CODE)) == expected


@pytest.mark.parametrize("family", ["openai", "anthropic", "gemini"])
def test_message_survives_json_escaping(family: str) -> None:
    tricky = 'quote " backslash \\ newline \n 한글 </script>'
    body = orjson.loads(render_error(family, 400, tricky, "c"))
    assert body["error"]["message"] == tricky
