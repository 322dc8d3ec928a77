"""Two gateway processes sharing the active policy through the real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.dev.bench.rollout import measure_switches
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.providers.catalog import load_catalog
from tests.rollout.rollout_replicas import Replica, TcpLink, replicas, reviewer_token
from tests.support.polling import wait_for
from tests.support.rollout import (
    ADMIN,
    BASE_POLICY,
    STRICT_POLICY,
    TOKEN,
    chat,
    ready,
    rollout_keys,
)
from tests.support.services import closed_port

pytestmark = pytest.mark.slow  # real gateway processes

RRN_TEXT = "my number is 900101-1234568"


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerThread]:
    with ServerThread(FakeUpstream()) as server:
        yield server


def config(folder: Path, upstream: ServerThread, redis_url: str, **rollout: Any) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    policy = folder / "policy.yaml"
    policy.write_text(BASE_POLICY, encoding="utf-8")
    return {
        "policy": str(policy),
        "audit": {"url": f"sqlite:///{folder / 'audit.db'}"},
        "providers": {pid: {"base_url": upstream.base_url} for pid in load_catalog()},
        "rollout": {
            "redis_url": redis_url,
            "file_poll_interval": 0,
            "signing_key_file": str(rollout_keys()[0]),
        }
        | rollout,
        "log_level": "info",
    }


def upload_and_activate(replica: Replica, text: str) -> str:
    with httpx.Client(base_url=f"{replica.base_url}/admin/v1", headers=ADMIN, timeout=10) as api:
        version: str = api.post("/policies", content=text).json()["version"]
        reviewer = {"authorization": f"Bearer {reviewer_token(TOKEN)}"}  # four eyes
        assert api.post(f"/policies/{version}/approve", headers=reviewer).status_code == 200
        reply = api.post(f"/policies/{version}/activate")
        assert reply.status_code == 200, reply.text
    return version


def test_activation_on_one_replica_reaches_the_other_by_push(
    tmp_path: Path, upstream: ServerThread, redis_url: str, key_prefix: str
) -> None:
    # The periodic re-read is 30 s here, so a quick switch can only come from the push.
    settings = {"key_prefix": key_prefix, "poll_interval": 30}
    specs = [(tmp_path / n, config(tmp_path / n, upstream, redis_url, **settings)) for n in "ab"]
    with replicas(*specs, token=TOKEN) as (a, b):
        base = ready(a.base_url)["policy_version"]
        assert ready(b.base_url)["policy_version"] == base
        assert ready(b.base_url)["policy_source"] == "redis"
        assert chat(b.base_url, RRN_TEXT).status_code == 200

        strict = STRICT_POLICY
        texts = [strict, BASE_POLICY.replace("[CN]", "[CN, RU]"), strict, BASE_POLICY] * 2
        for text in texts:
            # Raises unless B serves the version within 5 s, well inside the 30 s re-read:
            # only the push can do that. (`haetae rollout bench` prints the timings.)
            measure_switches(a.base_url, b.base_url, [("", text)], TOKEN, timeout=5)
            if text == strict:
                blocked = chat(b.base_url, RRN_TEXT)  # B scans for the newly named type
                assert blocked.status_code == 403 and "block-rrn" in blocked.text

        history = httpx.get(f"{b.base_url}/admin/v1/policies/history", headers=ADMIN).json()
        assert history["changes"][0]["by"] == "tester"
        assert len(history["changes"]) == len(texts) + 1  # plus the first start's seed


def test_a_replica_without_redis_keeps_serving_and_says_so(
    tmp_path: Path, upstream: ServerThread, redis_url: str, key_prefix: str
) -> None:
    nowhere = f"redis://127.0.0.1:{closed_port()}/0"
    spec = (tmp_path / "c", config(tmp_path / "c", upstream, nowhere, key_prefix=key_prefix))
    with replicas(spec, token=TOKEN) as (c,):
        status = ready(c.base_url)
        assert status["http_status"] == 200
        assert status["redis"] == "unreachable"
        assert status["policy_source"] == "file"
        assert "ConnectionError" in status["redis_error"]
        assert chat(c.base_url, "hello").status_code == 200
        assert chat(c.base_url, "hi", provider="deepseek").status_code == 403  # policy applies
        reply = httpx.get(f"{c.base_url}/admin/v1/policies", headers=ADMIN, timeout=5)
        assert reply.status_code == 503
        assert "policy store is unreachable" in reply.json()["error"]["message"]


def test_a_replica_cut_off_from_redis_keeps_its_last_good_policy_then_catches_up(
    tmp_path: Path, upstream: ServerThread, redis_url: str, key_prefix: str
) -> None:
    redis_at = urlsplit(redis_url)
    link = TcpLink((redis_at.hostname or "127.0.0.1", redis_at.port or 6379))
    via_link = f"redis://127.0.0.1:{link.port}/0"
    settings = {"key_prefix": key_prefix, "poll_interval": 0.2}
    a_spec = (tmp_path / "a", config(tmp_path / "a", upstream, redis_url, **settings))
    b_spec = (tmp_path / "b", config(tmp_path / "b", upstream, via_link, **settings))
    try:
        with replicas(a_spec, b_spec, token=TOKEN) as (a, b):
            strict = upload_and_activate(a, STRICT_POLICY)
            wait_for(lambda: ready(b.base_url)["policy_version"] == strict)

            link.cut()
            wait_for(lambda: ready(b.base_url).get("redis") == "unreachable")
            base = upload_and_activate(a, BASE_POLICY)  # B cannot hear of this

            status = ready(b.base_url)
            assert status["http_status"] == 200
            assert status["policy_version"] == strict  # its last good policy
            assert "redis_unreachable_since" in status
            assert chat(b.base_url, RRN_TEXT).status_code == 403  # and it enforces it

            link.restore()
            wait_for(lambda: ready(b.base_url)["policy_version"] == base)
            assert ready(b.base_url)["redis"] == "ok"
            assert chat(b.base_url, RRN_TEXT).status_code == 200
    finally:
        link.cut()
