"""listen.tls_*: HTTPS on the gateway's own listener, and client certificates as identity."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.dev.testing.ca import issue_certificate, make_ca
from gateway.errors import ConfigError
from gateway.server import tls_options
from gateway.settings import load_settings
from tests.support.stack import GatewayStack, gateway_stack

#: how a handshake the server refused shows up in httpx, by TLS version and timing
TLS_REFUSED = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)
CHAT = orjson.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})


@dataclass
class Pki:
    ca: Path
    server: tuple[Path, Path]
    alice: tuple[Path, Path]  # a client certificate: CN=alice, OU=dev, OU=ml
    stranger: tuple[Path, Path]  # signed by another CA


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca, key = make_ca(folder / "ca", "Corp Internal CA")
    other_ca, other_key = make_ca(folder / "other", "Someone Else")
    return Pki(
        ca,
        issue_certificate(ca, key, "127.0.0.1", folder / "server"),
        issue_certificate(ca, key, "alice", folder / "clients", units=("dev", "ml")),
        issue_certificate(other_ca, other_key, "mallory", folder / "strangers"),
    )


def listen(pki: Pki, **extra: object) -> dict[str, object]:
    return {
        "listen.tls_cert": str(pki.server[0]),
        "listen.tls_key": str(pki.server[1]),
        "listen.tls_client_ca": str(pki.ca),
        **{f"listen.{k}": v for k, v in extra.items()},
    }


@contextlib.contextmanager
def tls_gateway(folder: Path, settings: dict[str, object]) -> Iterator[GatewayStack]:
    """The gateway serving HTTPS exactly as ``haetae serve`` would with ``settings``."""
    options = tls_options(load_settings(environ={}, overrides=settings).listen)
    with gateway_stack(folder, settings=settings, tls=options) as stack:
        yield stack


def client(pki: Pki, certificate: tuple[Path, Path] | None) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(pki.ca))
    if certificate is not None:
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return httpx.Client(verify=context, timeout=10)


def test_https_with_client_certificates_as_identity(tmp_path: Path, pki: Pki) -> None:
    settings = listen(pki) | {"identity.anonymous": "deny"}
    with tls_gateway(tmp_path, settings) as stack:
        assert stack.base_url.startswith("https://")
        url = stack.url("/openai/v1/chat/completions")
        with client(pki, pki.alice) as alice:
            reply = alice.post(url, content=CHAT)
        assert reply.status_code == 200, reply.text
        record = stack.record(reply.headers["x-haetae-request-id"])
        assert (record.user, record.groups) == ("alice", ["dev", "ml"])
        with client(pki, None) as anonymous:  # optional: no certificate, no identity
            refused = anonymous.post(url, content=CHAT)
        assert refused.status_code == 401
        # a certificate the CA did not sign: TLS 1.3 reports it on the first read
        with pytest.raises(TLS_REFUSED), client(pki, pki.stranger) as stranger:
            stranger.post(url, content=CHAT)
        with pytest.raises(httpx.RemoteProtocolError):  # plain HTTP to the TLS port
            httpx.post(url.replace("https://", "http://"), content=CHAT, timeout=5)


def test_client_certificates_required(tmp_path: Path, pki: Pki) -> None:
    with tls_gateway(tmp_path, listen(pki, tls_client_required=True)) as stack:
        url = stack.url("/healthz")
        with client(pki, pki.alice) as alice:
            assert alice.get(url).status_code == 200
        with pytest.raises(TLS_REFUSED), client(pki, None) as anonymous:
            anonymous.get(url)


def test_tls_settings_go_together() -> None:
    with pytest.raises(ConfigError, match="go together"):
        load_settings(environ={}, overrides={"listen.tls_cert": "cert.pem"})
    with pytest.raises(ConfigError, match=r"needs listen\.tls_client_ca"):
        load_settings(
            environ={},
            overrides={
                "listen.tls_cert": "c.pem",
                "listen.tls_key": "k.pem",
                "listen.tls_client_required": True,
            },
        )
    plain = load_settings(environ={})
    assert tls_options(plain.listen) == {}
