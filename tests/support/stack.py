"""A real gateway in front of a fake provider, both on loopback: the stack most tests need.

    with gateway_stack(tmp_path, policy_text=POLICY, settings={"timeouts.read": 0.5}) as stack:
        reply = httpx.post(stack.url("/openai/v1/chat/completions"), json=body)
        assert stack.fake.received == []
        assert stack.record(reply.headers["x-haetae-request-id"]).decision == "block"

The gateway is built by ``gateway.app.build_app`` from settings alone (no
environment variable reaches it unless passed in ``environ``), serves with its
lifespan on, and writes its audit log under ``folder``. Every catalogued
provider points at the fake provider. Both servers stop when the block ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.app import Gateway, build_app
from gateway.audit import AuditRecord, open_audit_store
from gateway.audit.phases import ended_request
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.providers.catalog import load_catalog
from gateway.settings import Settings, load_settings
from tests.support.polling import wait_for

if TYPE_CHECKING:
    from gateway.telemetry import Telemetry

__all__ = [
    "DEFAULT_POLICY",
    "ROOT",
    "UNREACHABLE",
    "GatewayStack",
    "fake_provider_settings",
    "gateway_stack",
]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POLICY = ROOT / "policies" / "default.yaml"
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback
_UPSTREAM = "{upstream}"  # in policy text and setting values: the fake provider's URL


@dataclass
class GatewayStack:
    """A running gateway (``server``, ``app``) and the fake provider behind it."""

    server: ServerThread
    app: Gateway
    fake: FakeUpstream
    upstream: ServerThread
    folder: Path
    audit_url: str

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def url(self, path: str = "") -> str:
        """The gateway's URL for ``path``."""
        return self.server.url(path)

    def audit_tail(self, limit: int = 20) -> list[AuditRecord]:
        """The newest audit records, read as the CLI reads them (oldest first)."""
        return open_audit_store(self.audit_url).tail(limit)

    def settled(self) -> None:
        """Wait until the store holds every record appended so far: a forwarded request's
        opening is durable in the journal when it leaves, and in the store after the
        writer's next batch (within its 20 ms linger)."""
        store: Any = self.app.audit  # the threaded store's count, through telemetry's wrapper
        wait_for(lambda: store.uncommitted == 0 or None, 5.0, message="uncommitted")

    def record(self, request_id: str, timeout: float = 5.0) -> AuditRecord:
        """The audit record of one request, its opening and completion merged for a
        forwarded one. The completion is written when the answer ends, just after the
        client has it, so this waits (up to ``timeout``)."""

        def found() -> AuditRecord | None:
            return ended_request(self.audit_tail(50), request_id)

        return wait_for(found, timeout, message=f"no audit record for request {request_id}")


def fake_provider_settings(base_url: str) -> dict[str, Any]:
    """Settings that send every catalogued provider to ``base_url``."""
    return {f"providers.{pid}.base_url": base_url for pid in load_catalog()}


@contextlib.contextmanager
def gateway_stack(
    folder: Path,
    *,
    policy: Path | None = None,
    policy_text: str | None = None,
    settings: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    telemetry: Telemetry | None = None,
    fake: FakeUpstream | None = None,
    catalog_to_fake: bool = True,
    tls: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
) -> Iterator[GatewayStack]:
    """Start a fake provider and a gateway in front of it; stop both on leaving.

    ``policy``: a policy file (default: the shipped ``policies/default.yaml``);
    ``policy_text``: the policy itself, written to ``folder/policy.yaml``.
    ``settings``: dotted overrides, applied last (``"audit.url"``, ``"timeouts.read"``,
    ``"rollout.redis_url"`` ...). In ``policy_text`` and in string settings,
    ``{upstream}`` stands for the fake provider's URL.
    ``environ``: the only variables the gateway sees (keys, tokens).
    ``catalog_to_fake=False`` leaves the catalog's real hosts in place.
    ``tls``: the gateway serves HTTPS with these uvicorn options (``server.tls_options``).
    ``config_file``: a settings file under the overrides, read again on a settings reload.
    """
    if policy is not None and policy_text is not None:
        raise ValueError("give the policy as a file or as text, not both")
    folder.mkdir(parents=True, exist_ok=True)
    fake = fake if fake is not None else FakeUpstream()
    with ServerThread(fake) as upstream:
        if policy_text is not None:
            policy = folder / "policy.yaml"
            policy.write_text(policy_text.replace(_UPSTREAM, upstream.base_url), encoding="utf-8")
        overrides = fake_provider_settings(upstream.base_url) if catalog_to_fake else {}
        overrides |= {
            "policy": str(policy or DEFAULT_POLICY),
            "audit.url": f"sqlite:///{folder / 'audit.db'}",
        }
        overrides |= {
            key: value.replace(_UPSTREAM, upstream.base_url) if isinstance(value, str) else value
            for key, value in (settings or {}).items()
        }

        def read_settings() -> Settings:
            return load_settings(config_file, environ={}, overrides=overrides)

        app = build_app(
            read_settings(),
            environ=dict(environ or {}),
            telemetry=telemetry,
            reload_settings=read_settings,
        )
        with ServerThread(app, lifespan="on", tls=tls) as server:
            yield GatewayStack(server, app, fake, upstream, folder, str(overrides["audit.url"]))
