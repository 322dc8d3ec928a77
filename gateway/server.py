"""Running the gateway under uvicorn."""

from __future__ import annotations

import importlib.util
import logging

import uvicorn

from gateway.app import build_app
from gateway.settings import Settings

__all__ = ["run_gateway", "uvicorn_config"]


def uvicorn_config(app: object, host: str, port: int, log_level: str = "warning") -> uvicorn.Config:
    """uvloop and httptools where available; no access log, since URLs can carry keys."""
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        lifespan="on",
        access_log=False,
        log_level=log_level,
        server_header=False,
        # Who the caller is comes from the identify stage, which trusts only
        # configured proxies; uvicorn's X-Forwarded-For rewriting would trust any.
        proxy_headers=False,
        # SDK clients pool connections for a while; closing idle ones after
        # uvicorn's default 5 s makes a reused connection race our close.
        timeout_keep_alive=75,
    )


def run_gateway(settings: Settings) -> None:
    app = build_app(settings)
    logging.getLogger("haetae").info(
        "listening on http://%s:%d", settings.listen.host, settings.listen.port
    )
    uvicorn.Server(
        uvicorn_config(app, settings.listen.host, settings.listen.port, settings.log_level)
    ).run()
