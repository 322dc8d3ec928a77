"""The outbound proxy: which upstream requests go through it, and how it is addressed.

Companies often allow the internet only through a forward proxy; the gateway then
reaches providers through it as any other client would (absolute-form requests for
``http://`` upstreams, ``CONNECT`` tunnels for ``https://``). Hosts on ``no_proxy``
(an in-house model server, say) are reached directly. The proxy's credentials,
when its URL carries them, are never logged or shown.
"""

from __future__ import annotations

import base64
import fnmatch
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = ["OutboundProxy", "redact_proxy_url"]


@dataclass(frozen=True, slots=True)
class OutboundProxy:
    url: str  # without credentials
    username: str | None
    password: str | None
    no_proxy: tuple[str, ...]

    @classmethod
    def from_settings(cls, url: str | None, no_proxy: list[str]) -> OutboundProxy | None:
        if url is None:
            return None
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        bare = f"{parts.scheme}://{netloc}"
        username = unquote(parts.username) if parts.username is not None else None
        password = unquote(parts.password) if parts.password is not None else None
        return cls(bare, username, password, tuple(p.lower() for p in no_proxy))

    def basic_authorization(self) -> str:
        """The ``Proxy-Authorization`` value for the URL's credentials."""
        pair = f"{self.username or ''}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def applies_to(self, url: str) -> bool:
        """False for hosts matching a ``no_proxy`` glob (``*.corp.example``, ``10.*``)."""
        host = (urlsplit(url).hostname or "").lower()
        return not any(fnmatch.fnmatchcase(host, pattern) for pattern in self.no_proxy)


def redact_proxy_url(url: str) -> str:
    """The proxy URL as it may appear in messages: credentials replaced."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://***@{host}{port}"
