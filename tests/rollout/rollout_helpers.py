"""Shared by the rollout tests: policies, a gateway with a rollout set-up, Redis facts.

A module of its own, not conftest: `from conftest import` picks whichever
conftest was imported first when several test folders run together.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from gateway.app import Gateway, build_app
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.providers.catalog import load_catalog
from gateway.rollout.signing import generate_key_pair
from gateway.settings import load_settings

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
TOKEN = "rollout-admin-token-0001"
ADMIN = {"authorization": f"Bearer {TOKEN}"}

BASE_POLICY = """\
policy: base
rules:
  - id: no-cn
    when: { provider.jurisdiction: [CN] }
    action: block
  - id: redact-email
    when: { entities: [EMAIL_ADDRESS] }
    action: redact
"""

#: BASE plus a rule that blocks Korean resident registration numbers (a newly scanned type)
STRICT_POLICY = (
    BASE_POLICY
    + """\
  - id: block-rrn
    when: { entities: [KR_RRN] }
    action: block
"""
)


def with_internal_provider(base_url: str, jurisdiction: str = "KR") -> str:
    """BASE_POLICY plus a provider the catalog does not have, served by ``base_url``."""
    return BASE_POLICY + (
        "providers:\n"
        "  internal-llm:\n"
        "    family: openai\n"
        f"    base_url: {base_url}\n"
        "    operator: Example Corp IT\n"
        f"    jurisdiction: {jurisdiction}\n"
        "    regions: [KR]\n"
    )


@functools.cache
def rollout_keys() -> tuple[Path, Path]:
    """One rollout key pair (signing, verify) for every gateway of this test process.

    Replicas of one fleet share it, as in production; a test that needs another
    key (a forger's, a rotation) makes its own with ``generate_key_pair``.
    """
    return generate_key_pair(Path(tempfile.mkdtemp(prefix="haetae-rollout-keys-")))


def redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5):
            return True
    except OSError:
        return False


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, step: float = 0.02) -> Any:
    """Poll until ``condition()`` is truthy; fail after ``timeout`` (a bound, not a check)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(step)


@contextlib.contextmanager
def rollout_gateway(
    folder: Path,
    policy_text: str = BASE_POLICY,
    *,
    settings: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    **rollout: Any,
) -> Iterator[tuple[ServerThread, Gateway, FakeUpstream]]:
    """A gateway (lifespan on) with its own policy file, audit log and fake provider.

    ``settings``: more dotted overrides (``{upstream}`` in a value is the fake provider's
    URL); ``environ``: variables the gateway sees.
    """
    folder.mkdir(parents=True, exist_ok=True)
    policy = folder / "policy.yaml"
    if not policy.exists():
        policy.write_text(policy_text, encoding="utf-8")
    fake = FakeUpstream()
    with ServerThread(fake) as upstream:
        overrides: dict[str, Any] = {
            f"providers.{pid}.base_url": upstream.base_url for pid in load_catalog()
        }
        overrides |= {
            "policy": str(policy),
            "audit.url": f"sqlite:///{folder / 'audit.db'}",
            "rollout.file_poll_interval": 0.05,
            "rollout.poll_interval": 0.2,
        }
        overrides |= {f"rollout.{key}": value for key, value in rollout.items()}
        if "redis_url" in rollout and not {"signing_key_file", "verify_key_file"} & set(rollout):
            overrides["rollout.signing_key_file"] = str(rollout_keys()[0])
        overrides |= {  # "{upstream}" in a setting stands for the fake provider's URL
            key: value.replace("{upstream}", upstream.base_url) if isinstance(value, str) else value
            for key, value in (settings or {}).items()
        }
        loaded = load_settings(environ={}, overrides=overrides)
        variables = {"HAETAE_ADMIN_TOKEN": f"tester:{TOKEN}"} | (environ or {})
        app = build_app(loaded, environ=variables)
        with ServerThread(app, lifespan="on") as gateway:
            yield gateway, app, fake


def chat(base_url: str, text: str, provider: str = "openai") -> httpx.Response:
    return httpx.post(
        f"{base_url}/{provider}/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": text}]},
        headers={"authorization": "Bearer sk-test"},
        timeout=10,
    )


def ready(base_url: str) -> dict[str, Any]:
    reply = httpx.get(f"{base_url}/readyz", timeout=5)
    body: dict[str, Any] = reply.json()
    body["http_status"] = reply.status_code
    return body
