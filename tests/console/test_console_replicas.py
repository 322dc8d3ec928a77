"""The overview's health of every replica: each one's report through Redis, and an honest
line when there is no Redis or it cannot be read."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import redis

from gateway.rollout.replicas import ReplicaBeacon
from gateway.rollout.store import StoreUnavailable
from tests.console.conftest import ConsoleStack, sign_in_with_token
from tests.console.test_console_shared_sessions import replicas
from tests.support.polling import wait_for
from tests.support.rollout import TOKEN


def _rows(html: str) -> list[str]:
    table = html.split('<table class="data replicas"')[1].split("</table>")[0]
    return re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S)


def test_the_overview_lists_every_replica_through_redis(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with replicas(tmp_path, redis_url, key_prefix) as (a, b):
        with httpx.Client(base_url=a.url(""), follow_redirects=True) as browser:
            sign_in_with_token(browser, TOKEN)

            def both() -> list[str]:
                rows = _rows(browser.get("/console/").text)
                return rows if len(rows) == 2 else []

            rows = wait_for(both, 10, message="two replicas on the overview")
            overview = browser.get("/console/").text
        ids = {a.app.beacon.id, b.app.beacon.id}  # type: ignore[union-attr]
        assert {re.search(r"<code>([^<]+)</code>", row).group(1) for row in rows} == ids  # type: ignore[union-attr]
        for row in rows:
            assert 'class="ok">ready' in row and a.app.rollout.holder.active.version in row
            assert re.search(r"<td>\d+ 초 전</td>", row)  # a Korean page by default
        assert "응답한 프로세스만" not in overview  # not alone: no such caveat
    with redis.Redis.from_url(redis_url) as client:  # stopped cleanly: both entries gone
        assert client.hgetall(f"{key_prefix}replicas") == {}


def test_without_redis_the_overview_says_only_this_process_is_seen(
    console: ConsoleStack,
) -> None:
    with console.signed_in("vic") as vic:
        page = vic.get("/console/").text
    assert "Only the process that answered is shown" in page
    assert len(_rows(page)) == 1


class _Unreachable:
    async def publish_replica(self, replica: str, status: bytes, ttl: float) -> None:
        raise StoreUnavailable("redis redis://10.0.0.9:6379: ConnectionError")

    async def forget_replica(self, replica: str) -> None:
        raise StoreUnavailable("redis redis://10.0.0.9:6379: ConnectionError")

    async def replicas(self, limit: int = 200) -> list[dict[str, Any]]:
        raise StoreUnavailable("redis redis://10.0.0.9:6379: ConnectionError")


def test_an_unreachable_redis_shows_this_replica_and_why() -> None:
    beacon = ReplicaBeacon(_Unreachable(), lambda: {"status": "ready", "audit": "ok",
                                                    "secret": "not published"})  # fmt: skip
    report = asyncio.run(beacon.report())
    assert report["shared"] and report["error"].endswith("ConnectionError")
    assert [r["replica"] for r in report["replicas"]] == [beacon.id]
    assert "secret" not in report["replicas"][0]  # only the fields of REPORTED
