"""Who is calling through the proxy: Proxy-Authorization keys, trusted CONNECT headers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gateway.audit import AuditRecord
from gateway.identity.api_keys import KeyFile
from gateway.proxy.judge import HANDSHAKE_FAILED
from tests.proxy.support import ProxyStack, proxy_stack
from tests.support.polling import wait_for

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProxyStack, str]]:
    folder = tmp_path_factory.mktemp("proxy-identity")
    key, _ = KeyFile(folder / "keys.jsonl").create("alice", ["dev"])
    settings = {
        "identity.anonymous": "deny",
        "identity.api_keys.file": str(folder / "keys.jsonl"),
        "identity.trusted_headers.proxies": ["127.0.0.1/32"],
    }
    with proxy_stack(folder, settings) as proxied:
        yield proxied, key


def post(proxied: ProxyStack, proxy: httpx.Proxy | str, **headers: str) -> httpx.Response:
    with httpx.Client(proxy=proxy, verify=proxied.verify(), timeout=10) as http:
        return http.post(
            "https://api.openai.com/v1/chat/completions",
            json=CHAT,
            headers={"authorization": "Bearer sk-test", **headers},
        )


def test_without_credentials_the_caller_is_refused_in_provider_format(
    keyed: tuple[ProxyStack, str],
) -> None:
    proxied, _ = keyed
    reply = post(proxied, proxied.proxy_url)
    assert reply.status_code == 401
    assert "error" in reply.json()


def test_a_gateway_key_as_proxy_credentials(keyed: tuple[ProxyStack, str]) -> None:
    proxied, key = keyed
    reply = post(proxied, f"http://alice:{key}@127.0.0.1:{proxied.port}")
    assert reply.status_code == 200, reply.text
    record = proxied.stack.record(reply.headers["x-haetae-request-id"])
    assert record.user == "alice"
    received = proxied.stack.fake.received[-1]
    assert key not in str(received.headers)  # the gateway key never reaches the provider


def test_a_wrong_key_is_refused_not_downgraded(keyed: tuple[ProxyStack, str]) -> None:
    proxied, _ = keyed
    reply = post(proxied, f"http://alice:hk_wrong@127.0.0.1:{proxied.port}")
    assert reply.status_code == 401


def test_trusted_identity_comes_from_the_connect_request_only(
    keyed: tuple[ProxyStack, str],
) -> None:
    proxied, _ = keyed
    proxy = httpx.Proxy(proxied.proxy_url, headers={"X-Forwarded-User": "bob"})
    # inside the tunnel the user could write anything; only the CONNECT's header counts
    reply = post(proxied, proxy, **{"X-Forwarded-User": "mallory"})
    assert reply.status_code == 200, reply.text
    assert proxied.stack.record(reply.headers["x-haetae-request-id"]).user == "bob"
    forged = post(proxied, proxied.proxy_url, **{"X-Forwarded-User": "mallory"})
    assert forged.status_code == 401  # no identity on the CONNECT: anonymous, refused


def test_a_failed_handshake_of_a_known_caller_is_recorded(keyed: tuple[ProxyStack, str]) -> None:
    proxied, key = keyed
    proxied.stack.settled()
    before = len(proxied.stack.audit_tail(100))
    # trusts only the public roots: the handshake fails, as with certificate pinning
    with (
        httpx.Client(proxy=f"http://alice:{key}@127.0.0.1:{proxied.port}", timeout=5) as http,
        pytest.raises(httpx.ConnectError),
    ):
        http.get("https://api.openai.com/v1/models")
    with (
        httpx.Client(proxy=proxied.proxy_url, timeout=5) as anonymous,
        pytest.raises(httpx.ConnectError),
    ):
        anonymous.get("https://api.openai.com/v1/models")  # no identity: logged, not audited

    def recorded() -> AuditRecord | None:
        records = proxied.stack.audit_tail(100)
        return records[-1] if len(records) > before else None

    record = wait_for(recorded, 5, message="no record of the failed handshake")
    assert (record.user, record.provider, record.method) == ("alice", "openai", "CONNECT")
    assert record.error == HANDSHAKE_FAILED
    assert len(proxied.stack.audit_tail(100)) == before + 1
