"""Gateway replicas as real processes on loopback, for the rollout benchmark and tests.

Each ``Replica`` is ``python -m gateway.cli serve`` with a config file of its
own in its own folder, so two replicas share nothing but what the config
points both at (Redis). Nothing here is used by the gateway itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

__all__ = ["Replica", "free_port", "replicas", "reviewer_token"]

#: the folder holding the ``gateway`` package, so a checkout runs without installing
_SOURCE_ROOT = Path(__file__).resolve().parents[3]


def reviewer_token(token: str) -> str:
    """The approver's token of a replica whose admin token is ``token``."""
    return f"{token}-reviewer"


class Replica:
    """One ``haetae serve`` process on a loopback port; ``stop()`` ends it."""

    def __init__(self, folder: Path, config: dict[str, Any], token: str) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        # A token file, not HAETAE_ADMIN_TOKEN: settings read every HAETAE_* variable
        # as a setting, and `admin_token` is not one.
        # Two people, as four eyes wants: ``tester`` (admin) uploads and activates,
        # ``reviewer`` (policy_approver, token ``reviewer_token(token)``) approves.
        tokens = folder / "admin-tokens"
        tokens.write_text(f"tester:{token}\nreviewer:{reviewer_token(token)}\n", encoding="utf-8")
        config = config | {
            "listen": {"host": "127.0.0.1", "port": self.port},
            "admin": {"token_file": str(tokens), "roles": {"reviewer": "policy_approver"}},
        }
        config_file = folder / "haetae.yaml"
        config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log = folder / "gateway.log"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("HAETAE_")  # the caller decides every setting
        }
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(_SOURCE_ROOT), os.environ.get("PYTHONPATH")])
        )
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "serve", "--config", str(config_file)],
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group, so that stop() leaves no worker behind
            )
        self.base_url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"gateway did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        # a gateway killed (here or by a test) orphans its scan workers' forkserver
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@contextlib.contextmanager
def replicas(*specs: tuple[Path, dict[str, Any]], token: str) -> Iterator[list[Replica]]:
    """Start all at once (they boot in parallel), stop all at the end."""
    started: list[Replica] = []
    try:
        for folder, config in specs:
            started.append(Replica(folder, config, token))
        for replica in started:
            replica.wait_ready()
        yield started
    finally:
        for replica in started:
            replica.stop()


def free_port() -> int:
    """A loopback port free right now (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
