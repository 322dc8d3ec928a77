"""Route: which provider, which API, and where upstream the request goes.

The first path segment is the provider id; the rest of the path is appended,
untouched, to that provider's base URL. Only endpoints a dialect can inspect,
plus a short list of read-only ones, are routed: anything else is refused,
because a path Haetae cannot read is a path it cannot guard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from gateway.errors import NotFound, PolicyBlock, ProviderNotReady
from gateway.providers.endpoints import resolve_endpoint

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.providers.catalog import Provider

__all__ = ["UNINSPECTED_ENDPOINT_RULE", "Route"]

#: rule id reported when a path outside the inspected/read-only lists is refused
UNINSPECTED_ENDPOINT_RULE = "builtin.uninspected-endpoint"


class Route:
    name = "route"

    def __init__(self, providers: Mapping[str, Provider]) -> None:
        self._providers = providers
        self._known = ", ".join(sorted(providers))

    async def __call__(self, exchange: Exchange) -> None:
        provider_id, _, rest = exchange.path[1:].partition("/")
        provider = self._providers.get(provider_id)
        if provider is None:
            raise NotFound(
                f"unknown provider prefix '/{provider_id[:40]}'; "
                f"use /<provider>/..., one of: {self._known}",
                code="unknown_provider",
            )
        exchange.provider = provider
        exchange.upstream_path = "/" + rest
        endpoint = resolve_endpoint(provider.family, exchange.method, exchange.upstream_path)
        if endpoint is None:
            raise PolicyBlock(
                f"Haetae does not forward {exchange.method} {exchange.upstream_path[:80]} "
                f"to '{provider.id}': only inspected APIs and read-only listings pass "
                "through the gateway",
                rule_ids=[UNINSPECTED_ENDPOINT_RULE],
            )
        exchange.endpoint = endpoint
        if provider.base_url is None:
            raise ProviderNotReady(
                f"provider '{provider.id}' has no base URL configured; "
                f"set providers.{provider.id}.base_url"
            )
