import pytest

from gateway.errors import ConfigError
from gateway.providers.catalog import load_catalog

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
