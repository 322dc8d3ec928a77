"""Where a provider's host really is: the countries of the addresses it resolves to.

The policy's ``endpoint.ip_country`` test needs this for every request, so it is
resolved with the event loop's own ``getaddrinfo`` (on the loop's executor,
never blocking the loop), bounded by a timeout, and cached per host for a TTL.
Concurrent requests for one host share one lookup. Countries come from an
offline IP-to-country table (``iptocc``); nothing is fetched at run time.

The answer is a tuple of values a policy can match: ISO country codes, plus

- ``private`` for loopback, private and link-local addresses (an in-house model),
- ``unknown`` for a public address the table does not place,
- ``unresolved`` when the host cannot be resolved in time.

An unresolved host matches no country, so a rule that allows only some
countries refuses it; the shipped policies also block ``unresolved`` outright.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import iptocc

__all__ = ["PRIVATE", "UNKNOWN", "UNRESOLVED", "EndpointResolver", "countries_of"]

log = logging.getLogger("haetae.geo")

UNRESOLVED = "unresolved"
UNKNOWN = "unknown"
PRIVATE = "private"

Lookup = Callable[[str], Awaitable[list[str]]]


def countries_of(addresses: list[str]) -> tuple[str, ...]:
    """Each address's country (or ``private`` / ``unknown``), deduplicated in order."""
    found: dict[str, None] = {}
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            found[UNKNOWN] = None
            continue
        if address.is_private or address.is_loopback or address.is_link_local:
            found[PRIVATE] = None
            continue
        code = iptocc.country_code(str(address))
        found[code.upper() if code else UNKNOWN] = None
    return tuple(found) or (UNRESOLVED,)


class EndpointResolver:
    """Host → countries, cached; never raises (failures are ``unresolved``)."""

    def __init__(
        self,
        ttl: float = 300.0,
        failure_ttl: float = 10.0,
        timeout: float = 2.0,
        lookup: Lookup | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._timeout = timeout
        self._lookup = lookup or _getaddrinfo
        self._clock = clock
        self._cache: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._pending: dict[str, asyncio.Future[tuple[str, ...]]] = {}

    async def countries(self, host: str) -> tuple[str, ...]:
        cached = self._cache.get(host)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        pending = self._pending.get(host)
        if pending is None:
            pending = asyncio.ensure_future(self._resolve(host))
            self._pending[host] = pending
            pending.add_done_callback(lambda _: self._pending.pop(host, None))
        # shield: one caller leaving must not cancel the lookup the others await
        return await asyncio.shield(pending)

    async def _resolve(self, host: str) -> tuple[str, ...]:
        try:
            ipaddress.ip_address(host)
            addresses = [host]  # a literal address needs no lookup
        except ValueError:
            try:
                addresses = await asyncio.wait_for(self._lookup(host), self._timeout)
            except (OSError, TimeoutError, UnicodeError) as exc:
                log.warning("cannot resolve %s: %s", host, type(exc).__name__)
                addresses = []
        result = countries_of(addresses) if addresses else (UNRESOLVED,)
        ttl = self._failure_ttl if result == (UNRESOLVED,) else self._ttl
        self._cache[host] = (self._clock() + ttl, result)
        return result


async def _getaddrinfo(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    infos: list[Any] = await loop.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]
