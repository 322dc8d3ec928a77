"""Per-host certificates: what a client checks, and how many are made."""

from __future__ import annotations

import contextlib
import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from gateway.dev.testing.ca import make_ca
from gateway.errors import ConfigError
from gateway.proxy.certificates import CLOCK_SKEW, CompanyCA, LeafContexts


@pytest.fixture
def ca(tmp_path: Path) -> CompanyCA:
    return CompanyCA.from_files(*make_ca(tmp_path))


def leaf_of(context: ssl.SSLContext) -> x509.Certificate:
    """The certificate a context serves, read back through a real handshake in memory."""
    client = ssl.create_default_context()
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    server_in, server_out, client_in, client_out = (ssl.MemoryBIO() for _ in range(4))
    server = context.wrap_bio(server_in, server_out, server_side=True)
    peer = client.wrap_bio(client_in, client_out, server_hostname=None)
    for _ in range(10):
        for side in (peer, server):
            with contextlib.suppress(ssl.SSLWantReadError):  # waits for the other side
                side.do_handshake()
        server_in.write(client_out.read())
        client_in.write(server_out.read())
    der = peer.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def test_leaf_names_the_host_and_is_short_lived(ca: CompanyCA) -> None:
    leaves = LeafContexts(ca, datetime.timedelta(hours=24))
    leaf = leaf_of(leaves.context_for("API.OpenAI.com"))
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["api.openai.com"]
    assert leaf.issuer == ca.certificate.subject
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert lifetime == datetime.timedelta(hours=24) + CLOCK_SKEW
    assert leaf.not_valid_before_utc < datetime.datetime.now(datetime.UTC) - CLOCK_SKEW / 2
    constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca is False


def test_an_ip_address_gets_an_ip_san(ca: CompanyCA) -> None:
    leaf = leaf_of(LeafContexts(ca).context_for("10.1.2.3"))
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["10.1.2.3"]


def test_contexts_are_cached_per_host_and_bounded(ca: CompanyCA) -> None:
    leaves = LeafContexts(ca, capacity=2)
    first = leaves.context_for("a.example")
    assert leaves.context_for("a.example") is first
    leaves.context_for("b.example")
    leaves.context_for("c.example")  # evicts a.example, the least recently used
    assert leaves.minted == 3
    assert leaves.context_for("a.example") is not first
    assert leaves.minted == 4


def test_a_certificate_near_its_end_is_replaced(ca: CompanyCA) -> None:
    now = [datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)]
    leaves = LeafContexts(ca, datetime.timedelta(hours=24), clock=lambda: now[0])
    first = leaves.context_for("a.example")
    now[0] += datetime.timedelta(hours=17)
    assert leaves.context_for("a.example") is first
    now[0] += datetime.timedelta(hours=2)  # 19 h: inside the last quarter
    assert leaves.context_for("a.example") is not first
    assert leaves.minted == 2


def test_a_key_that_is_not_the_certificates_is_refused(tmp_path: Path) -> None:
    cert, _ = make_ca(tmp_path / "one")
    _, other_key = make_ca(tmp_path / "two")
    with pytest.raises(ConfigError, match="does not belong"):
        CompanyCA.from_files(cert, other_key)


def test_an_unreadable_key_is_refused_without_quoting_it(tmp_path: Path) -> None:
    cert, key = make_ca(tmp_path)
    key.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXZhbHVl\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError) as error:
        CompanyCA.from_files(cert, key)
    assert "c2VjcmV0" not in str(error.value)
