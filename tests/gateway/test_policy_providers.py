"""Providers a policy declares or corrects, seen end to end through the gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from gateway.audit import open_audit_store
from gateway.dev.testing import FakeUpstream, ServerThread
from tests.support.polling import wait_for
from tests.support.stack import gateway_stack

POLICY = """
policy: provider-facts
rules:
  - id: no-cn
    when: {any: [{provider.jurisdiction: [CN]}, {provider.parent_jurisdiction: [CN]}]}
    action: block
providers:
  internal-llm:                 # the company's own vLLM, on the fake upstream
    family: openai
    base_url: {upstream}
    operator: Example Corp IT
    jurisdiction: KR
    regions: [KR]
  offshore-llm:                 # same wire format, same upstream, other jurisdiction
    family: openai
    base_url: {upstream}
    operator: Offshore Inference Ltd.
    jurisdiction: CN
    regions: [CN]
  upstage:                      # the legal team's reading differs from the catalog
    jurisdiction: CN
    source: https://legal.corp.example/reviews/upstage
"""


@pytest.fixture(scope="module")
def gateway_and_fake(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerThread, FakeUpstream, Path]]:
    folder = tmp_path_factory.mktemp("provider-facts")
    settings = {
        # upstage keeps its catalog host; this deployment reaches it through the fake
        "providers.upstage.base_url": "{upstream}",
        # azure-openai is left unconfigured on purpose
    }
    with gateway_stack(
        folder, policy_text=POLICY, settings=settings, catalog_to_fake=False
    ) as stack:
        yield stack.server, stack.fake, folder


def chat(gateway: ServerThread, provider: str) -> str:
    client = openai.OpenAI(
        api_key="sk-test", base_url=gateway.url(f"/{provider}/v1"), max_retries=0
    )
    reply = client.chat.completions.create(
        model="served-model", messages=[{"role": "user", "content": "안녕하세요"}]
    )
    return reply.choices[0].message.content or ""


def test_a_policy_added_provider_is_routed_to_its_declared_upstream(gateway_and_fake) -> None:
    gateway, fake, folder = gateway_and_fake
    fake.reset()
    assert chat(gateway, "internal-llm")
    [request] = fake.received
    assert request.path == "/v1/chat/completions"
    assert request.json()["messages"][0]["content"] == "안녕하세요"
    assert "internal-llm" in audited_providers(folder)


def audited_providers(folder: Path) -> set[str]:
    """Providers in the audit log, once the writer has caught up (bounded wait)."""
    store = open_audit_store(f"sqlite:///{folder / 'audit.db'}")
    return wait_for(lambda: {record.provider for record in store.tail(20)}, 5.0)


def test_a_policy_added_provider_is_judged_by_its_declared_jurisdiction(gateway_and_fake) -> None:
    gateway, fake, _ = gateway_and_fake
    fake.reset()
    with pytest.raises(openai.PermissionDeniedError, match="no-cn"):
        chat(gateway, "offshore-llm")
    assert fake.received == []


def test_a_jurisdiction_override_blocks_a_catalog_provider(gateway_and_fake) -> None:
    gateway, fake, _ = gateway_and_fake
    fake.reset()
    with pytest.raises(openai.PermissionDeniedError, match="no-cn"):
        chat(gateway, "upstage")  # KR in the shipped catalog, CN in this policy
    assert fake.received == []


def test_a_per_customer_provider_without_base_url_says_what_to_configure(
    gateway_and_fake,
) -> None:
    gateway, fake, _ = gateway_and_fake
    fake.reset()
    response = httpx.post(
        gateway.url("/azure-openai/openai/deployments/gpt-4o/chat/completions"),
        json={"messages": [{"role": "user", "content": "hi"}]},
        headers={"api-key": "k"},
    )
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "provider_not_configured"
    assert "providers.azure-openai.base_url" in error["message"]
    assert fake.received == []
