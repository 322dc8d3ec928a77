"""Writing straight into Redis no longer decides the policy (issue 17).

Each test plays the attacker on the network: a raw Redis client writes a
permissive policy into the rollout keys, points ``active`` at it and
publishes, exactly what the running gateway used to adopt within a second.
Now the gateway refuses it, keeps serving its last good policy (a resident
number and DeepSeek are still blocked), says so in ``/readyz`` and the log
(never the forged content), and no history entry appears.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis

from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.providers.catalog import load_catalog
from gateway.rollout.signing import RolloutKeys, generate_key_pair, load_rollout_keys
from gateway.rollout.versions import compile_candidate
from gateway.settings import RolloutSettings
from tests.rollout.rollout_replicas import replicas, reviewer_token
from tests.support.polling import wait_for
from tests.support.rollout import (
    ADMIN,
    BASE_POLICY,
    STRICT_POLICY,
    TOKEN,
    chat,
    ready,
    rollout_gateway,
    rollout_keys,
)

RRN = "주민번호 900101-1234567 입니다"
MARKER = "forged-by-mallory-7f3a"
#: the real policy's name, no rules: everything passes
FORGED = f"policy: base\n# {MARKER}\nrules: []\n"

Forgery = Callable[[redis.Redis, str, str, Path], None]


def keys_from(signing: Path) -> RolloutKeys:
    loaded = load_rollout_keys(RolloutSettings(signing_key_file=signing), {}, required=True)
    assert loaded is not None
    return loaded


def version_of(text: str, folder: Path) -> str:
    return compile_candidate(text.encode(), folder / "policy.yaml").version


def stored(version: str, text: str, origin: str = "file") -> dict[str, Any]:
    return {
        "version": version,
        "name": "base",
        "yaml": text,
        "uploaded_by": "file:/etc/haetae/policy.yaml",
        "uploaded_at": time.time(),
        "origin": origin,
        "rules": 0,
    }


def change(to: str, seq: int = 10**6) -> dict[str, Any]:
    return {
        "at": time.time(),
        "by": "admin",
        "action": "activate",
        "from_version": None,
        "to_version": to,
        "diff": {},
        "seq": seq,
    }


def unsigned(client: redis.Redis, prefix: str, version: str, folder: Path) -> None:
    """The pre-signing format, claiming to come from a policy file."""
    client.hset(f"{prefix}versions", version, orjson.dumps(stored(version, FORGED)))
    client.set(f"{prefix}active", version)


def wrong_key(client: redis.Redis, prefix: str, version: str, folder: Path) -> None:
    """Properly sealed, by a key pair the attacker made."""
    forger = keys_from(generate_key_pair(folder / "forger")[0])
    client.hset(f"{prefix}versions", version, forger.seal("version", stored(version, FORGED)))
    client.set(f"{prefix}active", forger.seal("change", change(version)))


def tampered(client: redis.Redis, prefix: str, version: str, folder: Path) -> None:
    """Real signed values of this fleet with their content swapped, signatures kept."""
    legit_change = orjson.loads(client.get(f"{prefix}active") or b"")
    legit_version = orjson.loads(next(iter(client.hvals(f"{prefix}versions"))))
    legit_version["payload"] |= {"version": version, "yaml": FORGED, "rules": 0}
    legit_change["payload"] |= {"to_version": version, "seq": 10**6}
    client.hset(f"{prefix}versions", version, orjson.dumps(legit_version))
    client.set(f"{prefix}active", orjson.dumps(legit_change))


def cross_kind(client: redis.Redis, prefix: str, version: str, folder: Path) -> None:
    """A genuine signature from another kind of value (a version) passed off as a change."""
    legit_version = next(iter(client.hvals(f"{prefix}versions")))
    client.set(f"{prefix}active", legit_version)


@pytest.mark.slow  # gateways polling Redis until the forgery is seen and refused
@pytest.mark.parametrize("forge", [unsigned, wrong_key, tampered, cross_kind])
def test_a_forged_write_into_redis_is_refused_and_the_last_good_policy_serves(
    tmp_path: Path,
    redis_url: str,
    key_prefix: str,
    forge: Forgery,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="haetae")
    shared: dict[str, Any] = {"redis_url": redis_url, "key_prefix": key_prefix}
    with rollout_gateway(tmp_path, STRICT_POLICY, **shared) as (gateway, _app, _fake):
        before = wait_for(lambda: (s := ready(gateway.base_url))["policy_source"] == "redis" and s)
        history = _admin(gateway.base_url, "/policies/history")["changes"]
        assert chat(gateway.base_url, RRN).status_code == 403  # the real policy blocks it

        forged = version_of(FORGED, tmp_path)
        client = redis.Redis.from_url(redis_url)
        forge(client, key_prefix, forged, tmp_path)
        client.publish(f"{key_prefix}activated", forged)
        client.close()

        status = wait_for(lambda: (s := ready(gateway.base_url)).get("policy_rejected") and s)
        assert status["policy_rejected"]["count"] >= 1
        assert status["policy_rejected"]["where"] == f"{key_prefix}active"
        assert status["http_status"] == 200
        assert (status["policy"], status["policy_version"]) == (
            before["policy"],
            before["policy_version"],
        )
        # Still the last good policy, after several more re-reads of the forged pointer.
        time.sleep(0.5)
        assert ready(gateway.base_url)["policy_version"] == before["policy_version"]
        assert chat(gateway.base_url, RRN).status_code == 403
        assert chat(gateway.base_url, "hello", provider="deepseek").status_code == 403
        listing = _admin(gateway.base_url, "/policies")
        assert forged not in [v["version"] for v in listing["versions"]]
        assert _admin(gateway.base_url, "/policies/history")["changes"] == history
        shown = httpx.get(f"{gateway.base_url}/admin/v1/policies/{forged}", headers=ADMIN)
        assert shown.status_code == (404 if forge is cross_kind else 409), shown.text
    assert "refused shared rollout state" in caplog.text
    assert MARKER not in caplog.text  # the log names the key and the reason, not the value


def test_a_replayed_old_activation_is_refused(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    shared: dict[str, Any] = {"redis_url": redis_url, "key_prefix": key_prefix}
    with rollout_gateway(tmp_path, BASE_POLICY, **shared) as (gateway, _app, _fake):
        wait_for(lambda: ready(gateway.base_url)["policy_source"] == "redis")
        client = redis.Redis.from_url(redis_url)
        old = client.get(f"{key_prefix}active")  # BASE, validly signed by this fleet
        with httpx.Client(base_url=f"{gateway.base_url}/admin/v1", headers=ADMIN) as api:
            strict = api.post("/policies", content=STRICT_POLICY).json()["version"]
            assert api.post(f"/policies/{strict}/activate").status_code == 200
        assert chat(gateway.base_url, RRN).status_code == 403

        assert old is not None
        client.set(f"{key_prefix}active", old)  # the attacker writes the old one back
        client.publish(f"{key_prefix}activated", b"x")
        client.close()
        status = wait_for(lambda: (s := ready(gateway.base_url)).get("policy_rejected") and s)
        assert "replay" in status["policy_rejected"]["reason"]
        assert status["policy_version"] == strict
        assert chat(gateway.base_url, RRN).status_code == 403

        # An admin repairs the pointer by activating the serving version again.
        with httpx.Client(base_url=f"{gateway.base_url}/admin/v1", headers=ADMIN) as api:
            assert api.post(f"/policies/{strict}/activate").status_code == 200
            changes = api.get("/policies/history").json()["changes"]
        assert [c["to"] for c in changes[:2]] == [strict, strict]
        assert changes[0]["seq"] > changes[1]["seq"]


def test_a_signed_version_claiming_origin_file_is_still_checked_like_an_upload(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    """``origin: file`` earns nothing: only this replica's own file may name outside files."""
    outside = tmp_path / "outside-terms.txt"
    outside.write_text("secret-term\n", encoding="utf-8")
    reaching = (
        BASE_POLICY.replace(
            "rules:\n",
            f"detection:\n  dictionaries:\n    - {{ entity: OUTSIDE_TERM, file: {outside} }}\n"
            "rules:\n",
        )
        + "  - { id: leak, when: { entities: [OUTSIDE_TERM] }, action: block }\n"
    )
    shared: dict[str, Any] = {"redis_url": redis_url, "key_prefix": key_prefix}
    folder = tmp_path / "gw"
    with rollout_gateway(folder, STRICT_POLICY, **shared) as (gateway, _app, _fake):
        before = wait_for(lambda: (s := ready(gateway.base_url))["policy_source"] == "redis" and s)
        version = compile_candidate(
            reaching.encode(), folder / "policy.yaml", confined=False
        ).version
        fleet = keys_from(rollout_keys()[0])  # even with the fleet's own key
        client = redis.Redis.from_url(redis_url)
        client.hset(
            f"{key_prefix}versions", version, fleet.seal("version", stored(version, reaching))
        )
        client.set(f"{key_prefix}active", fleet.seal("change", change(version)))
        client.publish(f"{key_prefix}activated", version)
        client.close()
        status = wait_for(lambda: (s := ready(gateway.base_url)).get("policy_sync_error") and s)
        assert "outside the policy directory" in status["policy_sync_error"]["message"]
        assert status["policy_version"] == before["policy_version"]
        assert chat(gateway.base_url, RRN).status_code == 403


def _admin(base_url: str, path: str, status: int = 200) -> Any:
    reply = httpx.get(f"{base_url}/admin/v1{path}", headers=ADMIN, timeout=5)
    assert reply.status_code == status, reply.text
    return reply.json()


@pytest.mark.slow  # real gateway processes
def test_real_replicas_refuse_a_forgery_and_still_follow_a_signed_activation(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    """Two ``haetae serve`` processes; B holds only the verification key."""
    signing, verify = rollout_keys()
    with ServerThread(FakeUpstream()) as upstream:
        specs = []
        for name, key in (("a", {"signing_key_file": str(signing)}), ("b", {})):
            folder = tmp_path / name
            folder.mkdir()
            (folder / "policy.yaml").write_text(STRICT_POLICY, encoding="utf-8")
            rollout = {"redis_url": redis_url, "key_prefix": key_prefix, "poll_interval": 0.2}
            specs.append(
                (
                    folder,
                    {
                        "policy": str(folder / "policy.yaml"),
                        "audit": {"url": f"sqlite:///{folder / 'audit.db'}"},
                        "providers": {p: {"base_url": upstream.base_url} for p in load_catalog()},
                        "rollout": rollout | {"verify_key_file": str(verify)} | key,
                    },
                )
            )
        with replicas(*specs, token=TOKEN) as (a, b):
            wait_for(lambda: ready(b.base_url)["policy_source"] == "redis", timeout=30)
            before = ready(b.base_url)["policy_version"]
            # The follower cannot change the policy, whatever its admin token.
            with httpx.Client(base_url=f"{b.base_url}/admin/v1", headers=ADMIN) as api:
                refused = api.post("/policies", content=BASE_POLICY)
            assert refused.status_code == 403 and "verification key" in refused.text

            forged = version_of(FORGED, tmp_path)
            client = redis.Redis.from_url(redis_url)
            unsigned(client, key_prefix, forged, tmp_path)
            client.publish(f"{key_prefix}activated", forged)
            status = wait_for(lambda: (s := ready(b.base_url)).get("policy_rejected") and s)
            assert status["policy_version"] == before
            assert chat(b.base_url, RRN).status_code == 403
            assert MARKER not in (b.folder / "gateway.log").read_text()

            # A legitimately signed activation on A reaches B, and repairs the pointer.
            with httpx.Client(base_url=f"{a.base_url}/admin/v1", headers=ADMIN) as api:
                base = api.post("/policies", content=BASE_POLICY).json()["version"]
                reviewer = {"authorization": f"Bearer {reviewer_token(TOKEN)}"}  # four eyes
                assert api.post(f"/policies/{base}/approve", headers=reviewer).is_success
                assert api.post(f"/policies/{base}/activate").status_code == 200
            wait_for(lambda: ready(b.base_url)["policy_version"] == base)
            assert chat(b.base_url, RRN).status_code == 200  # BASE does not block it
            history = httpx.get(f"{b.base_url}/admin/v1/policies/history", headers=ADMIN)
            targets = [c["to"] for c in history.json()["changes"]]
            assert targets[0] == base and forged not in targets
            client.close()
