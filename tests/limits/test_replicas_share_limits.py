"""Two gateway processes counting one limit in the shared Redis: a burst is cut exactly."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.dev.testing.replicas import replicas
from gateway.providers.catalog import load_catalog
from tests.support.rollout import rollout_keys

pytestmark = pytest.mark.slow  # real gateway processes

ALLOWED = 7
BURST = 24
POLICY = f"""\
policy: fleet-limits
limits:
  - id: burst
    per: [client_app, provider]
    requests: {ALLOWED}
    window: 60s
"""


def _config(folder: Path, upstream: str, redis_url: str, prefix: str) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    policy = folder / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return {
        "policy": str(policy),
        "audit": {"url": f"sqlite:///{folder / 'audit.db'}"},
        "providers": {pid: {"base_url": upstream} for pid in load_catalog()},
        "rollout": {
            "redis_url": redis_url,
            "key_prefix": f"{prefix}policy:",
            "file_poll_interval": 0,
            "signing_key_file": str(rollout_keys()[0]),
        },
        "limits": {"redis_prefix": f"{prefix}limits:"},
    }


async def _burst(urls: list[str], app: str) -> list[httpx.Response]:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient(timeout=20) as client:
        return await asyncio.gather(
            *(
                client.post(
                    f"{urls[i % len(urls)]}/openai/v1/chat/completions",
                    json=body,
                    headers={"x-haetae-client": app},
                )
                for i in range(BURST)
            )
        )


def test_a_burst_split_across_two_replicas_is_limited_exactly(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    fake = FakeUpstream()
    with ServerThread(fake) as upstream:
        specs = [
            (tmp_path / n, _config(tmp_path / n, upstream.base_url, redis_url, key_prefix))
            for n in "ab"
        ]
        with replicas(*specs, token="limits-admin-token") as (a, b):
            urls = [a.base_url, b.base_url]
            replies = asyncio.run(_burst(urls, "burst-app"))
            statuses = [r.status_code for r in replies]
            assert statuses.count(200) == ALLOWED, statuses
            assert statuses.count(429) == BURST - ALLOWED, statuses
            assert len(fake.received) == ALLOWED  # nothing refused reached the provider
            # both replicas refused some: the counter is shared, not per process
            by_replica = [statuses[i::2].count(429) for i in range(2)]
            assert all(n > 0 for n in by_replica), by_replica
            for reply in replies:
                if reply.status_code == 429:
                    assert 1 <= int(reply.headers["retry-after"]) <= 60
                    assert reply.json()["error"]["code"] == "rate_limited"
            # another application's counter is untouched
            again = asyncio.run(_burst(urls[:1], "other-app"))
            assert [r.status_code for r in again].count(200) == ALLOWED
