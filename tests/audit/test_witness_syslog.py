"""A SIEM's syslog receiver as the witness: checkpoints sent over TCP and TLS on loopback.

The gateway cannot read the SIEM back, so ``verify`` says it checked the chain
and signatures only; an export of the SIEM's messages then verifies like a
witness file, and finds a deleted tail.
"""

from __future__ import annotations

import socket
import socketserver
import sqlite3
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from gateway.audit.witness import open_witness
from gateway.errors import ConfigError
from tests.audit.test_witness import kinds, verify_against, written
from tests.support.redis_server import _certificates


@contextmanager
def receiver(tls: ssl.SSLContext | None) -> Iterator[tuple[int, list[bytes]]]:
    """A syslog receiver on 127.0.0.1 reading octet-counted frames; yields (port, messages)."""
    messages: list[bytes] = []

    class Handler(socketserver.StreamRequestHandler):
        def setup(self) -> None:
            if tls is not None:
                self.request = tls.wrap_socket(self.request, server_side=True)
            super().setup()

        def finish(self) -> None:
            super().finish()
            self.request.close()  # the TLS wrapper; the server closes only the raw socket

        def handle(self) -> None:
            while True:
                length = b""
                while (ch := self.rfile.read(1)) not in (b" ", b""):
                    length += ch
                if not length:
                    return
                messages.append(self.rfile.read(int(length)))

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1], messages
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_checkpoints_reach_the_siem_and_an_export_of_it_verifies(
    tmp_path: Path, transport: str
) -> None:
    tls = None
    query = ""
    if transport == "tls":
        ca, cert, key = _certificates(tmp_path)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        query = f"?ca={ca}"
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with receiver(tls) as (port, messages):
        spec = f"syslog+{transport}://127.0.0.1:{port}{query}"
        _settings, store = written(url, tmp_path, spec, 30)
        assert store._signer is not None and store._signer.witness_error is None
    assert len(messages) == 3
    header, _, body = messages[0].partition(b" \xef\xbb\xbf")
    assert header.startswith(b"<109>1 ") and b" haetae-audit - haetae.checkpoint -" in header
    assert orjson.loads(body)["seq"] == 10

    result = verify_against(tmp_path, url, spec)
    assert result.report.ok and result.witness_label is None
    assert any("cannot be read back" in w and "file:EXPORT" in w for w in result.warnings)

    export = tmp_path / "siem-export.log"  # as a SIEM exports them, one message a line
    noise = b"<110>1 2026-01-01T00:00:00Z host haetae - haetae.allow - \xef\xbb\xbf{}"
    export.write_bytes(b"\n".join([noise, *messages]) + b"\n")
    result = verify_against(tmp_path, url, f"file:{export}")
    assert result.report.ok and result.report.witnessed == 3

    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute("DELETE FROM audit_records WHERE seq > 25")
        conn.execute("DELETE FROM audit_checkpoints WHERE seq > 25")
    conn.close()
    assert kinds(verify_against(tmp_path, url, f"file:{export}").report) == [(26, "tail_deleted")]


def test_a_receiver_that_is_down_does_not_stop_the_trail(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _settings, store = written(
        f"sqlite:///{tmp_path / 'audit.db'}", tmp_path, f"syslog+tcp://127.0.0.1:{port}", 20
    )
    assert store._signer is not None and store._signer.witness_error == "ConnectionRefusedError"
    assert store.tail(1)[0].seq == 20 and len(store.checkpoints()) == 2


def test_a_syslog_spec_needs_host_and_port(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="syslog\\+tls://host:port"):
        open_witness("syslog+tls://siem.example", "sqlite:///x.db")
    with pytest.raises(ConfigError, match="cannot load CA"):
        open_witness(f"syslog+tls://siem.example:6514?ca={tmp_path / 'none.pem'}", "sqlite:///x.db")
