"""Which headers cross the gateway, in each direction."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.providers.query import CREDENTIAL_PARAMS, decode_query_part

__all__ = [
    "CREDENTIAL_HEADERS",
    "HOP_BY_HOP",
    "RELAYED_RESPONSE_HEADERS",
    "RELAYED_RESPONSE_PREFIXES",
    "forwarded_header",
    "relayable_response_headers",
    "strip_query_credentials",
    "upstream_request_headers",
]

#: RFC 9110 §7.6.1 connection-specific fields, plus the ones a proxy recomputes.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)

#: request headers that describe the caller's side and never go upstream
_NOT_FORWARDED = HOP_BY_HOP | {
    b"host",
    b"content-length",
    b"forwarded",
    b"x-forwarded-for",
    b"x-forwarded-host",
    b"x-forwarded-proto",
    b"x-real-ip",
    # The caller's trace context ends at the gateway; baggage is unscanned free text.
    b"traceparent",
    b"tracestate",
    b"baggage",
}
#: where SDKs send the provider key; replaced when the gateway injects its own
CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key", b"api-key", b"x-goog-api-key"})
_GATEWAY_HEADER_PREFIX = b"x-haetae-"


def forwarded_header(name: bytes, injected: bool) -> bool:
    """Whether a request header (lower-case ``name``) goes upstream as the caller sent it.

    The Extract stage scans exactly these (``labels.header_segments``), so what
    leaves is what was judged.
    """
    return (
        name not in _NOT_FORWARDED
        and not name.startswith(_GATEWAY_HEADER_PREFIX)
        and not (injected and name in CREDENTIAL_HEADERS)
    )


def upstream_request_headers(
    headers: Iterable[tuple[bytes, bytes]], injected: tuple[bytes, bytes] | None
) -> list[tuple[bytes, bytes]]:
    """The caller's headers as the provider should see them.

    Gateway headers (``x-haetae-*``) and the caller's network details never
    leave; with an injected key every caller credential is replaced by it.
    """
    replaced = injected is not None
    out = [(name, value) for name, value in headers if forwarded_header(name, replaced)]
    if injected is not None:
        out.append(injected)
    return out


#: response headers relayed by exact name: the body's framing and the ones the official
#: SDKs read (openai, anthropic and google-genai: request ids, retry advice)
RELAYED_RESPONSE_HEADERS = frozenset(
    {
        b"content-type",
        b"content-length",  # dropped again when restoration changes the body
        b"content-encoding",  # the body is relayed undecoded
        b"cache-control",  # event streams say no-cache, so proxies do not hold them
        b"x-request-id",  # OpenAI (and most compatible APIs): the SDKs' `request_id`
        b"request-id",  # Anthropic: the SDK's `_request_id`
        b"retry-after",  # all three SDKs: how long to wait before a retry
        b"retry-after-ms",  # openai and anthropic SDKs, preferred over retry-after
        b"x-should-retry",  # openai and anthropic SDKs: retry or not, whatever the status
    }
)
#: response headers relayed by prefix: rate limits and provider metadata
#: (`openai-organization`, `openai-processing-ms`, `openai-poll-after-ms`,
#: `anthropic-ratelimit-*`, `anthropic-organization-id`, `x-ratelimit-*`, ...)
#: and Gemini's resumable upload protocol (`x-goog-upload-status`, `-url`, `-size-received`;
#: the gateway rewrites the URL so that the chunks come back through it: `forward.py`)
RELAYED_RESPONSE_PREFIXES = (b"openai-", b"anthropic-", b"x-ratelimit-", b"x-goog-upload-")


def _relayed(name: bytes) -> bool:
    return name in RELAYED_RESPONSE_HEADERS or name.startswith(RELAYED_RESPONSE_PREFIXES)


def relayable_response_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The upstream response headers the client may see, names lower-cased.

    An allow-list, not a deny-list: a provider (or whoever answers in its name)
    cannot set cookies, security policies or CORS on the gateway's origin, nor
    pass its own ``x-haetae-*`` headers off as the gateway's (those are added by
    the gateway afterwards, and never come from upstream). Hop-by-hop headers,
    and any the ``Connection`` header names, are dropped even when allowed.
    """
    lowered = [(name.lower(), value) for name, value in raw]
    dropped = HOP_BY_HOP | {
        token.strip().lower().encode("latin-1")
        for name, value in lowered
        if name == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    return [
        (name, value)
        for name, value in lowered
        if _relayed(name) and name not in dropped and not name.startswith(_GATEWAY_HEADER_PREFIX)
    ]


def strip_query_credentials(query: bytes) -> bytes:
    """``query`` without any credential parameter (by decoded name, any case).

    Used when the gateway injects the provider key: the caller's credential
    parameters are neither needed nor scanned, so none may leave. A name that is
    not UTF-8 cannot be a credential name and is kept (Extract refuses it anyway).
    """
    kept = []
    for part in query.split(b"&"):
        if not part:
            continue
        try:
            name = decode_query_part(part.partition(b"=")[0]).lower()
        except ValueError:  # UninspectableContent
            name = ""
        if name not in CREDENTIAL_PARAMS:
            kept.append(part)
    return b"&".join(kept)
