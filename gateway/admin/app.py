"""Assembles the admin FastAPI application from the routers each area provides."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from gateway.admin.auth import AdminAuth
from gateway.admin.journal import (
    AdminCall,
    AdminJournal,
    BilingualHTTPException,
    Requires,
    requires,
)
from gateway.errors import ConfigError
from gateway.types import ASGIApp, Receive, Scope, Send

__all__ = ["build_admin_app"]


def build_admin_app(
    routers: Iterable[APIRouter], auth: AdminAuth, journal: AdminJournal
) -> FastAPI:
    """Routers are mounted under ``/admin/v1`` behind the token check; one error shape.

    Every route must declare its action (``requires``): one that does not is a
    programming error, refused here rather than served to every role.
    """
    app = FastAPI(
        title="Haetae admin API",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(auth)],
    )
    app.state.admin_journal = journal
    whoami = APIRouter()

    @whoami.get("/whoami")
    async def _whoami(call: Annotated[AdminCall, requires("policy.read")]) -> dict[str, str]:
        return {"name": call.principal.name, "role": call.principal.role}

    for router in [whoami, *routers]:
        for route in router.routes:  # before including: the app may hold them lazily
            if isinstance(route, APIRoute) and not _declares_action(route.dependant):
                raise ConfigError(
                    f"admin route /admin/v1{route.path} declares no action (requires(...))"
                )
        app.include_router(router, prefix="/admin/v1")

    @app.exception_handler(HTTPException)
    async def _error(_request: Request, exc: HTTPException) -> JSONResponse:
        return _error_response(exc)

    app.add_middleware(_TokenGate, auth=auth)
    return app


def _declares_action(dependant: Dependant) -> bool:
    return any(
        isinstance(dep.call, Requires) or _declares_action(dep) for dep in dependant.dependencies
    )


class _TokenGate:
    """The token check before routing, so that without a token even an unknown path or
    a wrong method answers 401, not 404/405 that would map the API for a stranger."""

    def __init__(self, app: ASGIApp, auth: AdminAuth) -> None:
        self._app = app
        self._auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                await self._auth(Request(scope))
            except HTTPException as exc:
                await _error_response(exc)(scope, receive, send)
                return
        await self._app(scope, receive, send)


def _error_response(exc: HTTPException) -> JSONResponse:
    error: dict[str, Any] = {"status": exc.status_code, "message": exc.detail}
    if isinstance(exc, BilingualHTTPException):
        error["message_ko"] = exc.message_ko
    return JSONResponse({"error": error}, exc.status_code, headers=exc.headers)
