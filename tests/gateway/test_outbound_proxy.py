"""forward.proxy: providers reached through the company's forward proxy, as configured."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from proxy_helpers import LoopbackProxy

from gateway.app import build_app
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.errors import ConfigError
from gateway.providers.catalog import load_catalog
from gateway.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "mail kim@example.com"}]}


@contextlib.contextmanager
def gateway_behind(
    proxy: LoopbackProxy, folder: Path, transport: str, no_proxy: list[str] | None = None
) -> Iterator[tuple[ServerThread, FakeUpstream]]:
    fake = FakeUpstream()
    with ServerThread(fake) as upstream:
        overrides = {f"providers.{pid}.base_url": upstream.base_url for pid in load_catalog()}
        overrides |= {
            "policy": str(ROOT / "policies" / "default.yaml"),
            "audit.url": f"sqlite:///{folder / 'audit.db'}",
            "forward.transport": transport,
            "forward.proxy": f"http://egress:s3cret@127.0.0.1:{proxy.port}",
            "forward.no_proxy": no_proxy or [],
        }
        app = build_app(load_settings(environ={}, overrides=overrides), environ={})
        with ServerThread(app, lifespan="on") as gateway:
            yield gateway, fake


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_requests_go_through_the_proxy_with_its_credentials(tmp_path: Path, transport: str) -> None:
    with LoopbackProxy() as proxy, gateway_behind(proxy, tmp_path, transport) as (gateway, fake):
        reply = httpx.post(
            gateway.url("/openai/v1/chat/completions"), content=orjson.dumps(CHAT), timeout=10
        )
        assert reply.status_code == 200, reply.text
        assert "<EMAIL_ADDRESS>" in reply.text  # scanned and redacted before it left
    (relayed,) = proxy.relayed
    assert relayed.method == "POST"
    assert relayed.target.endswith("/v1/chat/completions")
    assert relayed.target.startswith("http://127.0.0.1:")  # absolute-form: via the proxy
    assert relayed.headers["proxy-authorization"] == "Basic ZWdyZXNzOnMzY3JldA=="
    assert len(fake.received) == 1
    assert "proxy-authorization" not in fake.received[0].headers


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_no_proxy_hosts_are_reached_directly(tmp_path: Path, transport: str) -> None:
    with (
        LoopbackProxy() as proxy,
        gateway_behind(proxy, tmp_path, transport, no_proxy=["127.0.0.*"]) as (gateway, fake),
    ):
        reply = httpx.post(
            gateway.url("/openai/v1/chat/completions"), content=orjson.dumps(CHAT), timeout=10
        )
        assert reply.status_code == 200, reply.text
    assert proxy.relayed == []
    assert len(fake.received) == 1


def test_a_malformed_proxy_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError, match=r"forward\.proxy must be") as error:
        load_settings(environ={}, overrides={"forward.proxy": "socks5://u:hunter2@proxy:1080"})
    assert "hunter2" not in str(error.value)
