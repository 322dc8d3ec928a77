"""Audit records of what administrators did, chained beside the decisions they govern.

An admin action (a policy upload, an approval, an activation, a key issued, a
search of this very log) is one ``AuditRecord`` with ``decision: "admin"``:
the same store, the same chain, the same verification as a request's record,
so an insider who changes the policy or reads the log leaves a trace that
cannot be dropped without breaking the chain.

The fields a request record uses for the caller hold the administrator:
``user`` is the principal's name (a token's name, or the operating-system
user for a CLI action), ``client_address`` where the call came from,
``method`` / ``path`` the HTTP call (``CLI`` / the command for the CLI),
``status`` the HTTP status answered, ``policy_version`` the version acted on.
``details`` says the rest, always with these keys::

    {"action": "policy.activate", "role": "policy_approver",
     "target": {"version": "…"}, "outcome": "ok" | "denied" | "refused" | "failed"}

plus what an action adds (an audit search's ``query``; an activation's
``four_eyes`` and ``approvals``). Never a token, a policy's text, or a record
an auditor read: the query, not the results.
"""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Mapping
from typing import Any, Literal

from gateway.audit.record import AuditRecord

__all__ = ["ADMIN_DECISION", "Outcome", "admin_record", "cli_actor", "cli_admin_record"]

#: the ``decision`` of an administrative record
ADMIN_DECISION = "admin"

Outcome = Literal["ok", "denied", "refused", "failed"]


def admin_record(
    *,
    actor: str,
    role: str,
    action: str,
    outcome: Outcome,
    method: str,
    path: str,
    target: Mapping[str, str] | None = None,
    status: int | None = None,
    client_address: str | None = None,
    error: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """One admin action as an audit record; ``error`` is a kind, never a message."""
    from gateway.exchange import new_request_id

    details: dict[str, Any] = {
        "action": action,
        "role": role,
        "target": dict(target or {}),
        "outcome": outcome,
    }
    details.update(extra or {})
    return AuditRecord(
        record_id=new_request_id(),
        time=time.time(),
        request_id=new_request_id(),
        client_address=client_address,
        user=actor,
        provider=None,
        api=None,
        model=None,
        method=method,
        path=path,
        decision=ADMIN_DECISION,
        status=status,
        policy_version=(target or {}).get("version"),
        error=error,
        details=details,
    )


def cli_actor() -> str:
    """Who runs a CLI command: the operating-system user and the machine, ``kim@host``."""
    return f"{getpass.getuser()}@{socket.gethostname()}"


def cli_admin_record(
    action: str,
    command: str,
    *,
    target: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """An admin record of a CLI command, which reaches the store directly.

    ``role`` is ``local``: whoever can read the configuration and the store, not
    an admin-API token. ``user`` is ``user@host``; ``details.host`` repeats the
    machine so a search can filter on it.
    """
    return admin_record(
        actor=cli_actor(),
        role="local",
        action=action,
        outcome="ok",
        method="CLI",
        path=command,
        target=target,
        extra={"host": socket.gethostname(), **(extra or {})},
    )
