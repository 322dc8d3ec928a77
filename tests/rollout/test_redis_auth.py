"""Redis as a production dependency: a password, TLS, and errors that never show the secret."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from gateway.errors import ConfigError
from gateway.rollout.redis_connect import redis_target
from gateway.settings import RolloutSettings
from tests.support.polling import wait_for
from tests.support.redis_server import private_redis
from tests.support.rollout import ADMIN, STRICT_POLICY, ready, rollout_gateway

pytestmark = pytest.mark.slow  # a redis-server process of its own per test

PASSWORD = "s3cret-redis-password-0042"


def test_replicas_share_the_policy_through_a_redis_that_requires_a_password(
    tmp_path: Path,
) -> None:
    with private_redis(tmp_path / "redis", PASSWORD) as server:
        environ = {"HAETAE_REDIS_PASSWORD": PASSWORD}
        shared: dict[str, Any] = {"redis_url": server.url, "key_prefix": "p:"}
        with (
            rollout_gateway(tmp_path / "a", environ=environ, **shared) as (a, _app, _f),
            rollout_gateway(tmp_path / "b", environ=environ, **shared) as (b, _app2, _f2),
        ):
            assert ready(a.base_url)["redis"] == "ok"
            with httpx.Client(base_url=f"{a.base_url}/admin/v1", headers=ADMIN) as api:
                version = api.post("/policies", content=STRICT_POLICY).json()["version"]
                assert api.post(f"/policies/{version}/activate").status_code == 200
            wait_for(lambda: ready(b.base_url)["policy_version"] == version)
            assert ready(b.base_url)["redis"] == "ok"


@pytest.mark.parametrize("given", ["wrong", "missing"])
def test_a_wrong_or_missing_password_is_a_clear_error_without_the_password(
    tmp_path: Path, given: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-password-but-also-secret-77"
    environ = {"HAETAE_REDIS_PASSWORD": wrong} if given == "wrong" else {}
    caplog.set_level(logging.DEBUG)
    with (
        private_redis(tmp_path / "redis", PASSWORD) as server,
        rollout_gateway(tmp_path / "gw", environ=environ, redis_url=server.url) as (gw, _a, _f),
    ):
        status = wait_for(lambda: (s := ready(gw.base_url))["redis"] == "unreachable" and s)
        assert "Redis refused the credentials" in status["redis_error"]
        assert status["http_status"] == 200  # it serves its own file's policy meanwhile
        listing = httpx.get(f"{gw.base_url}/admin/v1/policies", headers=ADMIN, timeout=5)
        assert listing.status_code == 503
        assert "Redis refused the credentials" in listing.text
        shown = orjson.dumps(status).decode() + listing.text + caplog.text
    assert PASSWORD not in shown and wrong not in shown


def test_rollout_over_tls_checks_the_server_certificate(tmp_path: Path) -> None:
    with private_redis(tmp_path / "redis", PASSWORD, tls=True) as server:
        assert server.url.startswith("rediss://") and server.ca_file is not None
        environ = {"HAETAE_REDIS_PASSWORD": PASSWORD}
        trusted: dict[str, Any] = {"redis_url": server.url, "redis_ca_file": str(server.ca_file)}
        with rollout_gateway(tmp_path / "a", environ=environ, **trusted) as (a, _app, _f):
            assert wait_for(lambda: ready(a.base_url)["policy_source"] == "redis")
            assert ready(a.base_url)["redis"] == "ok"
        # Without our CA the server's certificate is not trusted: no connection at all.
        with rollout_gateway(tmp_path / "b", environ=environ, redis_url=server.url) as (b, _, _f2):
            status = wait_for(lambda: (s := ready(b.base_url))["redis"] == "unreachable" and s)
            assert "TLS" in status["redis_error"] or "SSL" in status["redis_error"]
            assert PASSWORD not in orjson.dumps(status).decode()


def test_redis_settings_that_cannot_work_are_one_start_up_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="keep only one") as caught:
        redis_target(
            RolloutSettings(redis_url="redis://:in-the-url@127.0.0.1:1/0"),
            {"HAETAE_REDIS_PASSWORD": "and-in-the-environment"},
        )
    assert "in-the-url" not in str(caught.value)
    with pytest.raises(ConfigError, match="need a rediss://"):
        redis_target(RolloutSettings(redis_url="redis://127.0.0.1:1/0", redis_ca_file=tmp_path), {})
    with pytest.raises(ConfigError, match="redis_password_file: cannot read"):
        redis_target(
            RolloutSettings(
                redis_url="redis://127.0.0.1:1/0", redis_password_file=tmp_path / "nope"
            ),
            {},
        )


#: the ACL docs/rollout.md gives the gateway's Redis user: its keys, its channel, its commands
ACL_COMMANDS = (
    "+get +set +hget +hset +hsetnx +hgetall +lpush +ltrim +lrange +publish +subscribe "
    "+unsubscribe +watch +unwatch +multi +exec +discard +ping"
)


def test_an_acl_user_limited_to_the_rollout_keys_is_enough(tmp_path: Path) -> None:
    user = f"user haetae on >{PASSWORD} resetchannels ~p:* &p:activated {ACL_COMMANDS}"
    with private_redis(tmp_path / "redis", "default-user-password", extra=(user,)) as server:
        environ = {"HAETAE_REDIS_PASSWORD": PASSWORD}
        shared: dict[str, Any] = {
            "redis_url": server.url,
            "key_prefix": "p:",
            "redis_username": "haetae",
        }
        with (
            rollout_gateway(tmp_path / "a", environ=environ, **shared) as (a, _app, _f),
            rollout_gateway(tmp_path / "b", environ=environ, **shared) as (b, _app2, _f2),
        ):
            wait_for(lambda: ready(a.base_url)["policy_source"] == "redis")
            with httpx.Client(base_url=f"{a.base_url}/admin/v1", headers=ADMIN) as api:
                version = api.post("/policies", content=STRICT_POLICY).json()["version"]
                assert api.post(f"/policies/{version}/activate").status_code == 200
                assert api.post("/policies/rollback").status_code == 200
                assert len(api.get("/policies/history").json()["changes"]) == 3
            wait_for(lambda: ready(b.base_url)["policy_version"] != version)
            assert ready(b.base_url)["redis"] == "ok"
