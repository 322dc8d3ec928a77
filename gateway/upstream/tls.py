"""Which certificates the upstream clients trust: the public roots, plus ``forward.ca_bundle``.

Egress through a TLS-inspecting corporate proxy presents certificates signed by
the company's CA; an in-house model server may use a private CA. Both clients
(aiohttp and httpx) get the same context, built once at start-up.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi

from gateway.errors import ConfigError

__all__ = ["upstream_ssl_context"]


def upstream_ssl_context(ca_bundle: Path | None) -> ssl.SSLContext | None:
    """The public roots (certifi's, httpx's default; certifi comes with httpx) plus
    ``ca_bundle``; None without a bundle: each client keeps its own default."""
    if ca_bundle is None:
        return None
    context = ssl.create_default_context(cafile=certifi.where())
    try:
        context.load_verify_locations(cafile=str(ca_bundle))
    except FileNotFoundError:
        raise ConfigError(f"forward.ca_bundle: {ca_bundle} does not exist") from None
    except (ssl.SSLError, ValueError, OSError):
        raise ConfigError(
            f"forward.ca_bundle: {ca_bundle} holds no PEM certificate that can be read"
        ) from None
    return context
