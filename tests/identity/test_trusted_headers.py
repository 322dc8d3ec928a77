"""Identity headers count only from configured proxies; otherwise stripped and reported."""

from __future__ import annotations

import logging

from gateway.identity.trusted_headers import TrustedHeaders
from gateway.settings import TrustedHeaderSettings
from tests.support.identity import exchange

HEADERS = {"x-forwarded-user": "alice", "x-forwarded-groups": "eng, legal,,eng", "accept": "*/*"}


def trusted(**settings) -> TrustedHeaders:
    return TrustedHeaders(TrustedHeaderSettings(proxies=["10.0.0.0/8", "fd00::/8"], **settings))


def test_a_trusted_proxy_names_the_user_and_groups() -> None:
    ex = exchange(HEADERS, address="10.1.2.3")
    identity = trusted().take(ex)
    assert identity is not None
    assert (identity.user, identity.groups) == ("alice", ("eng", "legal"))
    assert ex.headers == [(b"accept", b"*/*")]  # never forwarded upstream
    assert ex.ignored_identity_headers == ()


def test_ipv6_and_ipv4_mapped_proxies() -> None:
    assert trusted().take(exchange(HEADERS, address="fd00::1")) is not None
    assert trusted().take(exchange(HEADERS, address="::ffff:10.0.0.7")) is not None


def test_from_anywhere_else_they_are_ignored_stripped_and_reported(caplog) -> None:
    ex = exchange(HEADERS, address="192.168.1.50")
    with caplog.at_level(logging.WARNING, logger="haetae.identity"):
        assert trusted().take(ex) is None
    assert ex.headers == [(b"accept", b"*/*")]
    assert ex.ignored_identity_headers == ("X-Forwarded-User", "X-Forwarded-Groups")
    assert "X-Forwarded-User" in caplog.text and "192.168.1.50" in caplog.text
    assert "alice" not in caplog.text and "legal" not in caplog.text


def test_no_proxies_configured_means_never_trusted() -> None:
    headers = TrustedHeaders(TrustedHeaderSettings())
    ex = exchange(HEADERS, address="127.0.0.1")
    assert headers.take(ex) is None
    assert ex.ignored_identity_headers == ("X-Forwarded-User", "X-Forwarded-Groups")


def test_configured_header_names_and_separator() -> None:
    headers = trusted(user="X-Auth-Email", groups="X-Auth-Roles", groups_separator=";")
    ex = exchange({"x-auth-email": "bob@corp", "x-auth-roles": "a;b"}, address="10.0.0.1")
    identity = headers.take(ex)
    assert identity is not None and (identity.user, identity.groups) == ("bob@corp", ("a", "b"))


def test_groups_without_a_user_name_nobody() -> None:
    ex = exchange({"x-forwarded-groups": "admins"}, address="10.0.0.1")
    assert trusted().take(ex) is None
    assert ex.headers == []


def test_requests_without_the_headers_are_untouched() -> None:
    ex = exchange({"accept": "*/*"}, address="192.168.1.50")
    assert trusted().take(ex) is None
    assert ex.ignored_identity_headers == ()
