from urllib.parse import urlsplit

import pytest
import yaml

from gateway.errors import ConfigError
from gateway.providers.catalog import CatalogEntry, host_allowed, load_catalog

REQUIRED = {
    "openai": ("openai", "US"),
    "azure-openai": ("openai", "US"),
    "anthropic": ("anthropic", "US"),
    "gemini": ("gemini", "US"),
    "mistral": ("openai", "FR"),
    "deepseek": ("openai", "CN"),
    "moonshot": ("openai", "CN"),
    "zhipu": ("openai", "CN"),
    "dashscope": ("openai", "CN"),
    "dashscope-intl": ("openai", "SG"),
    "naver-hyperclova": ("openai", "KR"),
    "upstage": ("openai", "KR"),
}


@pytest.mark.parametrize(("provider_id", "expected"), REQUIRED.items())
def test_catalog_lists_provider_with_family_and_jurisdiction(
    provider_id: str, expected: tuple[str, str]
) -> None:
    entry = load_catalog()[provider_id]
    assert (entry.family, entry.jurisdiction) == expected
    assert entry.operator and entry.source.startswith("https://")


def test_international_dashscope_records_its_chinese_parent() -> None:
    assert load_catalog()["dashscope-intl"].parent_jurisdiction == "CN"


def test_catalog_rejects_unknown_fields() -> None:
    text = """
providers:
  - {id: x, name: X, family: openai, base_url: null, auth_header: authorization,
     operator: X, jurisdiction: US, source: s, colour: red}
"""
    with pytest.raises(ConfigError, match="colour"):
        load_catalog(text)


# --- the shipped catalog as a whole -------------------------------------------------

#: the providers issue 4 names, by the id each has in the catalog
NAMED_IN_ISSUE = [
    "openai", "azure-openai", "anthropic", "gemini", "vertex-ai", "bedrock", "mistral",
    "cohere", "xai", "groq", "together", "fireworks", "perplexity", "openrouter",
    "naver-hyperclova", "upstage", "deepseek", "moonshot", "zhipu", "zai", "qianfan",
    "dashscope", "dashscope-intl", "minimax", "baichuan", "lingyiwanwu", "hunyuan",
    "volcengine-ark", "siliconflow",
]  # fmt: skip


def test_catalog_covers_every_provider_the_issue_names() -> None:
    catalog = load_catalog()
    assert len(catalog) >= 25
    assert [pid for pid in NAMED_IN_ISSUE if pid not in catalog] == []


@pytest.mark.parametrize("entry", load_catalog().values(), ids=lambda e: e.id)
def test_every_entry_states_its_facts_and_where_they_come_from(entry: CatalogEntry) -> None:
    assert entry.operator.strip() and entry.name.strip()
    assert entry.source.startswith("https://")
    assert entry.regions_source is None or entry.regions_source.startswith("https://")
    assert all(len(code) == 2 and code.isupper() for code in entry.regions)
    assert entry.hosts, "every provider says which hosts it lives on"
    if entry.base_url is None:  # per-customer endpoint: the notes say what to configure
        assert "base_url" in entry.notes and "*" in "".join(entry.hosts)


def test_no_two_providers_claim_the_same_upstream_host() -> None:
    catalog = load_catalog()
    for entry in catalog.values():
        if entry.base_url is None:
            continue
        host = urlsplit(entry.base_url).netloc
        claimed_by = [e.id for e in catalog.values() if host_allowed(host, e.hosts)]
        assert claimed_by == [entry.id]


def test_per_customer_hosts_match_by_glob() -> None:
    catalog = load_catalog()
    assert host_allowed("corp-kr.openai.azure.com", catalog["azure-openai"].hosts)
    assert host_allowed("asia-northeast3-aiplatform.googleapis.com", catalog["vertex-ai"].hosts)
    assert host_allowed("bedrock-runtime.ap-northeast-2.amazonaws.com", catalog["bedrock"].hosts)
    assert not host_allowed("openai.azure.com.evil.example", catalog["azure-openai"].hosts)


def test_korean_and_chinese_processing_regions_are_recorded() -> None:
    catalog = load_catalog()
    assert catalog["upstage-kr"].regions == ["KR"]
    assert catalog["naver-hyperclova"].regions == ["KR"]
    assert catalog["deepseek"].regions == ["CN"]
    assert (catalog["zai"].jurisdiction, catalog["zai"].parent_jurisdiction) == ("SG", "CN")
    assert catalog["openai"].regions == []  # unknown: the global API does not say


ENTRY = """
providers:
  - {id: x, name: X, family: openai, base_url: "https://api.x.example", hosts: [api.x.example],
     auth_header: authorization, operator: X, jurisdiction: US, regions: unknown,
     source: "https://x.example/terms"}
"""


def test_catalog_rejects_duplicate_ids() -> None:
    body = ENTRY.split("providers:\n", 1)[1]
    with pytest.raises(ConfigError, match="lists 'x' twice"):
        load_catalog("providers:\n" + body + body)


@pytest.mark.parametrize("key", ["regions", "hosts", "source", "jurisdiction"])
def test_catalog_entries_must_state_regions_hosts_source_and_jurisdiction(key: str) -> None:
    entry = yaml.safe_load(ENTRY)["providers"][0]
    del entry[key]
    with pytest.raises(ConfigError, match=key):
        load_catalog(yaml.safe_dump({"providers": [entry]}))


def test_regions_unknown_is_spelled_out_and_means_empty() -> None:
    assert load_catalog(ENTRY)["x"].regions == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("hosts: [api.x.example]", "hosts: [other.example]"), "not among hosts"),
        (("regions: unknown", "regions: [Korea]"), "ISO 3166"),
        (("hosts: [api.x.example]", "hosts: [API.X.example]"), "lower-case host name"),
        (("jurisdiction: US", "jurisdiction: usa"), "jurisdiction"),
        (('base_url: "https://api.x.example"', "base_url: ftp://api.x.example"), "http"),
    ],
)
def test_catalog_rejects_inconsistent_facts(change: tuple[str, str], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_catalog(ENTRY.replace(*change))
