"""Error bodies spelled the way each provider spells them.

A client talking to Haetae uses an unmodified official SDK, so a refusal must look
like an ordinary API error: the SDK then raises its usual exception class (chosen
by HTTP status) and shows our message, and no client code has to know about the
gateway. ``code`` is the machine-readable reason (e.g. ``"policy_violation"``).
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

__all__ = [
    "ANTHROPIC_ERROR_TYPES",
    "GEMINI_STATUSES",
    "OPENAI_ERROR_TYPES",
    "render_error",
]

#: OpenAI's ``error.type`` by status, as the API itself answers (403 is "request_forbidden",
#: 404 for an unknown model or route is still "invalid_request_error")
OPENAI_ERROR_TYPES: Mapping[int, str] = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "request_forbidden",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "requests",
    500: "server_error",
    502: "server_error",
    503: "server_error",
    504: "server_error",
}

#: Anthropic's ``error.type`` by status (docs: "HTTP errors")
ANTHROPIC_ERROR_TYPES: Mapping[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

#: google.rpc canonical codes by HTTP status, as Gemini puts them in ``error.status``
GEMINI_STATUSES: Mapping[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    415: "INVALID_ARGUMENT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

#: Gemini error details name their origin; ours are attributed to the gateway
_GEMINI_DOMAIN = "haetae.gateway"


def _pick(table: Mapping[int, str], status: int, client: str, server: str) -> str:
    return table.get(status) or (server if status >= 500 else client)


def _openai(status: int, message: str, code: str) -> object:
    kind = _pick(OPENAI_ERROR_TYPES, status, "invalid_request_error", "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _anthropic(status: int, message: str, code: str) -> object:
    kind = _pick(ANTHROPIC_ERROR_TYPES, status, "invalid_request_error", "api_error")
    # ``details.error_code`` is where the SDK reads a stable cause; unknown codes are
    # treated as the bare ``type``, so ours never select a special exception class.
    error = {"type": kind, "message": message, "details": {"error_code": code}}
    return {"type": "error", "error": error}


def _gemini(status: int, message: str, code: str) -> object:
    rpc_status = _pick(GEMINI_STATUSES, status, "FAILED_PRECONDITION", "INTERNAL")
    detail = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": code,
        "domain": _GEMINI_DOMAIN,
    }
    return {
        "error": {"code": status, "message": message, "status": rpc_status, "details": [detail]}
    }


_RENDERERS = {"openai": _openai, "anthropic": _anthropic, "gemini": _gemini}


def render_error(family: str, status: int, message: str, code: str) -> bytes:
    """The JSON error body for ``family`` (unknown families get OpenAI's format)."""
    render = _RENDERERS.get(family, _openai)
    return orjson.dumps(render(status, message, code))
