"""Assembles the admin FastAPI application from the routers each area provides."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from gateway.admin.auth import AdminAuth, CurrentPrincipal
from gateway.types import ASGIApp, Receive, Scope, Send

__all__ = ["build_admin_app"]


def build_admin_app(routers: Iterable[APIRouter], auth: AdminAuth) -> FastAPI:
    """Routers are mounted under ``/admin/v1`` behind the token check; one error shape."""
    app = FastAPI(
        title="Haetae admin API",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(auth)],
    )
    whoami = APIRouter()

    @whoami.get("/whoami")
    async def _whoami(principal: CurrentPrincipal) -> dict[str, str]:
        return {"name": principal.name}

    for router in [whoami, *routers]:
        app.include_router(router, prefix="/admin/v1")

    @app.exception_handler(HTTPException)
    async def _error(_request: Request, exc: HTTPException) -> JSONResponse:
        return _error_response(exc)

    app.add_middleware(_TokenGate, auth=auth)
    return app


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
    body = {"error": {"status": exc.status_code, "message": exc.detail}}
    return JSONResponse(body, exc.status_code, headers=exc.headers)
