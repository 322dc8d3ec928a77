"""A real Squid (Debian's ``squid-openssl``) in front of Haetae's ICAP server, for tests and
the benchmark: its own folder, its own loopback ports, started and stopped here.

Squid bumps TLS with the given CA (a test CA), authenticates every user with
``basic_fake_auth`` (any password: the user name is what matters), sends each
request to ``/reqmod`` and each answer to ``/respmod`` with the user and client
address (``bypass=0``: an ICAP failure is an error, never a pass), and reaches
the provider through a TLS origin-server peer on loopback, so the client keeps
the provider's real host name. Without ``icap_port`` it is Squid alone, the
benchmark's baseline.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Squid", "find_squid", "run_squid"]

_HELPERS = Path("/usr/lib/squid")
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


def find_squid() -> str | None:
    """The squid binary with TLS (ssl-bump) support, if installed."""
    found = shutil.which("squid") or shutil.which("squid", path="/usr/sbin:/usr/local/sbin")
    if found is None or not (_HELPERS / "security_file_certgen").exists():
        return None
    return found


@dataclass
class Squid:
    port: int
    folder: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def proxy_url(self, user: str, password: str = "secret") -> str:
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    def log(self) -> str:
        path = self.folder / "cache.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class _Adaptation:
    icap_port: int | None  # None: Squid alone
    respmod: bool  # answers too, not only requests
    provider_tls: bool  # the provider is reached over TLS (else plain HTTP on loopback)


def _config(
    folder: Path, port: int, ca: Path, ca_key: Path, provider_port: int, how: _Adaptation
) -> str:
    peer_tls = f"tls tls-cafile={ca} " if how.provider_tls else ""
    lines = [
        f"http_port 127.0.0.1:{port} ssl-bump tls-cert={ca} tls-key={ca_key} "
        "generate-host-certificates=on dynamic_cert_mem_cache_size=4MB",
        f"sslcrtd_program {_HELPERS / 'security_file_certgen'} -s {folder / 'ssl_db'} -M 4MB",
        "sslcrtd_children 2 startup=1 idle=1",
        # bumped at once (client-first): the certificate names the CONNECT's host, and
        # no server is contacted before the request has been adapted
        "ssl_bump bump all",
        f"auth_param basic program {_HELPERS / 'basic_fake_auth'}",
        "auth_param basic children 2 startup=1 idle=1",
        "auth_param basic realm haetae-test",
        "acl users proxy_auth REQUIRED",
        "http_access allow users",
        "http_access deny all",
        # the provider: a TLS origin server on loopback, whatever host the client named
        f"cache_peer 127.0.0.1 parent {provider_port} 0 no-query no-digest originserver "
        f"{peer_tls}name=provider",
        "cache_peer_access provider allow all",
        "never_direct allow all",
        "cache deny all",
        "cache_mem 8 MB",
        "workers 1",
        "dns_nameservers 127.0.0.1",
        f"pid_filename {folder / 'squid.pid'}",
        f"cache_log {folder / 'cache.log'}",
        f"access_log stdio:{folder / 'access.log'}",
        "cache_store_log none",
        f"coredump_dir {folder}",
        "shutdown_lifetime 0 seconds",
        "forwarded_for delete",
        "via off",
    ]
    if how.icap_port is not None:
        icap = f"icap://127.0.0.1:{how.icap_port}"
        lines += [
            "icap_enable on",
            "icap_send_client_ip on",
            "icap_send_client_username on",
            "icap_client_username_encode on",
            "icap_client_username_header X-Authenticated-User",
            "icap_preview_enable on",
            "icap_persistent_connections on",
            f"icap_service haetae_req reqmod_precache {icap}/reqmod bypass=0",
            # as docs/network.md recommends: a tunnel's CONNECT is not judged (204)
            "acl CONNECT method CONNECT",
            "adaptation_access haetae_req deny CONNECT",
            "adaptation_access haetae_req allow all",
        ]
        if how.respmod:
            lines += [
                f"icap_service haetae_resp respmod_precache {icap}/respmod bypass=0",
                "adaptation_access haetae_resp allow all",
                # pairs each answer with its request in Haetae (icap.transaction_header)
                'adaptation_meta X-Haetae-Transaction "%master_xaction"',
            ]
    if os.geteuid() == 0:  # Squid will not run as root; the folder is handed to its user
        lines.append("cache_effective_user proxy")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def run_squid(
    ca: Path,
    ca_key: Path,
    provider_port: int,
    icap_port: int | None = None,
    *,
    respmod: bool = True,
    provider_tls: bool = True,
) -> Iterator[Squid]:
    """Start Squid on a free loopback port; stop it (and its helpers) on leaving.

    ``icap_port``: Haetae's ICAP server, for requests and (``respmod``) answers;
    None: Squid alone. ``provider_tls``: the provider on ``provider_port`` speaks TLS
    with a certificate the CA signed for 127.0.0.1.
    """
    how = _Adaptation(icap_port, respmod, provider_tls)
    binary = find_squid()
    if binary is None:
        raise FileNotFoundError("squid (Debian package squid-openssl) is not installed")
    folder = Path(tempfile.mkdtemp(prefix="haetae-squid-"))
    try:
        # Squid's own user must read the CA and write its logs here
        shutil.copy(ca, folder / "ca.pem")
        shutil.copy(ca_key, folder / "ca-key.pem")
        certgen = str(_HELPERS / "security_file_certgen")
        subprocess.run(
            [certgen, "-c", "-s", str(folder / "ssl_db"), "-M", "4MB"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        port = _free_port()
        config = folder / "squid.conf"
        ca, ca_key = folder / "ca.pem", folder / "ca-key.pem"
        config.write_text(_config(folder, port, ca, ca_key, provider_port, how))
        if os.geteuid() == 0:
            proxy = pwd.getpwnam("proxy")
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, proxy.pw_uid, proxy.pw_gid)
        process = subprocess.Popen(
            [binary, "-N", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        squid = Squid(port, folder)
        try:
            _wait_until_listening(process, port, squid)
            yield squid
        finally:
            _stop(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, squid: Squid) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"squid exited at start-up: {error[-2000:]}{squid.log()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"squid did not listen within {_START_TIMEOUT} s: {squid.log()[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to Squid's own process group (its helpers too), then SIGKILL if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(_STOP_TIMEOUT)
    if process.stderr is not None:
        process.stderr.close()
