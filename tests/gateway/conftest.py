"""A real gateway and a fake provider, both on loopback, shared by the e2e tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.app import Gateway, build_app
from gateway.audit import open_audit_store
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.providers.catalog import load_catalog
from gateway.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens on loopback
READ_TIMEOUT = 2.0
INJECTED_KEY = "gateway-held-key-123"


@dataclass
class Stack:
    gateway: ServerThread
    app: Gateway
    fake: FakeUpstream
    audit_url: str

    def url(self, path: str) -> str:
        return self.gateway.url(path)

    def audit_tail(self, limit: int = 10):
        store = open_audit_store(self.audit_url)
        return store.tail(limit)


@pytest.fixture(scope="session", params=["aiohttp", "httpx"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Every end-to-end test runs once per upstream client."""
    fake = FakeUpstream()
    audit_db = tmp_path_factory.mktemp("audit") / "audit.db"
    with ServerThread(fake) as upstream:
        overrides = {f"providers.{pid}.base_url": upstream.base_url for pid in load_catalog()}
        overrides["providers.mistral.base_url"] = UNREACHABLE
        overrides |= {
            "policy": str(ROOT / "policies" / "default.yaml"),
            "audit.url": f"sqlite:///{audit_db}",
            "timeouts.read": READ_TIMEOUT,
            "forward.transport": request.param,
            "limits.max_body_bytes": 256 * 1024,
            "detection.offload_threshold_chars": 8192,
            "providers.upstage.credentials.mode": "inject",
            "providers.upstage.credentials.env": "UPSTAGE_KEY_FOR_TESTS",
            "providers.gemini.credentials.mode": "inject",
            "providers.gemini.credentials.env": "GEMINI_KEY_FOR_TESTS",
        }
        keys = {"UPSTAGE_KEY_FOR_TESTS": INJECTED_KEY, "GEMINI_KEY_FOR_TESTS": INJECTED_KEY}
        app = build_app(load_settings(environ={}, overrides=overrides), environ=keys)
        with ServerThread(app, lifespan="on") as gateway:
            yield Stack(gateway, app, fake, f"sqlite:///{audit_db}")


@contextlib.contextmanager
def custom_gateway(
    policy: Path, folder: Path, environ: dict[str, str] | None = None
) -> Iterator[tuple[ServerThread, FakeUpstream]]:
    """A gateway with its own policy in front of its own fake provider."""
    fake = FakeUpstream()
    with ServerThread(fake) as upstream:
        overrides = {f"providers.{pid}.base_url": upstream.base_url for pid in load_catalog()}
        overrides |= {"policy": str(policy), "audit.url": f"sqlite:///{folder / 'audit.db'}"}
        app = build_app(load_settings(environ={}, overrides=overrides), environ=environ or {})
        with ServerThread(app, lifespan="on") as gateway:
            yield gateway, fake


@pytest.fixture
def fake(stack: Stack) -> FakeUpstream:
    stack.fake.reset()
    return stack.fake
