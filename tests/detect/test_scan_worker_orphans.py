"""A gateway killed with SIGKILL leaves no scan worker behind: each notices and exits."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from gateway.dev.bench.loopwatch import family
from gateway.dev.testing.replicas import Replica
from tests.support.polling import wait_for

pytestmark = [
    pytest.mark.slow,  # a real gateway and its workers
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and pidfd: Linux"),
]

POLICY = "policy: orphans\nrules:\n  - {id: rrn, when: {entities: [KR_RRN]}, action: block}\n"


def _started(pid: str) -> str | None:
    """The process's start time (a pid reused meanwhile is another process), None if gone
    or a zombie (exited, not yet reaped)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def test_scan_workers_and_their_forkserver_exit_when_the_gateway_is_killed(
    tmp_path: Path,
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    config = {"policy": str(policy), "audit": {"url": f"sqlite:///{tmp_path}/audit.db"}}
    replica = Replica(tmp_path / "gateway", config, token="orphans-admin-token")
    try:
        replica.wait_ready()

        def workers_ready() -> bool:
            answer = httpx.get(f"{replica.base_url}/readyz", timeout=5).json()
            return bool(answer.get("scan_workers") == "ready")

        wait_for(workers_ready, 120, interval=0.2, message="the scan workers did not start")
        children = {pid: _started(pid) for pid in family(replica.process.pid)[1:]}
        assert len(children) >= 3  # the forkserver and two workers (and the resource tracker)

        os.kill(replica.process.pid, signal.SIGKILL)  # the gateway alone, not its group
        replica.process.wait(10)

        def survivors() -> list[bytes]:
            return [
                Path(f"/proc/{pid}/cmdline").read_bytes()[:150]
                for pid, started in children.items()
                if _started(pid) == started
            ]

        # the workers, their forkserver and multiprocessing's resource tracker
        wait_for(lambda: not survivors(), 20, message=lambda: f"still running: {survivors()}")
    finally:
        replica.stop()  # the whole group, whatever happened
