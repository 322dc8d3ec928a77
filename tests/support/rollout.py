"""Rollout tests' shared pieces: policies, a gateway set up for rollout, admin calls."""

from __future__ import annotations

import contextlib
import functools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from gateway.app import Gateway
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.rollout.signing import generate_key_pair
from tests.support.stack import GatewayStack, gateway_stack

__all__ = [
    "ADMIN",
    "BASE_POLICY",
    "STRICT_POLICY",
    "TOKEN",
    "chat",
    "ready",
    "rollout_gateway",
    "rollout_keys",
    "rollout_stack",
    "with_internal_provider",
]

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


@contextlib.contextmanager
def rollout_stack(
    folder: Path,
    policy_text: str = BASE_POLICY,
    *,
    settings: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    **rollout: Any,
) -> Iterator[GatewayStack]:
    """``gateway_stack`` with the admin API (``ADMIN`` token) and quick file polling.

    ``rollout``: ``rollout.*`` settings (``redis_url=``, ``key_prefix=`` ...).
    Four eyes is off (``admin.four_eyes``): these gateways test the rollout's
    mechanics with one admin; tests/admin/ test the governance with four eyes on.
    A ``policy.yaml`` already in ``folder`` is kept (a restart sees the file as
    the last run left it); otherwise ``policy_text`` is written there.
    """
    policy = folder / "policy.yaml"
    overrides: dict[str, Any] = {
        "rollout.file_poll_interval": 0.05,
        "rollout.poll_interval": 0.2,
        "admin.four_eyes": False,
    }
    overrides |= {f"rollout.{key}": value for key, value in rollout.items()}
    if "redis_url" in rollout and not {"signing_key_file", "verify_key_file"} & set(rollout):
        # state in Redis is signed: replicas of one test share this process's key pair
        overrides["rollout.signing_key_file"] = str(rollout_keys()[0])
    overrides |= settings or {}
    variables = {"HAETAE_ADMIN_TOKEN": f"tester:{TOKEN}"} | (environ or {})
    with gateway_stack(
        folder,
        policy=policy if policy.exists() else None,
        policy_text=None if policy.exists() else policy_text,
        settings=overrides,
        environ=variables,
    ) as stack:
        yield stack


@contextlib.contextmanager
def rollout_gateway(
    folder: Path,
    policy_text: str = BASE_POLICY,
    *,
    settings: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    **rollout: Any,
) -> Iterator[tuple[ServerThread, Gateway, FakeUpstream]]:
    """``rollout_stack`` as the tuple (gateway server, app, fake provider)."""
    with rollout_stack(folder, policy_text, settings=settings, environ=environ, **rollout) as s:
        yield s.server, s.app, s.fake


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
