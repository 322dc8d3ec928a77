"""End to end with the real Squid: the official OpenAI SDK, ``HTTPS_PROXY`` set to Squid and
no base URL change → Squid (ssl-bump with a CA made here) → ICAP Haetae → Squid → a fake
provider over TLS on loopback.

Squid is Debian's ``squid-openssl`` (``make system-packages`` installs it); without
it these tests skip, and with ``CI=true`` they fail.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import orjson
import pytest
from openai.types.chat import ChatCompletionMessageParam

from gateway.audit import AuditRecord
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.dev.testing.ca import issue_certificate, make_ca
from gateway.dev.testing.fake_answers import ScriptedAnswer
from gateway.dev.testing.squid import Squid, find_squid, run_squid
from tests.icap.support import IcapStack, icap_stack
from tests.support.services import unavailable
from tests.support.values import EMAIL, RRN

USER = "kim.minsu"


@dataclass
class SquidPath:
    squid: Squid
    icap: IcapStack
    fake: FakeUpstream
    ca: Path

    def record(self, request_id: str) -> AuditRecord:
        return self.icap.stack.record(request_id)


@pytest.fixture(scope="module")
def through(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SquidPath]:
    if find_squid() is None:
        unavailable("squid (Debian package squid-openssl) is not installed: make system-packages")
    folder = tmp_path_factory.mktemp("squid")
    ca, ca_key = make_ca(folder / "ca", "Corp Proxy CA")
    cert, key = issue_certificate(ca, ca_key, "127.0.0.1", folder / "provider")
    fake = FakeUpstream()
    tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    with (
        ServerThread(fake, tls=tls) as provider,
        icap_stack(folder / "gateway") as icap,
        run_squid(ca, ca_key, provider.port, icap.port) as squid,
    ):
        yield SquidPath(squid, icap, fake, ca)


@pytest.fixture
def client(through: SquidPath, monkeypatch: pytest.MonkeyPatch) -> Iterator[openai.OpenAI]:
    """The SDK as a user runs it: the proxy and the company CA from the environment."""
    through.fake.reset()
    through.fake.scripted = None
    monkeypatch.setenv("HTTPS_PROXY", through.squid.proxy_url(USER))
    monkeypatch.setenv("SSL_CERT_FILE", str(through.ca))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with openai.OpenAI(api_key="sk-test", max_retries=0, timeout=20) as sdk:
        yield sdk


def test_an_allowed_request_reaches_the_provider_unchanged(
    through: SquidPath, client: openai.OpenAI
) -> None:
    reply = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "What is ICAP?"}]
    )
    assert reply.parse().choices[0].message.content == "echo: What is ICAP?"
    (received,) = through.fake.received
    assert received.path == "/v1/chat/completions"
    assert received.json() == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "What is ICAP?"}],
    }
    assert received.headers["authorization"] == "Bearer sk-test"
    record = through.record(reply.headers["x-haetae-request-id"])
    assert (record.user, record.client_address, record.provider) == (USER, "127.0.0.1", "openai")
    assert (record.decision, record.status) == ("allow", 200)  # completed by RESPMOD


def test_a_resident_number_is_blocked_in_openais_format(
    through: SquidPath, client: openai.OpenAI
) -> None:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"주민번호 {RRN}"}]
        )
    assert refused.value.status_code == 403
    assert refused.value.code == "blocked_by_policy"
    assert "pipa-resident-number" in refused.value.message
    assert through.fake.received == []  # never left the company
    record = through.record(refused.value.response.headers["x-haetae-request-id"])
    assert (record.decision, record.user) == ("block", USER)


def test_an_email_address_is_redacted_before_it_leaves(
    through: SquidPath, client: openai.OpenAI
) -> None:
    reply = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"write to {EMAIL}"}]
    )
    (received,) = through.fake.received
    assert EMAIL not in received.text
    assert received.json()["messages"][0]["content"] == "write to <EMAIL_ADDRESS>"
    assert reply.parse().choices[0].message.content == "echo: write to <EMAIL_ADDRESS>"
    assert through.record(reply.headers["x-haetae-request-id"]).decision == "redact"


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_is_inspected_on_its_way_back(
    through: SquidPath, client: openai.OpenAI, stream: bool
) -> None:
    through.fake.scripted = ScriptedAnswer(("Your number is ", RRN[:6], RRN[6:], "."))
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "what is my number?"}]
    if stream:
        parts = client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True)
        text = "".join(chunk.choices[0].delta.content or "" for chunk in parts if chunk.choices)
    else:
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        text = answer.choices[0].message.content or ""
    assert text.startswith("Your number is ")
    assert RRN not in text  # masked by the default policy's answer rule


def test_other_hosts_pass_without_a_record(through: SquidPath) -> None:
    through.icap.stack.settled()
    seen = through.icap.stack.audit_tail(200)
    verify = ssl.create_default_context(cafile=str(through.ca))
    with httpx.Client(proxy=through.squid.proxy_url(USER), verify=verify, timeout=20) as http:
        reply = http.post("https://intranet.example/v1/chat/completions", content=b"{}")
    assert reply.status_code == 200, reply.text[-800:]  # the fake answered: passed on untouched
    assert orjson.loads(through.fake.received[-1].body) == {}
    # nothing new but completions of earlier requests (their answers end just before)
    earlier = {record.request_id for record in seen}
    known = {record.record_id for record in seen}
    new = [r for r in through.icap.stack.audit_tail(200) if r.record_id not in known]
    assert all(record.request_id in earlier for record in new)


def test_an_ai_web_app_gets_the_block_page_through_squid(through: SquidPath) -> None:
    through.fake.reset()
    verify = ssl.create_default_context(cafile=str(through.ca))
    with httpx.Client(proxy=through.squid.proxy_url(USER), verify=verify, timeout=20) as browser:
        page = browser.get(
            "https://chatgpt.com/", headers={"accept": "text/html", "accept-language": "ko"}
        )
    assert page.status_code == 403, page.text[-800:]
    assert page.headers["content-type"].startswith("text/html")
    assert "회사 정책에 따라 차단되었습니다" in page.text
    assert through.fake.received == []  # Squid never reached out
    record = through.record(page.headers["x-haetae-request-id"])
    assert (record.provider, record.api, record.decision) == ("chatgpt", "web_app", "block")
    assert (record.user, record.method) == (USER, "GET")
