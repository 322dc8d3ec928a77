"""Bearer-token check for the admin API.

Tokens come from an environment variable or a file (one per line, optionally
``name:token`` so that audit trails can say *who* changed a policy). With no
token configured the admin API answers 503 rather than being open: an unset
secret must never mean "anyone may change the policy". Roles arrive later; the
check lives here so that every route already goes through it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from gateway.errors import ConfigError

__all__ = [
    "AdminAuth",
    "AdminPrincipal",
    "CurrentPrincipal",
    "current_principal",
    "load_admin_tokens",
]


@dataclass(frozen=True, slots=True)
class AdminPrincipal:
    """Who made an admin call: the token's name, never the token."""

    name: str


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

    def __init__(self, token_digests: Mapping[str, str]) -> None:
        self._digests = dict(token_digests)

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
        for known, name in self._digests.items():
            if hmac.compare_digest(known, digest):
                principal = AdminPrincipal(name)
                request.state.admin_principal = principal
                return principal
        raise HTTPException(
            401, "admin token not recognised", headers={"WWW-Authenticate": "Bearer"}
        )


def current_principal(request: Request) -> AdminPrincipal:
    """Route dependency: the principal the app-wide token check admitted."""
    principal: AdminPrincipal = request.state.admin_principal
    return principal


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: Annotate a route parameter with this to receive the calling principal.
CurrentPrincipal = Annotated[AdminPrincipal, Depends(current_principal)]
