"""Company tokens: verified against the JWKS with pinned issuer, audience and algorithms."""

from __future__ import annotations

import asyncio
import base64
import time

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from gateway.identity.errors import Unauthenticated
from gateway.identity.jwks import JwksSource
from gateway.identity.oidc import TokenVerifier
from gateway.settings import JwtSettings
from tests.support.identity import AUDIENCE, ISSUER, Issuer


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    issuer = Issuer()
    issuer.add_ec("ec-1")
    return issuer


def verifier(tmp_path, issuer: Issuer, **settings) -> TokenVerifier:
    path = tmp_path / "jwks.json"
    path.write_bytes(orjson.dumps(issuer.jwks()))
    config = JwtSettings(issuer=ISSUER, audience=AUDIENCE, jwks_file=path, **settings)
    return TokenVerifier(config, JwksSource(config))


def verify(v: TokenVerifier, token: str):
    return asyncio.run(v.verify(token))


def refused(v: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        verify(v, token)
    assert token not in caught.value.message
    return caught.value.message


def test_a_valid_token_names_the_user_and_groups(tmp_path, issuer) -> None:
    v = verifier(tmp_path, issuer)
    assert verify(v, issuer.token("alice", ["eng", "legal"])) == ("alice", ("eng", "legal"))
    assert verify(v, issuer.token("bob", kid="ec-1")) == ("bob", ("eng",))


def test_claim_mapping(tmp_path, issuer) -> None:
    v = verifier(tmp_path, issuer, user_claim="email", groups_claim="realm_access.roles")
    token = issuer.token(email="carol@corp.example", realm_access={"roles": ["fin", 3]})
    assert verify(v, token) == ("carol@corp.example", ("fin",))
    assert "no usable 'email' claim" in refused(v, issuer.token())
    namespaced = verifier(tmp_path, issuer, groups_claim="https://corp/groups")
    assert verify(namespaced, issuer.token(**{"https://corp/groups": "a b,c"}))[1] == (
        "a",
        "b",
        "c",
    )


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"expires_in": -120}, "expired; sign in again"),
        ({"aud": "another-app"}, "issued for another application"),
        ({"iss": "https://evil.example"}, "identity provider this gateway does not trust"),
        ({"exp": None}, "lacks the required 'exp' claim"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
    ],
)
def test_claims_that_fail_say_why(tmp_path, issuer, claims, message) -> None:
    expires_in = claims.pop("expires_in", 300)
    token = issuer.token(expires_in=expires_in, **claims)
    assert message in refused(verifier(tmp_path, issuer), token)


def test_leeway_absorbs_small_clock_skew(tmp_path, issuer) -> None:
    token = issuer.token(expires_in=-10)
    assert verify(verifier(tmp_path, issuer, leeway_seconds=30), token)[0] == "alice"
    assert "expired" in refused(verifier(tmp_path, issuer, leeway_seconds=0), token)


def test_a_forged_signature_is_refused(tmp_path, issuer) -> None:
    head, body, _ = issuer.token().split(".")
    other = Issuer().token()
    forged = ".".join([head, body, other.split(".")[2]])
    assert "does not verify" in refused(verifier(tmp_path, issuer), forged)


def _unsigned(header: dict, claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def test_alg_none_is_refused(tmp_path, issuer) -> None:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": int(time.time()) + 60}
    token = _unsigned({"alg": "none", "kid": "rsa-1"}, claims)
    assert "does not accept" in refused(verifier(tmp_path, issuer), token)


def test_hmac_signed_with_the_public_key_is_refused(tmp_path, issuer) -> None:
    # The classic algorithm confusion: HS256 with the published RSA key as secret.
    public_pem = (
        issuer.keys["rsa-1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "exp": int(time.time()) + 60}
    import hashlib
    import hmac

    signing_input = _unsigned({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}, claims)[:-1]
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    assert "does not accept" in refused(verifier(tmp_path, issuer), token)


def test_an_algorithm_outside_the_configured_list_is_refused(tmp_path, issuer) -> None:
    v = verifier(tmp_path, issuer, algorithms=["ES256"])
    assert "accepted: ES256" in refused(v, issuer.token())


def test_a_token_cannot_switch_its_key_to_another_family(tmp_path, issuer) -> None:
    # An ES256 token that names the RSA key's kid.
    token = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 60},
        issuer.keys["ec-1"],
        algorithm="ES256",
        headers={"kid": "rsa-1"},
    )
    assert "does not match its signing key" in refused(verifier(tmp_path, issuer), token)


def test_an_unknown_key_id_is_refused(tmp_path, issuer) -> None:
    stranger = Issuer()
    stranger.add_rsa("rsa-9")
    assert "unknown key id" in refused(verifier(tmp_path, issuer), stranger.token(kid="rsa-9"))


def test_garbage_is_malformed(tmp_path, issuer) -> None:
    assert "malformed" in refused(verifier(tmp_path, issuer), "eyJ.not.jwt")


def test_is_company_token_checks_only_the_issuer(tmp_path, issuer) -> None:
    v = verifier(tmp_path, issuer)
    assert v.is_company_token(issuer.token(expires_in=-999))
    assert not v.is_company_token(issuer.token(iss="https://other.example"))
    assert not v.is_company_token("eyJ.garbage.x")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"algorithms": ["HS256"]}, "HS256 not allowed"),
        ({"algorithms": ["none"]}, "none not allowed"),
        ({"jwks_file": None}, "exactly one of 'jwks_file' or 'jwks_url'"),
        ({"jwks_url": "https://idp/jwks"}, "exactly one of"),
    ],
)
def test_unsafe_settings_are_refused(tmp_path, settings, message) -> None:
    base = {"issuer": ISSUER, "audience": AUDIENCE, "jwks_file": tmp_path / "j.json"}
    with pytest.raises(ValueError, match=message):
        JwtSettings(**(base | settings))


class _Unreachable:
    async def key_for(self, kid):
        raise AssertionError("the key source was consulted")


def test_a_verified_token_is_remembered_until_it_expires(tmp_path, issuer) -> None:
    now = [time.time()]
    path = tmp_path / "jwks.json"
    path.write_bytes(orjson.dumps(issuer.jwks()))
    config = JwtSettings(issuer=ISSUER, audience=AUDIENCE, jwks_file=path, cache_seconds=600)
    v = TokenVerifier(config, JwksSource(config), wall_clock=lambda: now[0])
    token = issuer.token("alice", expires_in=120)
    assert verify(v, token)[0] == "alice"
    v._keys = _Unreachable()  # from here on, only the memory can answer
    assert verify(v, token)[0] == "alice"
    now[0] += 121
    with pytest.raises(AssertionError, match="key source was consulted"):
        verify(v, token)


def test_a_refused_token_is_not_remembered(tmp_path, issuer) -> None:
    v = verifier(tmp_path, issuer)
    expired = issuer.token(expires_in=-600)
    for _ in range(2):
        assert "expired" in refused(v, expired)
