"""Identity headers from the corporate proxy, believed only from the proxy's addresses.

A proxy that has already authenticated the employee (Kerberos, SSO) passes the
result on as ``X-Forwarded-User`` and ``X-Forwarded-Groups``. Anyone can type
those headers, so they count only when the TCP peer is inside a configured CIDR;
from anywhere else they are removed, logged by name (never by value) and noted
on the exchange so the audit trail shows the attempt. They never go upstream:
the provider has no business knowing employees' names.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.settings import TrustedHeaderSettings

if TYPE_CHECKING:
    from gateway.exchange import Exchange

__all__ = ["AddressSet", "HeaderIdentity", "TrustedHeaders"]

log = logging.getLogger("haetae.identity")

_MAX_NAME = 200
_MAX_GROUPS = 256
_MAX_REMEMBERED = 4096


class AddressSet:
    """Whether an address lies in configured CIDRs, with the verdicts remembered."""

    def __init__(self, cidrs: list[str]) -> None:
        self._networks = tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)
        self._verdicts: dict[str, bool] = {}

    def __contains__(self, address: str | None) -> bool:
        if address is None or not self._networks:
            return False
        known = self._verdicts.get(address)
        if known is None:
            # Parsing an address costs microseconds and the peers are mostly the
            # same few proxies: remember the verdicts, within a bound.
            if len(self._verdicts) >= _MAX_REMEMBERED:
                self._verdicts.clear()
            known = self._verdicts[address] = self._inside(address)
        return known

    def _inside(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:10.0.0.1 is 10.0.0.1
            ip = ip.ipv4_mapped
        return any(ip in network for network in self._networks)


@dataclass(frozen=True, slots=True)
class HeaderIdentity:
    user: str
    groups: tuple[str, ...]


class TrustedHeaders:
    def __init__(self, settings: TrustedHeaderSettings) -> None:
        self._proxies = AddressSet(settings.proxies)
        self._user = settings.user.lower().encode("latin-1")
        self._groups = settings.groups.lower().encode("latin-1")
        self._names = {self._user: settings.user, self._groups: settings.groups}
        self._separator = settings.groups_separator

    def take(self, exchange: Exchange) -> HeaderIdentity | None:
        """The proxy's identity, if a trusted proxy sent one; the headers are removed."""
        for name, _ in exchange.headers:
            if name == self._user or name == self._groups:
                break
        else:
            return None  # the common case, without allocating
        user: str | None = None
        groups: list[str] = []
        present: list[str] = []
        kept: list[tuple[bytes, bytes]] = []
        for name, raw in exchange.headers:
            if name == self._user:
                user = raw.decode("utf-8", errors="replace").strip()
            elif name == self._groups:
                text = raw.decode("utf-8", errors="replace")
                groups.extend(g.strip() for g in text.split(self._separator))
            else:
                kept.append((name, raw))
                continue
            if self._names[name] not in present:
                present.append(self._names[name])
        exchange.headers[:] = kept
        if not self._trusted(exchange.client_address):
            exchange.ignored_identity_headers = tuple(present)
            log.warning(
                "identity header(s) %s ignored: sent by %s, which is not a trusted proxy "
                "(identity.trusted_headers.proxies) request_id=%s",
                ", ".join(present),
                exchange.client_address or "an unknown address",
                exchange.request_id,
            )
            return None
        if not user or len(user) > _MAX_NAME or not user.isprintable():
            return None  # a proxy that sends groups without a user names nobody
        clean = [g for g in groups if g and len(g) <= _MAX_NAME and g.isprintable()]
        return HeaderIdentity(user, tuple(dict.fromkeys(clean[:_MAX_GROUPS])))

    def _trusted(self, address: str | None) -> bool:
        return address in self._proxies
