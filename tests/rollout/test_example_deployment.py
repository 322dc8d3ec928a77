"""deploy/haetae.example.yaml as compose runs it: two replicas, one Redis, one PostgreSQL.

Compose reaches Redis and PostgreSQL by service name; here the same config runs
as two real processes with only those addresses (and the paths inside the
image) pointed at this machine. Redis requires a password, as in compose: a
private redis-server of this test's own, since the shared one has none.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.dev.testing.ca import make_ca
from gateway.dev.testing.replicas import reviewer_token
from gateway.identity.api_keys import KeyFile
from tests.rollout.rollout_replicas import replicas
from tests.support.polling import wait_for
from tests.support.redis_server import private_redis
from tests.support.rollout import ADMIN, TOKEN, chat, ready, rollout_keys

pytestmark = pytest.mark.slow  # real gateway processes

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((ROOT / "deploy" / "haetae.example.yaml").read_text(encoding="utf-8"))
ENGINEERING_BLOCKED = """\
policy: eng-blocked
groups: [eng]
rules:
  - id: eng-no-openai
    when: { groups: [eng], provider: [openai] }
    action: block
"""


@pytest.fixture
def upstream() -> Iterator[ServerThread]:
    with ServerThread(FakeUpstream()) as server:
        yield server


def audit_signing_key(folder: Path) -> Path:
    """The Ed25519 key both replicas sign checkpoints with (compose's audit-signing)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = folder / "audit-signing.pem"
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
    return path


def replica_config(
    folder: Path, upstream: str, redis_url: str, password: Path, postgres_url: str, keys: Path
) -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(EXAMPLE)
    signing, verify = rollout_keys()
    config["rollout"] |= {
        "redis_url": redis_url,
        # compose passes it as HAETAE_REDIS_PASSWORD; test replicas see no HAETAE_* variable
        "redis_password_file": str(password),
        "signing_key_file": str(signing),
        "verify_key_file": str(verify),
    }
    config["audit"] |= {
        "url": postgres_url,
        "spool": str(folder / "audit-spool.jsonl"),
        # compose mounts one signing key on both replicas; here both read one file
        "signing_key_file": str(audit_signing_key(folder.parent)),
    }
    config["identity"]["api_keys"]["file"] = str(keys)
    config["providers"]["openai"]["base_url"] = upstream
    # compose mounts the company CA from deploy/secrets/; each test replica gets its own
    ca_cert, ca_key = make_ca(folder / "proxy-ca")
    config["proxy"] |= {"listen": "127.0.0.1:0", "ca_cert": str(ca_cert), "ca_key": str(ca_key)}
    return config


def test_two_replicas_share_policy_keys_and_audit_trail(
    tmp_path: Path, upstream: ServerThread, postgres_url: str
) -> None:
    keys = tmp_path / "keys" / "keys.jsonl"
    keys.parent.mkdir()
    alice, _entry = KeyFile(keys).create("alice", ["eng"])
    password = tmp_path / "redis-password"
    password.write_text("example-deployment-redis-password\n", encoding="utf-8")
    redis = private_redis(tmp_path / "redis", "example-deployment-redis-password")
    with redis as server:
        specs = []
        for name in ("a", "b"):
            folder = tmp_path / name
            shared = (upstream.base_url, server.url, password, postgres_url, keys)
            specs.append((folder, replica_config(folder, *shared)))
        _run_both(specs, {"x-haetae-key": alice})


def _run_both(specs: list[tuple[Path, dict[str, Any]]], caller: dict[str, str]) -> None:
    with replicas(*specs, token=TOKEN) as (a, b):
        for replica in (a, b):
            status = ready(replica.base_url)
            assert status["http_status"] == 200, status
            # a poll that timed out on a loaded machine says "unreachable" until the next
            wait_for(lambda url=replica.base_url: ready(url)["redis"] == "ok", timeout=60)
            assert ready(replica.base_url)["audit"] == "ok"
        wait_for(lambda: ready(b.base_url)["policy_version"] == ready(a.base_url)["policy_version"])

        # One gateway key file, one audit trail: B's admin API sees what A recorded.
        assert _chat_as(a.base_url, caller).status_code == 200
        assert _chat_as(b.base_url, caller).status_code == 200
        # two requests, each an opening and a completion
        wait_for(lambda: len(_audit(b.base_url, user="alice")) == 4)

        # One active policy: activated on A, enforced by B.
        with httpx.Client(base_url=f"{a.base_url}/admin/v1", headers=ADMIN, timeout=10) as api:
            version = api.post("/policies", content=ENGINEERING_BLOCKED).json()["version"]
            # Four eyes (on by default): the uploader alone cannot activate it.
            assert api.post(f"/policies/{version}/activate").status_code == 403
            reviewer = {"authorization": f"Bearer {reviewer_token(TOKEN)}"}
            assert api.post(f"/policies/{version}/approve", headers=reviewer).status_code == 200
            assert api.post(f"/policies/{version}/activate").status_code == 200
        wait_for(lambda: ready(b.base_url)["policy_version"] == version)
        blocked = _chat_as(b.base_url, caller)
        assert blocked.status_code == 403 and "eng-no-openai" in blocked.text
        assert chat(b.base_url, "hello").status_code == 200  # anonymous: allowed, not eng

        metrics = httpx.get(f"{b.base_url}/metrics", timeout=5)
        assert metrics.status_code == 200 and "# TYPE" in metrics.text


def _chat_as(base_url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/openai/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]},
        headers={"authorization": "Bearer sk-test", **headers},
        timeout=10,
    )


def _audit(base_url: str, **filters: str) -> list[dict[str, Any]]:
    reply = httpx.get(f"{base_url}/admin/v1/audit", params=filters, headers=ADMIN, timeout=5)
    reply.raise_for_status()
    records: list[dict[str, Any]] = reply.json()["records"]
    return records
