"""Identify and Admit together: which method wins, and that failures never fall back."""

from __future__ import annotations

import asyncio

import pytest

from gateway.identity import Admit, Identify
from gateway.identity.api_keys import KeyFile
from gateway.identity.errors import Unauthenticated
from gateway.settings import IdentitySettings
from tests.support.identity import exchange

PROXY = {"x-forwarded-user": "from-proxy", "x-forwarded-groups": "ops"}


def settings(keys: KeyFile, **extra) -> IdentitySettings:
    return IdentitySettings.model_validate(
        {"api_keys": {"file": str(keys.path)}, "trusted_headers": {"proxies": ["10.0.0.0/8"]}}
        | extra
    )


def run(identify: Identify, admit: Admit, ex) -> None:
    asyncio.run(identify(ex))
    asyncio.run(admit(ex))


@pytest.fixture
def keys(tmp_path) -> KeyFile:
    return KeyFile(tmp_path / "keys.jsonl")


def test_a_key_wins_over_proxy_headers(keys) -> None:
    key, _ = keys.create("alice", ["eng"])
    config = settings(keys)
    ex = exchange({"x-haetae-key": key, **PROXY}, address="10.0.0.5")
    run(Identify(config), Admit(config), ex)
    assert (ex.subject.user, ex.subject.method) == ("alice", "api_key")
    assert ex.headers == []


def test_a_failed_key_is_refused_even_with_trusted_proxy_headers(keys) -> None:
    keys.create("alice", [])
    config = settings(keys)
    ex = exchange({"x-haetae-key": "hk_" + "N" * 43, **PROXY}, address="10.0.0.5")
    asyncio.run(Identify(config)(ex))
    assert ex.subject.anonymous  # nothing of the proxy's claim is kept
    with pytest.raises(Unauthenticated, match="is not valid"):
        asyncio.run(Admit(config)(ex))


def test_proxy_headers_identify_when_no_credential_is_sent(keys) -> None:
    config = settings(keys, anonymous="deny")
    ex = exchange(PROXY, address="10.0.0.5")
    run(Identify(config), Admit(config), ex)
    assert (ex.subject.user, ex.subject.groups, ex.subject.method) == (
        "from-proxy",
        ("ops",),
        "header",
    )


def test_anonymous_is_allowed_by_default_and_refused_when_denied(keys) -> None:
    ex = exchange({"user-agent": "curl/8.5.0"}, address="192.0.2.1")
    run(Identify(), Admit(), ex)
    assert ex.subject.anonymous and ex.subject.application == "curl"
    assert ex.subject.address == "192.0.2.1"
    denied = settings(keys, anonymous="deny")
    with pytest.raises(Unauthenticated, match="requires you to identify yourself") as caught:
        run(Identify(denied), Admit(denied), exchange({}, address="192.0.2.1"))
    assert caught.value.code == "authentication_required"
