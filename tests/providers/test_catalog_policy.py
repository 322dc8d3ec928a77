"""A policy's ``providers:`` section, merged over the shipped catalog."""

from __future__ import annotations

import pytest

from gateway.detect import SUPPORTED_ENTITIES
from gateway.errors import ConfigError
from gateway.policy import CompiledPolicy, PolicyInput, parse_policy
from gateway.policy.providers import policy_catalog
from gateway.providers.catalog import CatalogEntry, build_providers, load_catalog

NO_CHINA = """
policy: no-china
rules:
  - id: no-cn
    when:
      any:
        - provider.jurisdiction: [CN]
        - provider.parent_jurisdiction: [CN]
    action: block
"""

INTERNAL = """
providers:
  internal-llm:
    family: openai
    base_url: http://vllm.corp.example:8000
    operator: Example Corp IT
    jurisdiction: KR
    regions: [KR]
"""


def load(text: str) -> CompiledPolicy:
    return parse_policy(text.encode(), SUPPORTED_ENTITIES)


def catalog_of(policy: CompiledPolicy) -> dict[str, CatalogEntry]:
    return policy_catalog(policy.name, policy.document.providers)


def decide(policy: CompiledPolicy, provider_id: str) -> str:
    entry = catalog_of(policy)[provider_id]
    request = PolicyInput(
        provider=provider_id,
        provider_jurisdiction=entry.jurisdiction,
        provider_parent_jurisdiction=entry.parent_jurisdiction,
        api="chat",
        model=None,
    )
    return policy.decide(request).action


def test_a_policy_adds_an_internal_provider_with_sensible_defaults() -> None:
    entry = catalog_of(load(NO_CHINA + INTERNAL))["internal-llm"]
    assert (entry.family, entry.jurisdiction, entry.regions) == ("openai", "KR", ["KR"])
    assert entry.hosts == ["vllm.corp.example:8000"]
    assert entry.auth_header == "authorization"
    assert entry.source == "policy 'no-china'"


def test_the_shipped_catalog_stays_as_it_was() -> None:
    merged = catalog_of(load(NO_CHINA + INTERNAL))
    shipped = load_catalog()
    assert {pid: merged[pid] for pid in shipped} == shipped


def test_a_jurisdiction_override_changes_the_block_decision() -> None:
    plain = load(NO_CHINA)
    corrected = load(NO_CHINA + "providers:\n  upstage: {jurisdiction: CN}\n")
    assert decide(plain, "upstage") == "allow"
    assert decide(corrected, "upstage") == "block"
    assert corrected.version != plain.version  # the audit trail tells the two apart


def test_an_override_keeps_the_facts_it_does_not_mention() -> None:
    policy = load(NO_CHINA + "providers:\n  azure-openai: {regions: [KR]}\n")
    entry, shipped = catalog_of(policy)["azure-openai"], load_catalog()["azure-openai"]
    assert entry.regions == ["KR"]
    assert entry.model_dump(exclude={"regions"}) == shipped.model_dump(exclude={"regions"})


def test_a_policy_added_provider_is_judged_by_its_declared_jurisdiction() -> None:
    offshore = INTERNAL.replace("jurisdiction: KR", "jurisdiction: CN")
    assert decide(load(NO_CHINA + INTERNAL), "internal-llm") == "allow"
    assert decide(load(NO_CHINA + offshore), "internal-llm") == "block"


def test_the_merged_catalog_is_what_deployment_settings_apply_to() -> None:
    catalog = catalog_of(load(NO_CHINA + INTERNAL))
    providers = build_providers(catalog, {}, environ={})
    assert providers["internal-llm"].base_url == "http://vllm.corp.example:8000"


@pytest.mark.parametrize(
    ("section", "complaint"),
    [
        # a new provider must say what it is and where it is
        (
            "providers:\n  internal-llm: {family: openai, base_url: 'http://x.example'}\n",
            r"providers\.internal-llm: not in the provider catalog, so the policy must state "
            "operator, jurisdiction, regions",
        ),
        ("providers:\n  upstage: {jurisdication: CN}\n", r"jurisdication: unknown key"),
        ("providers:\n  upstage: {jurisdiction: china}\n", r"providers\.upstage\.jurisdiction"),
        ("providers:\n  upstage: {regions: [Korea]}\n", r"providers\.upstage\.regions"),
        ("providers:\n  Upstage_KR: {jurisdiction: KR}\n", r"providers\.Upstage_KR"),
        # moving a provider elsewhere needs its hosts too, so host rules stay true
        (
            "providers:\n  upstage: {base_url: 'https://llm.corp.example'}\n",
            r"providers\.upstage: .*'llm\.corp\.example' is not among hosts",
        ),
    ],
)
def test_a_bad_providers_section_fails_the_whole_policy(section: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load(NO_CHINA + section)


def test_moving_a_provider_with_its_hosts_is_accepted() -> None:
    section = (
        "providers:\n  upstage:\n    base_url: https://llm.corp.example\n"
        "    hosts: [llm.corp.example]\n    regions: [KR]\n"
    )
    entry = catalog_of(load(NO_CHINA + section))["upstage"]
    assert (entry.base_url, entry.regions) == ("https://llm.corp.example", ["KR"])


def test_a_policy_may_say_it_does_not_know_where_a_provider_processes_data() -> None:
    section = INTERNAL.replace("regions: [KR]", "regions: unknown")
    assert catalog_of(load(NO_CHINA + section))["internal-llm"].regions == []
