"""End to end: the official SDKs authenticate to a real gateway on loopback.

Each test runs a gateway with its own ``identity:`` settings in front of a fake
provider, and checks what the caller gets, what the provider receives (never a
Haetae credential), and what the audit record says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import anthropic
import httpx
import openai
import orjson
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from gateway.dev.testing import ServerThread
from gateway.identity import Admit, Subject
from gateway.identity.api_keys import KeyFile
from tests.support.identity import AUDIENCE, INJECTED, ISSUER, Issuer, JwksServer, identity_gateway
from tests.support.polling import wait_for

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture
def seen(monkeypatch) -> Iterator[list]:
    """(subject, ignored identity headers) of every request, as the admit stage sees them."""
    captured: list[tuple[Subject, tuple[str, ...]]] = []
    original = Admit.__call__

    async def recording(self, exchange) -> None:
        captured.append((exchange.subject, exchange.ignored_identity_headers))
        await original(self, exchange)

    monkeypatch.setattr(Admit, "__call__", recording)
    yield captured


@pytest.fixture
def keys(tmp_path) -> KeyFile:
    return KeyFile(tmp_path / "keys.jsonl")


def openai_client(gateway, api_key: str, **kw) -> openai.OpenAI:
    return openai.OpenAI(api_key=api_key, base_url=gateway.url("/openai/v1"), max_retries=0, **kw)


def anthropic_client(gateway, api_key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=api_key, base_url=gateway.url("/anthropic"), max_retries=0)


def gemini_client(gateway, api_key: str) -> genai.Client:
    options = types.HttpOptions(
        base_url=gateway.url("/gemini"), retry_options=types.HttpRetryOptions(attempts=1)
    )
    return genai.Client(api_key=api_key, http_options=options)


def no_credential_leaked(fake, *secrets: str) -> None:
    for request in fake.received:
        sent = " ".join(request.headers.values()) + request.query + request.text
        for secret in secrets:
            assert secret not in sent


def test_a_gateway_key_works_as_the_api_key_of_each_official_sdk(tmp_path, keys, seen) -> None:
    key, _ = keys.create("alice", ["eng", "legal"])
    with identity_gateway(tmp_path, {"api_keys": {"file": str(keys.path)}}) as gw:
        raw = openai_client(gw, key).chat.completions.with_raw_response.create(**CHAT)
        assert raw.parse().choices[0].message.content == "echo: hello"
        reply = anthropic_client(gw, key).messages.create(
            model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.content[0].text == "echo: hi"
        gemini = gemini_client(gw, key)  # held: the SDK closes its pool when collected
        answer = gemini.models.generate_content(model="gemini-2.5-flash", contents="hey")
        assert answer.text == "echo: hey"

        openai_sent, anthropic_sent, gemini_sent = (r.headers for r in gw.fake.received)
        assert openai_sent["authorization"] == f"Bearer {INJECTED}"
        assert anthropic_sent["x-api-key"] == INJECTED
        assert gemini_sent["x-goog-api-key"] == INJECTED
        no_credential_leaked(gw.fake, key)
        subjects = [subject for subject, _ in seen]
        assert {(s.user, s.groups, s.method) for s in subjects} == {
            ("alice", ("eng", "legal"), "api_key")
        }
        assert [s.application for s in subjects] == [
            "openai-python",
            "anthropic-python",
            "google-genai-python",
        ]
        assert gw.record(raw.headers["x-haetae-request-id"]).user == "alice"


def test_an_unknown_key_is_refused_in_each_providers_format(tmp_path, keys) -> None:
    keys.create("alice", [])
    wrong = "hk_" + "Z" * 43
    with identity_gateway(tmp_path, {"api_keys": {"file": str(keys.path)}}) as gw:
        with pytest.raises(openai.AuthenticationError) as oa:
            openai_client(gw, wrong).chat.completions.create(**CHAT)
        assert "Haetae key in the Authorization header is not valid" in oa.value.message
        assert oa.value.code == "invalid_credentials"

        with pytest.raises(anthropic.AuthenticationError) as an:
            anthropic_client(gw, wrong).messages.create(
                model="claude-sonnet-4-6", max_tokens=8, messages=[{"role": "user", "content": "x"}]
            )
        assert "header is not valid; check it was copied whole" in str(an.value)

        gemini = gemini_client(gw, wrong)
        with pytest.raises(genai_errors.ClientError) as ge:
            gemini.models.generate_content(model="gemini-2.5-flash", contents="x")
        assert ge.value.code == 401 and ge.value.status == "UNAUTHENTICATED"

        assert gw.fake.received == []
        request_id = oa.value.response.headers["x-haetae-request-id"]
        record = gw.record(request_id)
        assert (record.status, record.error, record.user) == (401, "invalid_credentials", None)
        stored = open_text(tmp_path / "audit.db")
        assert wrong.encode() not in stored


def open_text(path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_a_revoked_key_stops_working_without_a_restart(tmp_path, keys) -> None:
    key, entry = keys.create("bob", [])
    settings = {"api_keys": {"file": str(keys.path), "reload_seconds": 0.05}}
    with identity_gateway(tmp_path, settings) as gw:
        client = openai_client(gw, key)
        client.chat.completions.create(**CHAT)
        keys.revoke(entry.id)

        def refused() -> bool:  # the gateway re-reads the file every 50 ms
            try:
                client.chat.completions.create(**CHAT)
            except openai.AuthenticationError as exc:
                assert f"key {entry.id} was revoked" in exc.message
                return True
            return False

        wait_for(refused, 5.0, message="the revoked key was still accepted")


def test_a_key_in_the_dedicated_header_leaves_the_callers_own_provider_key(
    tmp_path, keys, seen
) -> None:
    key, _ = keys.create("carol", ["fin"])
    with identity_gateway(
        tmp_path, {"api_keys": {"file": str(keys.path)}}, passthrough=("openai",)
    ) as gw:
        client = openai_client(gw, "sk-carols-own", default_headers={"X-Haetae-Key": key})
        client.chat.completions.create(**CHAT)
        assert gw.fake.received[0].headers["authorization"] == "Bearer sk-carols-own"
        no_credential_leaked(gw.fake, key)
        assert seen[0][0].user == "carol"

        # As the SDK's api_key, the Haetae key would leave the provider keyless: say so.
        with pytest.raises(openai.AuthenticationError) as caught:
            openai_client(gw, key).chat.completions.create(**CHAT)
        assert caught.value.code == "provider_key_missing"
        assert "X-Haetae-Key" in caught.value.message
        assert len(gw.fake.received) == 1


@pytest.fixture
def idp(tmp_path) -> Iterator[tuple[Issuer, JwksServer, dict]]:
    issuer = Issuer()
    server = JwksServer(issuer)
    with ServerThread(server) as thread:
        jwt_settings = {
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "jwks_url": thread.url("/.well-known/jwks.json"),
            "algorithms": ["RS256"],
        }
        yield issuer, server, jwt_settings


def test_a_company_token_works_as_the_api_key(tmp_path, idp, seen) -> None:
    issuer, server, jwt_settings = idp
    token = issuer.token("dave", ["eng"])
    with identity_gateway(tmp_path, {"jwt": jwt_settings}) as gw:
        raw = openai_client(gw, token).chat.completions.with_raw_response.create(**CHAT)
        anthropic_client(gw, token).messages.create(
            model="claude-sonnet-4-6", max_tokens=8, messages=[{"role": "user", "content": "x"}]
        )
        assert [(s.user, s.groups, s.method) for s, _ in seen] == [("dave", ("eng",), "jwt")] * 2
        assert gw.record(raw.headers["x-haetae-request-id"]).user == "dave"
        no_credential_leaked(gw.fake, token)
        assert server.hits == 1

        with pytest.raises(openai.AuthenticationError) as caught:
            openai_client(gw, issuer.token(expires_in=-600)).chat.completions.create(**CHAT)
        assert "sign-in token has expired" in caught.value.message

        with pytest.raises(anthropic.AuthenticationError) as wrong_audience:
            anthropic_client(gw, issuer.token(aud="payroll")).messages.create(
                model="claude-sonnet-4-6", max_tokens=8, messages=[{"role": "user", "content": "x"}]
            )
        assert "issued for another application" in str(wrong_audience.value)
        assert len(gw.fake.received) == 2


def test_trusted_proxy_headers_from_the_proxy_name_the_user(tmp_path, seen) -> None:
    settings = {"trusted_headers": {"proxies": ["127.0.0.0/8"]}}
    with identity_gateway(tmp_path, settings) as gw:
        response = httpx.post(
            gw.url("/openai/v1/chat/completions"),
            content=orjson.dumps(CHAT),
            headers={"X-Forwarded-User": "erin", "X-Forwarded-Groups": "eng,ops"},
        )
        assert response.status_code == 200
        erin = Subject("erin", ("eng", "ops"), "127.0.0.1", "python-httpx", "header")
        assert seen[0] == (erin, ())
        assert "x-forwarded-user" not in gw.fake.received[0].headers
        assert gw.record(response.headers["x-haetae-request-id"]).user == "erin"


def test_identity_headers_from_elsewhere_are_ignored_stripped_and_reported(
    tmp_path, seen, caplog
) -> None:
    settings = {"trusted_headers": {"proxies": ["10.20.0.0/16"]}}
    with identity_gateway(tmp_path, settings) as gw, caplog.at_level(logging.WARNING):
        response = httpx.post(
            gw.url("/openai/v1/chat/completions"),
            content=orjson.dumps(CHAT),
            headers={"X-Forwarded-User": "ceo", "X-Forwarded-Groups": "board"},
        )
        assert response.status_code == 200
        subject, ignored = seen[0]
        assert subject.anonymous and subject.user is None
        assert ignored == ("X-Forwarded-User", "X-Forwarded-Groups")
        assert "x-forwarded-user" not in gw.fake.received[0].headers
        assert "not a trusted proxy" in caplog.text
        assert "ceo" not in caplog.text and "board" not in caplog.text


def test_anonymous_callers_are_refused_when_denied(tmp_path, keys) -> None:
    key, _ = keys.create("frank", [])
    settings = {"anonymous": "deny", "api_keys": {"file": str(keys.path)}}
    with identity_gateway(tmp_path, settings) as gw:
        response = httpx.post(
            gw.url("/anthropic/v1/messages"),
            content=orjson.dumps(
                {"model": "claude-sonnet-4-6", "max_tokens": 8, "messages": [CHAT["messages"][0]]}
            ),
        )
        assert response.status_code == 401
        body = response.json()
        assert body["type"] == "error" and body["error"]["type"] == "authentication_error"
        assert "requires you to identify yourself" in body["error"]["message"]
        assert gw.fake.received == []
        openai_client(gw, key).chat.completions.create(**CHAT)  # identified: allowed
        assert len(gw.fake.received) == 1


def test_a_key_sent_to_a_gateway_without_keys_is_refused_not_ignored(tmp_path) -> None:
    with identity_gateway(tmp_path, {}) as gw:
        with pytest.raises(openai.AuthenticationError) as caught:
            openai_client(gw, "hk_" + "Q" * 43).chat.completions.create(**CHAT)
        assert "does not issue keys" in caught.value.message
        assert gw.fake.received == []


def test_a_key_in_geminis_query_parameter_is_taken_out(tmp_path, keys, seen) -> None:
    key, _ = keys.create("gina", [])
    body = orjson.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    with identity_gateway(tmp_path, {"api_keys": {"file": str(keys.path)}}) as gw:
        response = httpx.post(
            gw.url(f"/gemini/v1beta/models/gemini-2.5-flash:generateContent?key={key}&x=1"),
            content=body,
        )
        assert response.status_code == 200
        assert gw.fake.received[0].query == "x=1"
        assert seen[0][0].user == "gina"
        no_credential_leaked(gw.fake, key)


def test_keys_and_tokens_never_reach_the_log_or_the_audit_store(
    tmp_path, keys, idp, caplog
) -> None:
    issuer, _, jwt_settings = idp
    key, _ = keys.create("henry", [])
    revoked, entry = keys.create("ivy", [])
    keys.revoke(entry.id)
    secrets = [
        key,
        revoked,
        "hk_" + "W" * 43,
        issuer.token("henry"),
        issuer.token("henry", expires_in=-600),
        issuer.token("henry", aud="other"),
    ]
    settings = {"api_keys": {"file": str(keys.path)}, "jwt": jwt_settings}
    with caplog.at_level(logging.DEBUG), identity_gateway(tmp_path, settings) as gw:
        statuses = []
        for secret in secrets:
            response = httpx.post(
                gw.url("/openai/v1/chat/completions"),
                content=orjson.dumps(CHAT),
                headers={"authorization": f"Bearer {secret}"},
            )
            statuses.append(response.status_code)
            gw.record(response.headers["x-haetae-request-id"])  # written before we look
        assert statuses == [200, 401, 401, 200, 401, 401]
        no_credential_leaked(gw.fake, *secrets)
    stored = open_text(tmp_path / "audit.db")
    for secret in secrets:
        assert secret not in caplog.text
        assert secret.encode() not in stored
        assert secret.split(".")[-1].encode() not in stored  # not even a token's signature
