"""Every admin call is checked against its role and written to the audit chain.

A route declares its action with a parameter annotated ``requires("…")``:

    @router.post("/{version}/activate")
    async def activate(version: str, call: Annotated[AdminCall, requires("policy.activate")]):
        async with call.recorded(target={"version": version}):
            ...

``Requires`` admits the call only if the principal's role grants the action
(otherwise: a ``denied`` record, then 403 in English and Korean).
``call.recorded`` writes one record when the block ends — ``ok``, or
``refused`` / ``failed`` with the status of the error that left it — and
waits until the store has it, before the response is sent: what an auditor
searched is on record before the results leave. It fails closed: with the
audit store unhealthy, nothing is changed or read (503).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, HTTPException, Request

from gateway.admin.auth import CONSOLE_PRINCIPAL, AdminPrincipal
from gateway.admin.roles import Action, denial_ko, may
from gateway.audit.admin_event import Outcome, admin_record
from gateway.audit.record import AuditRecord
from gateway.audit.store import AuditStore

__all__ = ["AdminCall", "AdminJournal", "BilingualHTTPException", "Requires", "requires"]

log = logging.getLogger("haetae.admin")


class BilingualHTTPException(HTTPException):
    """An error the admin API answers with ``message`` (English) and ``message_ko``."""

    def __init__(self, status_code: int, message: str, message_ko: str) -> None:
        super().__init__(status_code, message)
        self.message_ko = message_ko


class AdminJournal:
    """Writes admin records into the audit store and waits for them to be durable."""

    def __init__(self, store: AuditStore, flush_timeout: float = 5.0) -> None:
        self._store = store
        self._timeout = flush_timeout

    def require_healthy(self) -> None:
        if not self._store.healthy:
            raise BilingualHTTPException(
                503,
                "the audit store is failing: admin actions are refused until it records again",
                "감사 저장소에 기록할 수 없어 관리 작업을 거부합니다. "
                "저장소가 복구되면 다시 시도하세요.",
            )

    async def write(
        self, call: AdminCall, outcome: Outcome, status: int, error: str | None
    ) -> None:
        await self.write_record(
            admin_record(
                actor=call.principal.name,
                role=call.principal.role,
                action=call.action,
                outcome=outcome,
                method=call.method,
                path=call.path,
                target=call.target,
                status=status,
                client_address=call.client,
                error=error,
                extra=call.details,
            )
        )

    async def write_record(self, record: AuditRecord) -> None:
        """Append one admin record and wait until the store has it (503 if it cannot)."""
        self.require_healthy()
        try:
            self._store.append(record)
            await self._store.flush(self._timeout)
        except Exception as exc:
            log.error("admin record not written: %s", type(exc).__name__)
            self.require_healthy()
            raise BilingualHTTPException(
                503,
                f"the admin action's audit record could not be confirmed ({type(exc).__name__})",
                "관리 작업의 감사 기록을 확인할 수 없습니다.",
            ) from None


@dataclass(slots=True)
class AdminCall:
    """One admitted admin call: who, which action, and what its record will say."""

    journal: AdminJournal
    principal: AdminPrincipal
    action: Action
    method: str
    path: str
    client: str | None
    target: dict[str, str] = field(default_factory=dict)
    #: facts the record adds under ``details`` (a search's query, an activation's approvals)
    details: dict[str, Any] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def recorded(self, target: Mapping[str, str] | None = None) -> AsyncIterator[AdminCall]:
        """Run the block, then record its outcome; refuse up front if nothing can be recorded."""
        self.target.update(target or {})
        self.journal.require_healthy()
        try:
            yield self
        except HTTPException as exc:
            outcome: Outcome = "refused" if exc.status_code < 500 else "failed"
            await self.journal.write(self, outcome, exc.status_code, f"http_{exc.status_code}")
            raise
        except Exception as exc:
            await self.journal.write(self, "failed", 500, type(exc).__name__)
            raise
        await self.journal.write(self, "ok", 200, None)


class Requires:
    """A route dependency: admit the call if the caller's role grants ``action``."""

    def __init__(self, action: Action) -> None:
        self.action = action

    async def __call__(self, request: Request) -> AdminCall:
        principal: AdminPrincipal = request.state.admin_principal
        journal: AdminJournal = request.app.state.admin_journal
        call = AdminCall(
            journal=journal,
            principal=principal,
            action=self.action,
            method=request.method,
            path=request.url.path,
            client=request.client.host if request.client else None,
            target={k: str(v) for k, v in request.path_params.items()},
        )
        if CONSOLE_PRINCIPAL in request.scope:
            call.details["via"] = "console"  # a signed-in person, not a token
        if not may(principal.role, self.action):
            await journal.write(call, "denied", 403, "role")
            raise BilingualHTTPException(
                403,
                f"the role '{principal.role}' of '{principal.name}' does not allow {self.action}",
                denial_ko(principal.role, self.action),
            )
        return call


def requires(action: Action) -> Any:
    """``Depends(Requires(action))``, for ``Annotated[AdminCall, requires("…")]``."""
    return Depends(Requires(action))
