"""The decide stage: what it tells the policy, fail-closed endpoints, warnings, languages."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

import pytest

from gateway.errors import PolicyBlock
from gateway.exchange import Exchange
from gateway.geo import EndpointResolver
from gateway.identity import Subject
from gateway.inspection import Decide
from gateway.policy import parse_policy
from gateway.policy.messages import choose_language, warning_header
from gateway.providers.catalog import Provider, load_catalog
from gateway.providers.dialect import Segment
from gateway.providers.endpoints import resolve_endpoint

POLICY = """
policy: p
rules:
  - {id: cn-endpoint, when: {endpoint.ip_country: [CN, unresolved]}, action: block}
  - id: big
    when: {prompt_chars: {min: 10}, groups: [staff], host: ["*.openai.com"]}
    action: warn
    message: {en: big one, ko: "큰 요청"}
"""


def exchange(base_url: str | None, text: str = "hi", accept: bytes | None = None) -> Exchange:
    async def receive() -> dict:
        return {"type": "http.disconnect"}

    headers = [(b"accept-language", accept)] if accept else []
    ex = Exchange(
        "id",
        "POST",
        "/openai/v1/chat/completions",
        b"",
        headers,
        "10.0.0.1",
        receive,
        parse_policy(POLICY.encode(), set()),
    )
    ex.provider = Provider(load_catalog()["openai"], base_url, None)
    ex.endpoint = resolve_endpoint("openai", "POST", "/v1/chat/completions")
    ex.subject = Subject("kim", ("staff",), "10.0.0.1", None, "api_key")
    ex.segments = [Segment(("messages", 0, "content"), text)]
    return ex


class Dns:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers, self.asked = answers, []

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError("unknown")
        return self.answers[host]


def test_an_unresolvable_host_is_refused_when_the_policy_asks() -> None:
    decide = Decide(EndpointResolver(lookup=Dns({})))
    with pytest.raises(PolicyBlock) as refused:
        asyncio.run(decide(exchange("https://api.openai.com")))
    assert refused.value.rule_ids == ["cn-endpoint"]


def test_a_provider_without_a_base_url_is_unresolved_and_refused() -> None:
    with pytest.raises(PolicyBlock):
        asyncio.run(Decide(EndpointResolver(lookup=Dns({})))(exchange(None)))


def test_the_policy_sees_host_subject_size_and_the_resolved_country() -> None:
    dns = Dns({"api.openai.com": ["8.8.8.8"]})
    ex = exchange("https://API.openai.com/v1", text="x" * 20, accept=b"ko-KR")
    asyncio.run(Decide(EndpointResolver(lookup=dns))(ex))
    assert dns.asked == ["api.openai.com"]
    assert ex.decision is not None and ex.decision.action == "warn"
    assert ex.warning == "Haetae 정책 'p' (규칙 big): 큰 요청"


def test_hosts_are_not_resolved_for_policies_that_do_not_ask() -> None:
    dns = Dns({})
    ex = exchange("https://api.openai.com")
    ex.policy = parse_policy(b"policy: p\n", set())
    asyncio.run(Decide(EndpointResolver(lookup=dns))(ex))
    assert dns.asked == [] and ex.decision is not None and ex.decision.action == "allow"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        ("en;q=0.5, ko;q=0.8", "ko"),
        ("en-US", "en"),
        ("fr-FR, ko;q=0.1", "ko"),
        ("ko;q=0", "en"),
        ("fr-FR", "en"),
        (None, "en"),
    ],
)
def test_choose_language_weighs_q_values(header: str | None, expected: str) -> None:
    assert choose_language(header, "en") == expected


def test_warning_header_is_ascii_and_round_trips() -> None:
    text = "Haetae 정책 'p' (규칙 big): 100% 확인"
    value = warning_header(text)
    assert value.isascii() and unquote(value.decode()) == text
    assert warning_header("Large prompt; check it.") == b"Large prompt; check it."
