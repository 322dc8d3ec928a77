"""Running the gateway under uvicorn, in one process or several workers.

With several workers uvicorn imports the application in each process, so the
validated settings travel to them as JSON in an environment variable and every
worker builds its own app (policy, detector, pools) from exactly those.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import ssl
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import uvicorn

from gateway.app import build_app
from gateway.settings import ListenSettings, Settings, load_settings
from gateway.telemetry import Telemetry, choose_exporters, configure_logging

__all__ = [
    "SettingsSource",
    "app_from_environment",
    "http_protocol",
    "run_gateway",
    "tls_options",
    "uvicorn_config",
]

_SETTINGS_VARIABLE = "HAETAE_WORKER_SETTINGS_JSON"
_SOURCE_VARIABLE = "HAETAE_WORKER_SETTINGS_SOURCE"


def uvicorn_config(
    app: object, host: str, port: int, log_level: str = "warning", **extra: Any
) -> uvicorn.Config:
    """uvloop and httptools where available; no access log, since URLs can carry keys.

    The httptools protocol is the gateway's own, which keeps request trailers out of
    the headers (``gateway/trailers.py``); without httptools, chunked bodies are refused.
    """
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http=http_protocol(),
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
        **extra,
    )


def tls_options(listen: ListenSettings) -> dict[str, Any]:
    """uvicorn's ``ssl_*`` options for ``listen.tls_*``; empty for plain HTTP."""
    if listen.tls_cert is None or listen.tls_key is None:
        return {}
    options: dict[str, Any] = {
        "ssl_certfile": str(listen.tls_cert),
        "ssl_keyfile": str(listen.tls_key),
    }
    if listen.tls_client_ca is not None:
        options["ssl_ca_certs"] = str(listen.tls_client_ca)
        options["ssl_cert_reqs"] = (
            ssl.CERT_REQUIRED if listen.tls_client_required else ssl.CERT_OPTIONAL
        )
    return options


def http_protocol() -> type[asyncio.Protocol] | str:
    """The gateway's HTTP protocol class for uvicorn, or ``"h11"`` without httptools."""
    if importlib.util.find_spec("httptools") is None:
        return "h11"
    from gateway.http_protocol import TrailerSeparatingProtocol

    return TrailerSeparatingProtocol


#: How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
#: Large requests are parsed and scanned on worker threads; while one runs, the event loop
#: waits up to this long every time it needs the GIL back, several times per request, so
#: with 5 ms one attacker's scan added tens of milliseconds to every small request.
GIL_SWITCH_INTERVAL = 0.0005


@dataclass(frozen=True, slots=True)
class SettingsSource:
    """A config file and the command line's overrides: how to read the settings again."""

    config: Path | None
    overrides: dict[str, Any]

    def load(self) -> Settings:
        return load_settings(self.config, overrides=self.overrides)

    @classmethod
    def from_json(cls, raw: str) -> SettingsSource:
        data = orjson.loads(raw)
        return cls(Path(data["config"]) if data["config"] else None, data["overrides"])


def run_gateway(settings: Settings, source: SettingsSource | None = None) -> None:
    """Serve; ``source`` is where ``settings`` came from, read again on a settings reload."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    listen = settings.listen
    log = logging.getLogger("haetae")
    if listen.workers == 1:
        app = build_app(settings, reload_settings=source.load if source else None)
        app.start_scan_workers()
        tls = tls_options(listen)
        scheme = "https" if tls else "http"
        log.info("listening on %s://%s:%d", scheme, listen.host, listen.port)
        config = uvicorn_config(
            app, listen.host, listen.port, settings.log_level, log_config=None, **tls
        )
        uvicorn.Server(config).run()
        return
    # Fail here, once and clearly, rather than in every worker; the workers export
    # telemetry, this supervisor has none to export.
    if choose_exporters(os.environ, prometheus=settings.telemetry.prometheus).prometheus:
        log.warning("each worker serves its own /metrics; with workers > 1 prefer OTLP")
    build_app(settings, telemetry=Telemetry())
    os.environ[_SETTINGS_VARIABLE] = settings.model_dump_json()
    if source is not None:  # each worker reloads on its own SIGHUP or admin call
        os.environ[_SOURCE_VARIABLE] = orjson.dumps(asdict(source), default=str).decode()
    log.info("listening on http://%s:%d with %d workers", listen.host, listen.port, listen.workers)
    config = uvicorn_config(
        "gateway.server:app_from_environment",
        listen.host,
        listen.port,
        settings.log_level,
        log_config=None,  # uvicorn's lines go through the gateway's formatter
        factory=True,
        workers=listen.workers,
        **tls_options(listen),
    )
    from uvicorn.supervisors import Multiprocess

    Multiprocess(config, sockets=[config.bind_socket()]).run()


def app_from_environment() -> object:
    """The worker-side factory: settings as the parent validated them."""
    settings = Settings.model_validate_json(os.environ[_SETTINGS_VARIABLE])
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    configure_logging(settings.log_level, settings.log_format)  # a fresh process
    raw = os.environ.get(_SOURCE_VARIABLE)
    source = SettingsSource.from_json(raw) if raw else None
    app = build_app(settings, reload_settings=source.load if source else None)
    app.start_scan_workers()
    return app
