"""What every console handler is given: the sessions, the admin API, the journal, health.

``Console.record`` writes the console's own events (sign-in, sign-out) as admin
records; everything else a person does is recorded by the admin API it calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from starlette.requests import Request

from gateway.admin.auth import AdminAuth, AdminPrincipal
from gateway.admin.journal import AdminJournal
from gateway.audit.admin_event import Outcome, admin_record
from gateway.console.admin_client import AdminClient
from gateway.console.oidc import OidcClient
from gateway.console.sessions import Sessions
from gateway.console.throttle import SignInThrottle
from gateway.console.web import Page
from gateway.settings import ConsoleSettings

__all__ = ["Console"]


@dataclass(slots=True)
class Console:
    """The console's collaborators, shared by every handler."""

    settings: ConsoleSettings
    sessions: Sessions
    api: AdminClient
    tokens: AdminAuth
    journal: AdminJournal
    oidc: OidcClient | None
    #: what /readyz reports (audit store, spool, Redis, policy)
    health: Callable[[], Mapping[str, Any]]
    review_zone: str
    env: Environment
    throttle: SignInThrottle
    #: every replica's health as published through Redis (``ReplicaBeacon.report``)
    replicas: Callable[[], Awaitable[dict[str, Any]]] | None = None

    async def page(self, request: Request) -> Page:
        return await Page.build(request, self.env, self.settings, self.sessions, self.review_zone)

    async def record(
        self,
        page: Page,
        who: AdminPrincipal | tuple[str, str] | None,
        action: str,
        outcome: Outcome,
        status: int,
        **extra: Any,
    ) -> None:
        """A console event (sign-in, sign-out) as an admin record in the audit chain.

        ``who``: the principal, a (name, role) pair, or None when nobody is known.
        """
        name, role = (
            (who.name, who.role) if isinstance(who, AdminPrincipal) else who or (None, None)
        )
        await self.journal.write_record(
            admin_record(
                actor=name or "unknown",
                role=role or "none",
                action=action,
                outcome=outcome,
                method=page.request.method,
                path=page.request.url.path,
                status=status,
                client_address=page.client,
                error=None if outcome == "ok" else str(extra.get("reason", outcome)),
                extra={"via": "console", **extra},
            )
        )
