"""forward.ca_bundle: providers whose certificates a private CA signed (a TLS-inspecting
egress proxy, an in-house model server) are reached only when that CA is trusted."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.dev.testing.ca import issue_certificate, make_ca
from gateway.errors import ConfigError
from gateway.upstream.tls import upstream_ssl_context
from tests.support.stack import gateway_stack

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_a_provider_behind_a_private_ca(tmp_path: Path, transport: str) -> None:
    ca, ca_key = make_ca(tmp_path / "ca", "Corp Egress CA")
    cert, key = issue_certificate(ca, ca_key, "127.0.0.1", tmp_path / "server")
    tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    fake = FakeUpstream()
    with ServerThread(fake, tls=tls) as provider:
        for bundle, expected in ((None, 502), (str(ca), 200)):
            settings = {
                "forward.transport": transport,
                "providers.openai.base_url": provider.base_url,
                "forward.ca_bundle": bundle,
            }
            with gateway_stack(tmp_path / f"gw-{expected}", settings=settings) as stack:
                reply = httpx.post(
                    stack.url("/openai/v1/chat/completions"), content=orjson.dumps(CHAT), timeout=10
                )
            assert reply.status_code == expected, reply.text
    assert len(fake.received) == 1  # only the gateway that trusts the CA got through


def test_a_bundle_that_is_not_pem_stops_start_up(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("not a certificate")
    with pytest.raises(ConfigError, match="holds no PEM certificate"):
        upstream_ssl_context(bundle)
    with pytest.raises(ConfigError, match="does not exist"):
        upstream_ssl_context(tmp_path / "missing.pem")
    assert upstream_ssl_context(None) is None
