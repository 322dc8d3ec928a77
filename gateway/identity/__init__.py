"""Identify: who is calling (gateway key, company token, trusted proxy headers, or nobody).

See docs/identity.md. One module per method: ``api_keys``, ``oidc`` (with
``jwks``), ``trusted_headers``; ``credentials`` finds what the caller presented,
``application`` names the client tool, and ``stage`` puts them together. The
result, a ``Subject``, is defined in ``gateway.subject`` so that the policy can
read it without importing the stages (and jwt, httpx with them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.exchange import IdentityCheck
    from gateway.identity.stage import Admit, Identify
    from gateway.subject import Subject

__all__ = ["Admit", "Identify", "IdentityCheck", "Subject"]

__getattr__ = lazy_exports(
    __name__,
    {
        "Admit": "gateway.identity.stage",
        "Identify": "gateway.identity.stage",
        "IdentityCheck": "gateway.exchange",
        "Subject": "gateway.subject",
    },
)
