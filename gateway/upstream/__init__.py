"""The upstream side: one pooled client per process, streaming both ways.

Two interchangeable clients implement ``Upstream``: aiohttp's (the default:
cheaper per request and steady under concurrency, see docs/performance.md) and
httpx's, which also takes any httpx transport (tests use ``MockTransport``).
Both send the caller's headers as given — neither adds its own
``accept-encoding`` or ``user-agent`` — and hand back the body chunk by chunk,
undecoded, as it arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    import httpx

    from gateway.settings import ForwardSettings, TimeoutSettings
    from gateway.upstream.base import Upstream, UpstreamResponse
    from gateway.upstream.headers import (
        HOP_BY_HOP,
        relayable_response_headers,
        strip_query_credentials,
        upstream_request_headers,
    )

__all__ = [
    "HOP_BY_HOP",
    "Upstream",
    "UpstreamResponse",
    "build_upstream",
    "relayable_response_headers",
    "strip_query_credentials",
    "upstream_request_headers",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "Upstream": "gateway.upstream.base",
        "UpstreamResponse": "gateway.upstream.base",
        "HOP_BY_HOP": "gateway.upstream.headers",
        "relayable_response_headers": "gateway.upstream.headers",
        "strip_query_credentials": "gateway.upstream.headers",
        "upstream_request_headers": "gateway.upstream.headers",
    },
)


def build_upstream(
    forward: ForwardSettings,
    timeouts: TimeoutSettings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Upstream:
    """The configured client; an explicit httpx ``transport`` implies the httpx client."""
    if transport is not None or forward.transport == "httpx":
        from gateway.upstream.httpx_client import HttpxUpstream

        return HttpxUpstream(forward, timeouts, transport)
    from gateway.upstream.aiohttp_client import AiohttpUpstream

    return AiohttpUpstream(forward, timeouts)
