"""The subject: who is calling, as the policy and the audit record see it.

``gateway.identity`` establishes it; the policy, the exchange, dry runs and the
audit trail only read it. It lives below all of them so that none has to import
the identity stages (which act on the whole exchange) to name it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Subject"]


@dataclass(frozen=True, slots=True)
class Subject:
    """Who is calling. ``method`` is how the user was established; None means anonymous."""

    user: str | None = None
    groups: tuple[str, ...] = ()
    address: str | None = None
    application: str | None = None  # the client tool, e.g. from a header or User-Agent
    #: "api_key" | "jwt" | "client_certificate" | "header" | None (anonymous)
    method: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.method is None
