"""Bearer-token check for the admin API.

Tokens come from an environment variable or a file (one per line, optionally
``name:token`` so that audit trails can say *who* changed a policy). With no
token configured the admin API answers 503 rather than being open: an unset
secret must never mean "anyone may change the policy".

Each token has a role (``roles.py``): ``admin.roles[name]``, else the name
itself when it is a role's name (a token called ``auditor`` is an auditor, not
an admin), else ``admin.default_role``. What a role may do is checked per
route by ``roles.requires``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, cast, get_args

from fastapi import Depends, HTTPException, Request

from gateway.errors import ConfigError
from gateway.settings import AdminRole, AdminSettings

__all__ = [
    "AdminAuth",
    "AdminPrincipal",
    "CurrentPrincipal",
    "current_principal",
    "load_admin_tokens",
    "log_admin_roles",
    "role_of",
]

log = logging.getLogger("haetae.admin")


@dataclass(frozen=True, slots=True)
class AdminPrincipal:
    """Who made an admin call: the token's name (never the token) and its role."""

    name: str
    role: AdminRole = "admin"


def role_of(name: str, roles: Mapping[str, AdminRole], default: AdminRole) -> AdminRole:
    """``roles[name]``, else ``name`` if it is a role, else ``default``."""
    if name in roles:
        return roles[name]
    if name in get_args(AdminRole):
        return cast(AdminRole, name)
    return default


def load_admin_tokens(*, env: str, file: Path | None, environ: Mapping[str, str]) -> dict[str, str]:
    """Return ``{sha256(token): name}``; the tokens themselves are not kept."""
    lines: list[str] = []
    if file is not None:
        try:
            lines += file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read admin token file {file}: {exc.strerror}") from None
    if environ.get(env):
        lines += environ[env].split(",")
    tokens: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, token = line.partition(":")
        if not sep:
            name, token = f"admin-{number}", line
        if len(token) < 16:
            raise ConfigError(f"admin token '{name}' is shorter than 16 characters")
        tokens[_digest(token)] = name.strip()
    return tokens


class AdminAuth:
    """A FastAPI dependency: ``Depends(auth)`` yields the calling principal."""

    def __init__(
        self,
        token_digests: Mapping[str, str],
        roles: Mapping[str, AdminRole] | None = None,
        default_role: AdminRole = "admin",
    ) -> None:
        self._digests = self._principals(token_digests, roles, default_role)

    @staticmethod
    def _principals(
        token_digests: Mapping[str, str],
        roles: Mapping[str, AdminRole] | None,
        default_role: AdminRole,
    ) -> dict[str, AdminPrincipal]:
        return {
            digest: AdminPrincipal(name, role_of(name, roles or {}, default_role))
            for digest, name in token_digests.items()
        }

    def replace(
        self,
        token_digests: Mapping[str, str],
        roles: Mapping[str, AdminRole] | None = None,
        default_role: AdminRole = "admin",
    ) -> bool:
        """Take new tokens and roles (a settings reload) in one step; True if anything changed."""
        new = self._principals(token_digests, roles, default_role)
        changed = new != self._digests
        self._digests = new  # one assignment: a call sees the old set or the new, never a mix
        return changed

    @property
    def principals(self) -> list[AdminPrincipal]:
        """Every configured token's name and role (for the start-up log)."""
        return list(self._digests.values())

    async def __call__(self, request: Request) -> AdminPrincipal:
        if not self._digests:
            raise HTTPException(503, "the admin API is disabled: no admin token is configured")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(
                401,
                "admin API needs 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        digest = _digest(token.strip())
        for known, principal in self._digests.items():
            if hmac.compare_digest(known, digest):
                request.state.admin_principal = principal
                return principal
        raise HTTPException(
            401, "admin token not recognised", headers={"WWW-Authenticate": "Bearer"}
        )


def log_admin_roles(auth: AdminAuth, settings: AdminSettings) -> None:
    """Say at start-up which role each token got, and warn of an implicit ``admin``."""
    for principal in auth.principals:
        implicit = principal.name not in settings.roles and principal.name != principal.role
        log.info("admin token '%s': role %s", principal.name, principal.role)
        if implicit and principal.role == "admin":
            log.warning(
                "admin token '%s' is an admin by admin.default_role; give it the role it "
                "needs in admin.roles (see docs/security.md)",
                principal.name,
            )
    for name in sorted(set(settings.roles) - {p.name for p in auth.principals}):
        log.warning("admin.roles names '%s', but no admin token has that name", name)


def current_principal(request: Request) -> AdminPrincipal:
    """Route dependency: the principal the app-wide token check admitted."""
    principal: AdminPrincipal = request.state.admin_principal
    return principal


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: Annotate a route parameter with this to receive the calling principal.
CurrentPrincipal = Annotated[AdminPrincipal, Depends(current_principal)]
