"""forward.proxy: providers reached through the company's forward proxy, as configured."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.errors import ConfigError
from gateway.settings import load_settings
from tests.gateway.proxy_helpers import LoopbackProxy
from tests.support.stack import gateway_stack

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "mail kim@example.com"}]}


@contextlib.contextmanager
def gateway_behind(
    proxy: LoopbackProxy, folder: Path, transport: str, no_proxy: list[str] | None = None
) -> Iterator[tuple[ServerThread, FakeUpstream]]:
    settings = {
        "forward.transport": transport,
        "forward.proxy": f"http://egress:s3cret@127.0.0.1:{proxy.port}",
        "forward.no_proxy": no_proxy or [],
    }
    with gateway_stack(folder, settings=settings) as stack:
        yield stack.server, stack.fake


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
