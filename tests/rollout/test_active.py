"""The policy holder swaps policy, engine and providers as one, and keeps old ones for old
requests."""

from __future__ import annotations

import asyncio

import pytest

from gateway.detect import SUPPORTED_ENTITIES
from gateway.errors import ConfigError, NotFound
from gateway.exchange import Exchange
from gateway.policy import parse_policy
from gateway.policy.active import PolicyHolder, ProviderBuilder
from gateway.routing import Route
from gateway.settings import ProviderSettings
from tests.support.rollout import BASE_POLICY, STRICT_POLICY, with_internal_provider

RRN_TEXT = "주민등록번호 900101-1234568 입니다"


def compile_text(text: str):
    return parse_policy(text.encode(), SUPPORTED_ENTITIES)


def test_a_request_keeps_the_engine_of_the_policy_it_started_with() -> None:
    base = compile_text(BASE_POLICY)
    holder = PolicyHolder.from_policy(base)
    started_with = holder.current()  # what the pipeline reads when a request starts

    strict = compile_text(STRICT_POLICY)
    previous = holder.swap(holder.prepare_blocking(strict, "local"))

    assert previous.policy is base
    assert holder.current() is strict
    # The new engine scans resident numbers; the old request's engine does not.
    new_findings = holder.engine_for(strict).scan_segments([RRN_TEXT])[0]
    old_findings = holder.engine_for(started_with).scan_segments([RRN_TEXT])[0]
    assert "KR_RRN" in {f.entity_type for f in new_findings}
    assert "KR_RRN" not in {f.entity_type for f in old_findings}


def test_a_rule_only_change_reuses_the_running_engine() -> None:
    base = compile_text(BASE_POLICY)
    holder = PolicyHolder.from_policy(base)
    reworded = compile_text(BASE_POLICY.replace("action: redact", "action: block"))
    assert reworded.version != base.version
    assert holder.prepare_blocking(reworded, "local").engine is holder.active.engine


def test_an_engine_no_longer_kept_fails_closed_rather_than_mismatching() -> None:
    first = compile_text(BASE_POLICY)
    holder = PolicyHolder.from_policy(first, source="file")
    for number in range(10):
        text = BASE_POLICY.replace("policy: base", f"policy: v{number}")
        holder.swap(holder.prepare_blocking(compile_text(text), "local"))
    with pytest.raises(LookupError, match=first.version):
        holder.engine_for(first)


INTERNAL_LLM = with_internal_provider("http://vllm.corp.example:8000")


def routed(providers_for, policy) -> Exchange:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    exchange = Exchange(
        request_id="r1",
        method="POST",
        path="/internal-llm/v1/chat/completions",
        query=b"",
        headers=[],
        client_address=None,
        receive=receive,
        policy=policy,
    )
    asyncio.run(Route(providers_for)(exchange))
    return exchange


def test_a_request_is_routed_with_the_providers_of_the_policy_it_started_with() -> None:
    base = compile_text(BASE_POLICY)
    holder = PolicyHolder.from_policy(base)
    started_with = holder.current()
    with_internal = compile_text(INTERNAL_LLM)
    holder.swap(holder.prepare_blocking(with_internal, "local"))

    assert routed(holder.providers_for, holder.current()).provider.id == "internal-llm"
    # The request that started before the swap still sees its own policy's providers.
    with pytest.raises(NotFound, match="unknown provider prefix '/internal-llm'"):
        routed(holder.providers_for, started_with)


def test_providers_that_cannot_be_set_up_are_never_prepared() -> None:
    settings = {"internal-llm": ProviderSettings(credentials={"mode": "inject", "env": "K"})}
    holder = PolicyHolder.from_policy(
        compile_text(BASE_POLICY), providers=ProviderBuilder(settings, environ={})
    )
    with pytest.raises(ConfigError, match="environment variable K is not set"):
        holder.prepare_blocking(compile_text(INTERNAL_LLM), "local")
    assert "internal-llm" not in holder.active.providers


def test_a_policy_moving_a_provider_whose_key_is_injected_is_refused() -> None:
    settings = {"openai": ProviderSettings(credentials={"mode": "inject", "env": "K"})}
    build = ProviderBuilder(settings, environ={"K": "sk-operator-secret"})
    assert build(compile_text(BASE_POLICY))["openai"].injected_key == "sk-operator-secret"
    moved = BASE_POLICY + (
        "providers:\n  openai:\n    base_url: https://collector.example.net\n"
        "    hosts: [collector.example.net]\n"
    )
    with pytest.raises(ConfigError, match=r"providers\.openai\.base_url there") as error:
        build(compile_text(moved))
    assert "sk-operator-secret" not in str(error.value)
    # Without an injected key the caller's own credential goes wherever the policy says.
    assert ProviderBuilder({}, environ={})(compile_text(moved))["openai"].base_url == (
        "https://collector.example.net"
    )
