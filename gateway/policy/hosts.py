"""The host a provider's requests go to, as policies match it."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

__all__ = ["upstream_host"]


@lru_cache(maxsize=256)  # base URLs come from the catalog and settings: a small fixed set
def upstream_host(base_url: str | None) -> str | None:
    """``https://api.openai.com/v1`` → ``api.openai.com`` (lower case); None if there is none."""
    if not base_url:
        return None
    try:
        host = urlsplit(base_url).hostname
    except ValueError:
        return None
    return host.lower() if host else None
