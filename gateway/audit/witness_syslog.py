"""A syslog receiver (a SIEM) as the checkpoint witness (``audit.witness: syslog+tls://…``).

Each signed checkpoint is sent as one RFC 5424 message over TCP or TLS
(octet-counted, the framing the SIEM sink uses), MSGID ``haetae.checkpoint``,
the witness entry as its JSON body. The receiver keeps it; the gateway cannot
read it back, so ``verify`` with this witness checks the chain and the
signatures only and says so. To hold the store to what the SIEM saw, export
those messages (one per line, as received or just their JSON) and verify
against the export: ``haetae audit verify --witness file:EXPORT``.

Spec: ``syslog+tcp://host:port`` or ``syslog+tls://host:port[?ca=PATH]``
(``ca``: the receiver's CA, PEM; default: the system's). A message is sent on a
connection of its own (a checkpoint is rare: every 1,000 records or 60 s), so
a receiver that restarted is never written into a dead socket.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

from gateway.audit.chain import Checkpoint, encode_entry
from gateway.audit.syslog_frame import syslog_message
from gateway.errors import ConfigError

__all__ = ["SyslogWitness"]

_FACILITY_LOG_AUDIT = 13  # RFC 5424 §6.2.1
_NOTICE = 5


class SyslogWitness:
    kind = "syslog"
    #: entries cannot be read back from here; ``verify`` says what it checked instead
    readable = False

    def __init__(self, spec: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(spec)
        scheme = parts.scheme.lower()
        if scheme not in ("syslog+tcp", "syslog+tls") or not parts.hostname or not parts.port:
            raise ConfigError(
                "audit.witness syslog: use syslog+tcp://host:port or syslog+tls://host:port"
            )
        self._host, self._port = parts.hostname, parts.port
        self._tls: ssl.SSLContext | None = None
        if scheme == "syslog+tls":
            ca = next((v for k, v in parse_qsl(parts.query) if k == "ca"), None)
            try:
                self._tls = ssl.create_default_context(cafile=ca)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"audit.witness syslog: cannot load CA {ca}: {exc}") from None
        self._timeout = timeout
        self._hostname = socket.gethostname()
        self.label = f"{scheme}://{self._host}:{self._port}"

    def append(self, checkpoint: Checkpoint) -> None:
        frame = syslog_message(
            priority=_FACILITY_LOG_AUDIT * 8 + _NOTICE,
            at=checkpoint.time,
            hostname=self._hostname,
            app_name="haetae-audit",
            msgid="haetae.checkpoint",
            body=encode_entry(checkpoint).decode(),
        )
        with socket.create_connection((self._host, self._port), self._timeout) as raw:
            if self._tls is None:
                raw.sendall(frame)
                raw.shutdown(socket.SHUT_WR)
                return
            with self._tls.wrap_socket(raw, server_hostname=self._host) as wrapped:
                wrapped.sendall(frame)

    def entries(self) -> Iterator[Checkpoint | None]:
        """Nothing: the receiver holds the entries (see the module's docstring)."""
        return iter(())
