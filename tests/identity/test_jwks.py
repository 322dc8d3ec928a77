"""The JWKS from a URL on loopback: cached, refreshed on rotation, bounded, non-blocking."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from gateway.dev.testing import ServerThread
from gateway.errors import ConfigError
from gateway.identity.errors import IdentityUnavailable, Unauthenticated
from gateway.identity.jwks import JwksSource, parse_jwks
from gateway.identity.oidc import TokenVerifier
from gateway.settings import JwtSettings
from tests.support.identity import AUDIENCE, ISSUER, Issuer, JwksServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def served():
    issuer = Issuer()
    server = JwksServer(issuer)
    with ServerThread(server) as thread:
        yield issuer, server, thread.url("/jwks.json")


def make(url: str, clock: Clock, **settings) -> tuple[JwksSource, TokenVerifier]:
    config = JwtSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url=url, **settings)
    source = JwksSource(config, clock=clock)
    return source, TokenVerifier(config, source)


def test_keys_are_fetched_once_and_cached(served) -> None:
    issuer, server, url = served
    clock = Clock()
    _, verifier = make(url, clock, cache_seconds=300)

    async def many() -> list:
        return [await verifier.verify(issuer.token(f"user{i}")) for i in range(20)]

    users = [user for user, _ in asyncio.run(many())]
    assert users == [f"user{i}" for i in range(20)]
    assert server.hits == 1
    clock.now += 301
    asyncio.run(verifier.verify(issuer.token()))
    assert server.hits == 2


def test_a_rotated_key_is_picked_up_on_its_first_token(served) -> None:
    issuer, server, url = served
    clock = Clock()
    _, verifier = make(url, clock, min_refresh_seconds=30)
    asyncio.run(verifier.verify(issuer.token()))
    clock.now += 31
    issuer.add_rsa("rsa-2")
    assert asyncio.run(verifier.verify(issuer.token("dave", kid="rsa-2")))[0] == "dave"
    assert server.hits == 2


def test_made_up_key_ids_cannot_hammer_the_identity_provider(served) -> None:
    _issuer, server, url = served
    stranger = Issuer()
    stranger.add_rsa("rsa-bogus")
    clock = Clock()
    _, verifier = make(url, clock, min_refresh_seconds=30)

    async def attempts() -> None:
        for _ in range(10):
            with pytest.raises(Unauthenticated, match="unknown key id"):
                await verifier.verify(stranger.token(kid="rsa-bogus"))

    asyncio.run(attempts())
    assert server.hits == 1  # the first load; the nine others wait out min_refresh
    clock.now += 31
    asyncio.run(attempts())
    assert server.hits == 2


@pytest.mark.slow
def test_a_stalled_identity_provider_is_bounded_and_does_not_block_the_loop(served) -> None:
    issuer, server, url = served
    server.delay = 2.0
    _source, verifier = make(url, Clock(), fetch_timeout_seconds=0.3)
    events: list[str] = []

    async def ticker() -> None:
        await asyncio.sleep(0.01)
        events.append("tick")

    async def check() -> None:
        with pytest.raises(IdentityUnavailable, match="cannot check sign-in tokens"):
            await verifier.verify(issuer.token())
        events.append("refused")

    async def both() -> None:
        await asyncio.gather(check(), ticker())

    asyncio.run(both())
    assert events == ["tick", "refused"]


def test_keys_already_held_survive_a_failed_refresh(served, caplog) -> None:
    issuer, server, url = served
    clock = Clock()
    _, verifier = make(url, clock, cache_seconds=60)
    asyncio.run(verifier.verify(issuer.token()))
    server.status = 500
    clock.now += 61
    assert asyncio.run(verifier.verify(issuer.token("erin")))[0] == "erin"
    assert server.hits == 2 and "HTTP 500" in caplog.text


def test_an_unreachable_jwks_with_no_keys_is_503_not_anonymous() -> None:
    config = JwtSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url="http://127.0.0.1:9/jwks")
    verifier = TokenVerifier(config, JwksSource(config))
    with pytest.raises(IdentityUnavailable):
        asyncio.run(verifier.verify(Issuer().token()))


def test_symmetric_and_encryption_keys_are_dropped() -> None:
    issuer = Issuer()
    jwks = issuer.jwks()
    jwks["keys"] += [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {**jwks["keys"][0], "kid": "enc-1", "use": "enc"},
    ]
    assert set(parse_jwks(orjson.dumps(jwks), "test")) == {"rsa-1"}
    with pytest.raises(ValueError, match="no usable public signing key"):
        parse_jwks(orjson.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}), "test")


def test_a_bad_jwks_file_stops_start_up(tmp_path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text('{"not": "a jwks"}')
    config = JwtSettings(issuer=ISSUER, audience=AUDIENCE, jwks_file=path)
    with pytest.raises(ConfigError, match=r"identity.jwt.jwks_file: .* is not a JWKS"):
        JwksSource(config)
