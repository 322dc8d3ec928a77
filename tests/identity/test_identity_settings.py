"""The ``identity:`` section: defaults that keep ``make run`` open, errors that name the key."""

from __future__ import annotations

import pytest

from gateway.errors import ConfigError
from gateway.settings import load_settings


def test_defaults_allow_anonymous_callers_and_configure_no_method() -> None:
    identity = load_settings(environ={}).identity
    assert identity.anonymous == "allow"
    assert identity.api_keys.file is None and identity.jwt is None
    assert identity.trusted_headers.proxies == []
    assert (identity.key_header, identity.client_header) == ("X-Haetae-Key", "X-Haetae-Client")


def test_environment_overrides() -> None:
    settings = load_settings(
        environ={
            "HAETAE_IDENTITY__ANONYMOUS": "deny",
            "HAETAE_IDENTITY__API_KEYS__FILE": "/etc/haetae/keys.jsonl",
        }
    )
    assert settings.identity.anonymous == "deny"
    assert str(settings.identity.api_keys.file) == "/etc/haetae/keys.jsonl"


def test_a_single_audience_is_accepted_as_a_string(tmp_path) -> None:
    jwt = {"issuer": "https://idp", "audience": "haetae", "jwks_url": "https://idp/jwks"}
    settings = load_settings(environ={}, overrides={"identity.jwt": jwt})
    assert settings.identity.jwt is not None and settings.identity.jwt.audience == ["haetae"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"identity.anonymous": "maybe"}, "identity.anonymous"),
        ({"identity.trusted_headers.proxies": ["10.0.0.0/33"]}, "not an IP address or CIDR"),
        ({"identity.jwt": {"issuer": "x", "audience": "y"}}, "exactly one of 'jwks_file'"),
        (
            {"identity.jwt": {"issuer": "x", "audience": "y", "jwks_url": "ftp://idp/keys"}},
            "must start with http",
        ),
        (
            {
                "identity.jwt": {
                    "issuer": "x",
                    "audience": "y",
                    "jwks_url": "https://i/k",
                    "algorithms": ["HS256", "RS256"],
                }
            },
            "HS256 not allowed",
        ),
        ({"identity.api_key": {}}, "identity.api_key"),
    ],
)
def test_invalid_identity_settings_name_the_problem(overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={}, overrides=overrides)
