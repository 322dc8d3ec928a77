"""Assembles the admin FastAPI application from the routers each area provides."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from gateway.admin.auth import AdminAuth, CurrentPrincipal

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
        body = {"error": {"status": exc.status_code, "message": exc.detail}}
        return JSONResponse(body, exc.status_code, headers=exc.headers)

    return app
