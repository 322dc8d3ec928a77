"""Where a proxied connection goes: an AI API Haetae inspects, an AI web app, or elsewhere.

AI APIs are the active policy's providers (the catalog's and any a policy declares),
matched by their ``hosts``; web apps come from ``providers/webapps.yaml``. The
answer for a host is cached until the active policy's providers change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from gateway.providers.catalog import Provider, host_allowed
from gateway.providers.webapps import WebApp, load_web_apps

__all__ = ["Destination", "Destinations"]

Kind = Literal["api", "web_app", "other"]

_CACHE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Destination:
    kind: Kind
    provider: Provider | None = None
    web_app: WebApp | None = None


_OTHER = Destination("other")


class Destinations:
    def __init__(self, providers: Callable[[], Mapping[str, Provider]]) -> None:
        self._providers = providers
        self._web_apps = load_web_apps()
        self._seen: Mapping[str, Provider] | None = None
        self._cache: dict[str, Destination] = {}

    def classify(self, host: str) -> Destination:
        """What ``host`` (lower-case, without port) is, under the active policy."""
        providers = self._providers()
        if providers is not self._seen:  # a policy change can add or correct hosts
            self._seen = providers
            self._cache.clear()
        found = self._cache.get(host)
        if found is None:
            found = self._lookup(host, providers)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[host] = found
        return found

    def _lookup(self, host: str, providers: Mapping[str, Provider]) -> Destination:
        for provider in providers.values():
            if host_allowed(host, provider.entry.hosts):
                return Destination("api", provider=provider)
        for app in self._web_apps:
            if host_allowed(host, app.hosts):
                return Destination("web_app", web_app=app)
        return _OTHER

    def proxied_hosts(self) -> list[str]:
        """Host globs the PAC file sends to the proxy: every AI API and web app."""
        hosts: list[str] = []
        for provider in self._providers().values():
            hosts.extend(provider.entry.hosts)
        for app in self._web_apps:
            hosts.extend(app.hosts)
        bare = (host.rsplit(":", 1)[0] for host in hosts)
        return sorted(set(bare))
