"""Route: which provider, which API, and where upstream the request goes.

The first path segment is the provider id; the rest of the path is appended to that
provider's base URL as it was classified: percent escapes decoded once and re-escaped
canonically (``providers/endpoints.py: canonical_path``). Only endpoints a dialect can inspect,
plus a short list of read-only ones, are routed: anything else is refused,
because a path Haetae cannot read is a path it cannot guard.

Which providers exist is the policy's business (it can add and correct them),
so routing reads the providers of the policy the request is judged by, picked
when the request started: a policy activated mid-request never reroutes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from gateway.errors import NotFound, PolicyBlock, ProviderNotReady
from gateway.providers.endpoints import canonical_path, resolve_endpoint

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.policy import CompiledPolicy
    from gateway.providers.catalog import Provider

    ProvidersFor = Callable[[CompiledPolicy], Mapping[str, Provider]]

__all__ = ["UNINSPECTED_ENDPOINT_RULE", "Route"]

#: rule id reported when a path outside the inspected/read-only lists is refused
UNINSPECTED_ENDPOINT_RULE = "builtin.uninspected-endpoint"


class Route:
    name = "route"

    def __init__(self, providers: Mapping[str, Provider] | ProvidersFor) -> None:
        """``providers``: one fixed map, or a function giving the map of a policy."""
        if callable(providers):
            self._providers_for = providers
        else:
            fixed = providers
            self._providers_for = lambda _policy: fixed

    async def __call__(self, exchange: Exchange) -> None:
        provider_id, _, rest = exchange.path[1:].partition("/")
        providers = self._providers_for(exchange.policy)
        provider = providers.get(provider_id)
        if provider is None:
            raise NotFound(
                f"unknown provider prefix '/{provider_id[:40]}'; "
                f"use /<provider>/..., one of: {', '.join(sorted(providers))}",
                code="unknown_provider",
            )
        exchange.provider = provider
        exchange.upstream_path = "/" + rest
        # Classified decoded, and forwarded as classified: an escaped ``:`` or ``/`` cannot
        # make a generate call look like a read-only listing.
        canonical = canonical_path(exchange.upstream_path)
        endpoint = (
            None
            if canonical is None
            else resolve_endpoint(provider.family, exchange.method, canonical)
        )
        if endpoint is None:
            raise PolicyBlock(
                f"Haetae does not forward {exchange.method} {exchange.upstream_path[:80]} "
                f"to '{provider.id}': only inspected APIs and read-only listings pass "
                "through the gateway",
                rule_ids=[UNINSPECTED_ENDPOINT_RULE],
            )
        exchange.upstream_path = canonical or exchange.upstream_path
        exchange.endpoint = endpoint
        if provider.base_url is None:
            raise ProviderNotReady(
                f"provider '{provider.id}' has no base URL configured; "
                f"set providers.{provider.id}.base_url"
            )
