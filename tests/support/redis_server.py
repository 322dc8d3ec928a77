"""A Redis of a test's own: password required, optionally TLS with a CA made here.

The shared Redis on 6379 has no password and is used by others' tests, so a
test that needs authentication or TLS starts ``redis-server`` on a free
loopback port in a temp dir (no persistence) and stops it afterwards. The
password reaches the server on its stdin, the way deploy/compose.yaml does it.
Without the binary the test is skipped, except under ``CI=true`` where that
is a failure (``tests.support.services.unavailable``).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gateway.dev.testing.ca import issue_certificate, make_ca
from gateway.dev.testing.replicas import free_port
from tests.support.services import unavailable

__all__ = ["PrivateRedis", "private_redis", "redis_server_binary"]


@dataclass(frozen=True)
class PrivateRedis:
    port: int
    password: str
    ca_file: Path | None = None  # set when the server speaks TLS only

    @property
    def url(self) -> str:
        """The URL without the password: the gateway gets that separately."""
        scheme = "rediss" if self.ca_file else "redis"
        return f"{scheme}://127.0.0.1:{self.port}/0"


def redis_server_binary() -> str:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        unavailable("redis-server is not installed")
    return binary


@contextlib.contextmanager
def private_redis(
    folder: Path, password: str, *, tls: bool = False, extra: tuple[str, ...] = ()
) -> Iterator[PrivateRedis]:
    """Start ``redis-server`` requiring ``password`` (and TLS), stop it at the end.

    ``extra``: more configuration lines (an ACL ``user`` line, say).
    """
    binary = redis_server_binary()
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lines = [f"requirepass {password}", 'save ""', "appendonly no", f"dir {folder}"]
    lines += ["bind 127.0.0.1", "protected-mode yes", *extra]
    ca_file = None
    if tls:
        ca_file, cert, key = _certificates(folder)
        lines += [
            "port 0",
            f"tls-port {port}",
            f"tls-cert-file {cert}",
            f"tls-key-file {key}",
            f"tls-ca-cert-file {ca_file}",
            "tls-auth-clients no",
        ]
    else:
        lines.append(f"port {port}")
    log = (folder / "redis.log").open("wb")
    process = subprocess.Popen(
        [binary, "-"], stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT
    )
    assert process.stdin is not None
    process.stdin.write(("\n".join(lines) + "\n").encode())
    process.stdin.close()
    try:
        _wait_listening(port, process, folder / "redis.log")
        yield PrivateRedis(port, password, ca_file)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited: {log.read_text()[-1500:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"redis-server did not listen: {log.read_text()[-1500:]}")


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it (PEM files)."""
    ca_file, ca_key = make_ca(folder / "ca", "haetae test CA")
    cert_file, key_file = issue_certificate(ca_file, ca_key, "127.0.0.1", folder)
    return ca_file, cert_file, key_file
