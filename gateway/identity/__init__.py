"""Identify: who is calling (gateway key, company token, trusted proxy headers, or nobody).

See docs/identity.md. One module per method: ``api_keys``, ``oidc`` (with
``jwks``), ``trusted_headers``; ``credentials`` finds what the caller presented,
``application`` names the client tool, and ``stage`` puts them together.
"""

from gateway.identity.stage import Admit, Identify, IdentityCheck
from gateway.identity.subject import Subject

__all__ = ["Admit", "Identify", "IdentityCheck", "Subject"]
