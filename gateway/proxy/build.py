"""Wiring the forward proxy from settings, for ``app.build_app``."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Mapping

from gateway.policy.messages import Language
from gateway.providers.catalog import Provider
from gateway.proxy.certificates import CompanyCA, LeafContexts
from gateway.proxy.destinations import Destinations
from gateway.proxy.front import ProxyFront
from gateway.proxy.judge import ConnectionJudge
from gateway.proxy.listener import ProxyListener
from gateway.proxy.pac import PacFile
from gateway.settings import Settings
from gateway.types import ASGIApp

__all__ = ["ConnectionJudge", "build_proxy"]

log = logging.getLogger("haetae.proxy")


def build_proxy(
    settings: Settings,
    app: ASGIApp,
    providers: Callable[[], Mapping[str, Provider]],
    default_language: Callable[[], Language],
    judge: ConnectionJudge,
) -> tuple[ProxyListener, PacFile]:
    """The listener (started with the app's lifespan) and its PAC file endpoint.

    ``judge`` decides connections to AI web apps with the pipeline's own stages.
    """
    proxy = settings.proxy
    assert proxy.listen is not None and proxy.ca_cert is not None and proxy.ca_key is not None
    ca = CompanyCA.from_files(proxy.ca_cert, proxy.ca_key)
    leaves = LeafContexts(
        ca, datetime.timedelta(hours=proxy.leaf_validity_hours), proxy.leaf_cache_size
    )
    destinations = Destinations(providers)
    listener: ProxyListener | None = None
    if proxy.pac_address is None and proxy.address()[0] in ("0.0.0.0", "::", ""):
        log.warning(
            "proxy.listen %s listens on every interface: set proxy.pac_address to the "
            "address clients reach, or the PAC file sends them to %s",
            proxy.listen,
            proxy.listen,
        )

    def advertised() -> str:  # the bound port, when listen asked for port 0
        if proxy.pac_address is not None:
            return proxy.pac_address
        if listener is not None and listener.address is not None:
            host, port = listener.address
            return f"{host}:{port}"
        return str(proxy.listen)

    pac = PacFile(destinations, advertised)
    trusted = settings.identity.trusted_headers
    identity_headers = (trusted.user, trusted.groups)
    front = ProxyFront(
        app, destinations, settings.identity.key_header, identity_headers, default_language, pac
    )
    listener = ProxyListener(
        proxy,
        front,
        destinations,
        leaves,
        identity_headers,
        default_language,
        judge,
        settings.identity.key_header,
        connect_timeout=settings.timeouts.connect,
    )
    return listener, pac
