"""The front's parts that need no server: credentials, authorities, settings, the web-app table."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.providers.catalog import host_allowed, load_catalog
from gateway.providers.webapps import load_web_apps, web_app_for
from gateway.proxy.front import proxy_key
from gateway.proxy.listener import _absolute_target, _authority
from gateway.settings import load_settings


def basic(pair: str) -> bytes:
    return b"Basic " + base64.b64encode(pair.encode())


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (b"Bearer hk_live_123", b"hk_live_123"),
        (b"bearer   hk_live_123 ", b"hk_live_123"),
        (basic("alice:hk_live_123"), b"hk_live_123"),  # the key as the password
        (basic("hk_live_123:"), b"hk_live_123"),  # or as the user name
        (basic("hk_live_123"), b"hk_live_123"),
        (b"Basic !!!notbase64", None),
        (b"Digest username=alice", None),
        (b"Bearer", None),
        (b"", None),
    ],
)
def test_proxy_authorization(value: bytes, key: bytes | None) -> None:
    assert proxy_key(value) == key


@pytest.mark.parametrize(
    ("target", "authority"),
    [
        (b"api.openai.com:443", ("api.openai.com", 443)),
        (b"API.OpenAI.com:8443", ("api.openai.com", 8443)),
        (b"[2001:db8::1]:443", ("2001:db8::1", 443)),
        (b"10.0.0.1:443", ("10.0.0.1", 443)),
        (b"api.openai.com", None),  # no port
        (b"api.openai.com:0", None),
        (b"api.openai.com:99999", None),
        (b"user@api.openai.com:443", None),
        (b"http://api.openai.com:443", None),
        (b":443", None),
    ],
)
def test_connect_authorities(target: bytes, authority: tuple[str, int] | None) -> None:
    assert _authority(target) == authority


def test_absolute_targets() -> None:
    plain = _absolute_target(b"http://API.openai.com/v1/models")
    assert plain is not None and (plain.host, plain.port, plain.tunnelled) == (
        "api.openai.com",
        80,
        False,
    )
    assert _absolute_target(b"/v1/models") is None
    assert _absolute_target(b"http://:80/") is None


def test_proxy_settings() -> None:
    with pytest.raises(ConfigError, match=r"needs proxy\.ca_cert"):
        load_settings(environ={}, overrides={"proxy.listen": "127.0.0.1:3128"})
    with pytest.raises(ConfigError, match="must be host:port"):
        load_settings(environ={}, overrides={"proxy.pac_address": "proxy.corp"})
    settings = load_settings(
        environ={"HAETAE_PROXY__LISTEN": "[::1]:3128"},
        overrides={"proxy.ca_cert": "ca.pem", "proxy.ca_key": "ca-key.pem"},
    )
    assert settings.proxy.address() == ("::1", 3128)
    assert settings.proxy.ca_cert == Path("ca.pem")


def test_web_apps_are_data_with_sources_and_never_an_inspected_api() -> None:
    apps = load_web_apps()
    assert {"chatgpt", "claude", "gemini", "deepseek-chat", "copilot", "perplexity"} <= {
        a.id for a in apps
    }
    catalog_hosts = [h for entry in load_catalog().values() for h in entry.hosts]
    for app in apps:
        assert app.source.startswith("https://")
        for host in app.hosts:
            # a web app's host is never an API host: that one is intercepted and inspected
            assert not host_allowed(host.replace("*", "x"), catalog_hosts), host
    assert web_app_for("chatgpt.com") is not None
    assert web_app_for("www.chatgpt.com") is not None
    assert web_app_for("notchatgpt.com") is None
