"""``kill -9`` of a real gateway under load: every request that reached the provider is on record.

A real ``haetae serve`` process forwards to a fake provider in this process,
32 requests at a time, each naming a model of its own so that the provider's
side and the audit store can be matched one for one. Once the provider has
received at least 1,000 requests the gateway is killed (SIGKILL) with requests
in flight. Then the store is started again the way the gateway starts it
(``audit.start()`` in its lifespan): every model the provider saw must have an
opening, every opening a completion (``unknown`` for those the crash cut off),
and the chain must verify.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.audit.phases import is_completion, is_opening, opening_id
from gateway.audit.setup import configured_store
from gateway.audit.verify import verify_chain
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.settings import load_settings
from tests.support.services import closed_port
from tests.support.stack import DEFAULT_POLICY, ROOT

pytestmark = pytest.mark.slow

AT_LEAST = 1000
CONCURRENCY = 32


@contextlib.contextmanager
def serving(
    config: dict[str, object], folder: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``haetae serve`` in its own process; killed at the end if the test has not."""
    path = folder / "haetae.json"
    path.write_bytes(orjson.dumps(config))  # JSON is YAML
    log = (folder / "gateway.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--config", str(path)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: the scan workers a SIGKILL orphans go too
    )  # fmt: skip
    listen = config["listen"]
    assert isinstance(listen, dict)
    base = f"http://127.0.0.1:{listen['port']}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (folder / "gateway.log").read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the gateway did not become ready"
            time.sleep(0.1)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


async def load_until_killed(base: str, fake: FakeUpstream, process: subprocess.Popen[bytes]) -> int:
    """Keep 32 requests in flight; SIGKILL the gateway once the provider has 1,000."""
    sent = 0
    killed = asyncio.Event()
    limits = httpx.Limits(max_connections=CONCURRENCY)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:

        async def worker() -> None:
            nonlocal sent
            while not killed.is_set():
                sent += 1
                body = {"model": f"gpt-4o-k{sent}", "messages": [{"role": "user", "content": "hi"}]}
                with contextlib.suppress(httpx.HTTPError):
                    await client.post(
                        "/openai/v1/chat/completions",
                        content=orjson.dumps(body),
                        headers={"x-fake-delay-ms": "20"},
                    )

        async def killer() -> None:
            deadline = time.monotonic() + 60
            # the provider counts on its own thread: nothing to await but time
            while len(fake.received) < AT_LEAST and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            os.kill(process.pid, signal.SIGKILL)
            killed.set()

        await asyncio.gather(killer(), *(worker() for _ in range(CONCURRENCY)))
    return sent


def run_and_kill(tmp_path: Path, audit: dict[str, str]) -> None:
    fake = FakeUpstream(max_recorded=100_000)
    with ServerThread(fake) as upstream:
        config: dict[str, object] = {
            "listen": {"host": "127.0.0.1", "port": closed_port()},
            "policy": str(DEFAULT_POLICY),
            "audit": audit,
            "providers": {"openai": {"base_url": upstream.base_url}},
            "log_level": "warning",
        }
        with serving(config, tmp_path) as (process, base):
            asyncio.run(load_until_killed(base, fake, process))
            assert process.wait(10) == -signal.SIGKILL
        received = {orjson.loads(r.body)["model"] for r in fake.received}
    assert len(received) >= AT_LEAST

    settings = load_settings(environ={}, overrides={f"audit.{k}": v for k, v in audit.items()})
    store = configured_store(settings.audit)
    store.start()  # what the restarted gateway's lifespan does first
    try:
        deadline = time.monotonic() + 20
        while True:
            records = list(store.iter_chain())
            openings = {r.record_id: r for r in records if is_opening(r)}
            closed = {opening_id(r) for r in records if is_completion(r)}
            if set(openings) <= closed or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        store.close()

    recorded = {r.model for r in openings.values()}
    unrecorded = received - recorded
    assert not unrecorded, f"{len(unrecorded)} of {len(received)} forwarded without a record"
    still_open = set(openings) - closed
    assert not still_open, f"{len(still_open)} openings left open after the restart"
    unknown = [r for r in records if (r.details or {}).get("outcome") == "unknown"]
    assert unknown, "the kill cut no request off: nothing was tested"
    assert verify_chain(records).ok
    print(  # the counts for the record of the run (pytest -s)
        f"\nkill -9: {len(received)} forwarded, {len(openings)} opened, "
        f"{len(unknown)} closed as unknown, 0 without a record"
    )


def test_kill_9_under_load_leaves_no_forwarded_request_unrecorded_sqlite(tmp_path: Path) -> None:
    run_and_kill(tmp_path, {"url": f"sqlite:///{tmp_path / 'audit.db'}"})


def test_kill_9_under_load_leaves_no_forwarded_request_unrecorded_postgres(
    tmp_path: Path, postgres_url: str
) -> None:
    run_and_kill(tmp_path, {"url": postgres_url, "spool": str(tmp_path / "spool.jsonl")})
