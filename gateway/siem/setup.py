"""Building the configured sinks and their delivery from settings."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from gateway.audit.phases import COMPLETE
from gateway.errors import ConfigError
from gateway.keys import read_configured_key
from gateway.settings import (
    AlertSettings,
    SiemSettings,
    SinkSettings,
    SplunkHecSinkSettings,
    SyslogSinkSettings,
    WebhookSinkSettings,
)
from gateway.siem.alerts import AlertSink
from gateway.siem.delivery import Delivery, RecordSource
from gateway.siem.sinks import Sink, SplunkHecSink, SyslogSink, WebhookSink, client_tls

__all__ = ["KNOWN_DECISIONS", "build_alerts", "build_delivery", "build_sink"]

log = logging.getLogger("haetae.siem")

#: the decisions records carry (docs/audit.md); a filter naming another matches nothing
KNOWN_DECISIONS = frozenset(
    {"allow", "redact", "pseudonymize", "hash", "mask", "block", "limited", "error", "purge"}
    | {"admin", COMPLETE}
)


def _version() -> str:
    try:
        return metadata.version("haetae")
    except metadata.PackageNotFoundError:
        return "unknown"


def _secret(what: str, file: Path | None, variable: str, environ: Mapping[str, str]) -> bytes:
    key = read_configured_key(what, file, variable, environ)
    if key is None:
        raise ConfigError(f"{what}: set the {variable} variable or the file setting")
    return key


def _check_decisions(where: str, decisions: list[str] | None) -> None:
    unknown = set(decisions or ()) - KNOWN_DECISIONS
    if unknown:
        raise ConfigError(
            f"{where}: unknown decisions {sorted(unknown)}; known: {sorted(KNOWN_DECISIONS)}"
        )


def build_sink(
    settings: SinkSettings, *, timeout: float, environ: Mapping[str, str] | None = None
) -> Sink:
    env = os.environ if environ is None else environ
    _check_decisions(f"siem sink {settings.name!r}", settings.decisions)
    if isinstance(settings, SyslogSinkSettings):
        host, _, port = settings.address.rpartition(":")
        return SyslogSink(
            settings.name,
            host.strip("[]"),
            int(port),
            tls=client_tls(settings.ca_file, settings.cert_file, settings.key_file)
            if settings.tls
            else None,
            facility=settings.facility,
            hostname=socket.gethostname(),
            app_name=settings.app_name,
            message_format=settings.format,
            product_version=_version(),
            timeout=timeout,
        )
    if isinstance(settings, SplunkHecSinkSettings):
        token = _secret(
            f"siem sink {settings.name!r} token", settings.token_file, settings.token_env, env
        )
        return SplunkHecSink(
            settings.name,
            settings.url,
            token=token.decode(),
            index=settings.index,
            sourcetype=settings.sourcetype,
            source=settings.source,
            host=socket.gethostname(),
            tls=client_tls(settings.ca_file),
            timeout=timeout,
        )
    assert isinstance(settings, WebhookSinkSettings)
    secret = _secret(
        f"siem sink {settings.name!r} secret", settings.secret_file, settings.secret_env, env
    )
    return WebhookSink(
        settings.name,
        settings.url,
        secret=secret,
        tls=client_tls(settings.ca_file),
        timeout=timeout,
    )


def build_alerts(
    settings: AlertSettings, *, timeout: float, environ: Mapping[str, str] | None = None
) -> AlertSink:
    env = os.environ if environ is None else environ
    for rule in settings.rules:
        _check_decisions(f"siem alert rule {rule.name!r}", rule.decisions)
    url = _secret("siem.alerts webhook URL", settings.url_file, settings.url_env, env).decode()
    if urlsplit(url).scheme not in ("https", "http"):
        raise ConfigError(f"siem.alerts: the URL in {settings.url_env} is not an http(s) URL")
    return AlertSink(
        settings.rules,
        url=url,
        chat_format=settings.format,
        tls=client_tls(settings.ca_file),
        timeout=timeout,
    )


def build_delivery(
    settings: SiemSettings, store: RecordSource, environ: Mapping[str, str] | None = None
) -> Delivery:
    if not settings.sinks and not settings.alerts.rules:
        raise ConfigError("no SIEM sinks or alert rules are configured (siem.sinks, siem.alerts)")
    sinks: list[tuple[Sink, list[str] | None]] = [
        (build_sink(sink, timeout=settings.timeout_seconds, environ=environ), sink.decisions)
        for sink in settings.sinks
    ]
    if settings.alerts.rules:
        alerts = build_alerts(settings.alerts, timeout=settings.timeout_seconds, environ=environ)
        sinks.append((alerts, None))
    return Delivery.build(
        store, sinks, state_dir=settings.state_dir, batch_size=settings.batch_size
    )
