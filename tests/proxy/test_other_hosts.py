"""Hosts that are not AI APIs: relayed untouched or refused; AI web apps get a block page."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from gateway.dev.testing import ServerThread
from tests.proxy.support import connect, proxy_stack


async def plain_site(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    """A site that is not an AI service: says hello, with the path it was asked."""
    if scope["type"] != "http":
        return
    body = f"hello from {scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def test_other_hosts_are_tunnelled_untouched(tmp_path: Path) -> None:
    with ServerThread(plain_site) as site:
        port = int(site.base_url.rsplit(":", 1)[1])
        with proxy_stack(tmp_path, {"proxy.tunnel_ports": [port]}) as proxied:
            request = f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode()
            sock, head = connect(proxied.port, request)
            with sock:
                assert head.startswith(b"HTTP/1.1 200")
                sock.sendall(b"GET /untouched HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := sock.recv(4096):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 200")
            assert b"hello from /untouched" in answer
            # the gateway's pipeline never saw it
            assert proxied.stack.fake.received == []
            assert proxied.stack.audit_tail() == []


def test_tunnels_only_to_the_allowed_ports(tmp_path: Path) -> None:
    with proxy_stack(tmp_path) as proxied:  # tunnel_ports: [443]
        sock, head = connect(proxied.port, b"CONNECT 127.0.0.1:25 HTTP/1.1\r\n\r\n")
        sock.close()
    assert head.startswith(b"HTTP/1.1 403")


def test_other_hosts_denied(tmp_path: Path) -> None:
    with proxy_stack(tmp_path, {"proxy.other_hosts": "deny"}) as proxied:
        sock, head = connect(
            proxied.port,
            b"CONNECT example.com:443 HTTP/1.1\r\nAccept-Language: ko-KR\r\n\r\n",
        )
        sock.close()
        assert head.startswith(b"HTTP/1.1 403")
        with httpx.Client(proxy=proxied.proxy_url, timeout=5) as http:
            with pytest.raises(httpx.ProxyError, match="403"):
                http.get("https://example.com/")
            plain = http.get("http://example.com/", headers={"accept-language": "ko"})
        assert plain.status_code == 403
        assert "평문 HTTP" in plain.text  # the refusal in the reader's language first


@pytest.mark.parametrize(
    ("language", "title"),
    [("ko-KR,ko;q=0.9", "회사 정책에 따라 차단되었습니다"), ("en-US", "Blocked by company policy")],
)
def test_ai_web_apps_get_a_block_page(tmp_path: Path, language: str, title: str) -> None:
    with proxy_stack(tmp_path) as proxied, proxied.client() as browser:
        page = browser.get(
            "https://chatgpt.com/", headers={"accept": "text/html", "accept-language": language}
        )
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert title in page.text
    assert "ChatGPT" in page.text
    assert "no-uninspectable-web-apps" in page.text  # the rule that refused it
    assert "chatgpt" in page.text  # the policy's own message names the app
    assert proxied.stack.fake.received == []


TRUSTS_COPILOT = """
policy: trusts-copilot
rules:
  - id: no-uninspectable-web-apps
    when: { web_app: true }
    unless: { web_app: [copilot] }
    action: block
"""


def test_a_web_app_the_policy_allows_is_relayed_and_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = {"proxy.other_hosts": "deny"}  # web apps are the policy's business, not this
    with (
        caplog.at_level(logging.INFO, "haetae.proxy"),
        proxy_stack(tmp_path, settings, policy_text=TRUSTS_COPILOT) as proxied,
    ):
        request = b"CONNECT copilot.microsoft.com:443 HTTP/1.1\r\nUser-Agent: Edge\r\n\r\n"
        sock, head = connect(proxied.port, request, timeout=15)
        sock.close()
        (record,) = proxied.stack.audit_tail()
    # offline, the host does not resolve: the relay is attempted and fails cleanly
    assert head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 502"))
    assert "tunnel host=copilot.microsoft.com port=443" in caplog.text
    assert (record.provider, record.api, record.decision) == ("copilot", "web_app", "allow")
    assert record.host == "copilot.microsoft.com"
    assert record.method == "CONNECT"


def test_a_refused_web_app_connection_is_recorded_with_its_rule(tmp_path: Path) -> None:
    with (
        proxy_stack(tmp_path, policy_text=TRUSTS_COPILOT) as proxied,
        proxied.client() as browser,
    ):
        page = browser.get("https://claude.ai/new", headers={"accept-language": "en"})
        page_again = browser.get("https://claude.ai/other")
        (record,) = proxied.stack.audit_tail()  # one connection, one decision
    assert page.status_code == page_again.status_code == 403
    assert (record.provider, record.api, record.decision) == ("claude", "web_app", "block")
    assert record.rule_ids == ["no-uninspectable-web-apps"]
    assert record.request_id in page.text


def test_a_client_that_rejects_the_ca_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "haetae.proxy"), proxy_stack(tmp_path) as proxied:
        # trusts only the public roots, as a client with certificate pinning would
        with (
            httpx.Client(proxy=proxied.proxy_url, timeout=5) as http,
            pytest.raises(httpx.ConnectError),
        ):
            http.get("https://api.openai.com/v1/models")
        assert proxied.stack.fake.received == []
    assert "TLS handshake failed host=api.openai.com" in caplog.text
    assert "does not trust the company CA" in caplog.text or "rejected" in caplog.text


def test_a_handshake_naming_another_host_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "haetae.proxy"), proxy_stack(tmp_path) as proxied:
        sock, head = connect(proxied.port, b"CONNECT api.openai.com:443 HTTP/1.1\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        context = ssl.create_default_context(cafile=str(proxied.ca))
        context.check_hostname = False
        with sock, pytest.raises(ssl.SSLError):
            context.wrap_socket(sock, server_hostname="bank.example").close()
        assert proxied.stack.fake.received == []
    assert "reason=the client named another host (SNI)" in caplog.text


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize(("flag", "version"), [("--http1.1", "1.1"), ("--http2", "2")])
def test_curl_through_the_proxy(tmp_path: Path, flag: str, version: str) -> None:
    with proxy_stack(tmp_path) as proxied:
        run = subprocess.run(
            [
                "curl", "-sS", flag, "--max-time", "10", "-x", proxied.proxy_url,
                "--cacert", str(proxied.ca), "-H", "Authorization: Bearer sk-test",
                "-w", "\n%{http_version}", "https://api.openai.com/v1/models",
            ],
            capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert len(proxied.stack.fake.received) == 1
    body, _, used = run.stdout.rpartition("\n")
    assert '"data"' in body
    assert used == version


def test_heads_that_never_end_or_grow_too_large_are_cut_off(tmp_path: Path) -> None:
    with proxy_stack(tmp_path, {"proxy.handshake_timeout": 0.5}) as proxied:
        sock, head = connect(proxied.port, b"CONNECT api.openai.com:443 HTTP/1.1\r\nX-A: 1")
        sock.close()
        assert head == b""  # closed after the timeout, with nothing said
        sock, head = connect(proxied.port, b"GET http://a/ HTTP/1.1\r\nX: " + b"a" * 20_000)
        sock.close()
        assert head.startswith(b"HTTP/1.1 431")
        sock, head = connect(proxied.port, b"CONNECT nonsense HTTP/1.1\r\n\r\n")
        sock.close()
        assert head.startswith(b"HTTP/1.1 400")
