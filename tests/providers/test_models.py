"""The model catalog: whose model an id names, as each aggregator spells it, and
where an aggregator may send it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.providers.catalog import load_catalog
from gateway.providers.models import UNKNOWN, load_models, model_catalog

MODELS = model_catalog()

# (model id as a provider names it, developer id or None for unknown)
IDS: list[tuple[str, str | None]] = [
    # OpenRouter: author/slug, with variants
    ("deepseek/deepseek-chat", "deepseek"),
    ("deepseek/deepseek-chat-v3-0324", "deepseek"),
    ("deepseek/deepseek-r1:free", "deepseek"),
    ("DeepSeek/DeepSeek-Chat", "deepseek"),
    ("qwen/qwen-2.5-72b-instruct", "alibaba"),
    ("qwen/qwq-32b:nitro", "alibaba"),
    ("moonshotai/kimi-k2", "moonshot"),
    ("z-ai/glm-4.5", "zhipu"),
    ("thudm/glm-4-32b", "zhipu"),
    ("minimax/minimax-m1", "minimax"),
    ("baidu/ernie-4.5-300b-a47b", "baidu"),
    ("bytedance/ui-tars-1.5-7b", "bytedance"),
    ("tencent/hunyuan-a13b-instruct", "tencent"),
    ("stepfun-ai/step3", "stepfun"),
    ("01-ai/yi-large", "01-ai"),
    ("meta-llama/llama-3.3-70b-instruct", "meta"),
    ("openai/gpt-oss-120b", "openai"),
    ("anthropic/claude-sonnet-4", "anthropic"),
    ("google/gemma-3-27b-it", "google"),
    ("x-ai/grok-4", "xai"),
    ("cohere/command-r-plus-08-2024", "cohere"),
    ("mistralai/mistral-large-2411", "mistral"),
    ("perplexity/r1-1776", "perplexity"),  # post-trained by Perplexity, served in the US
    ("microsoft/mai-ds-r1:free", "microsoft"),
    ("nvidia/llama-3.1-nemotron-70b-instruct", "nvidia"),  # the organisation decides
    ("openrouter/auto", None),
    ("someone/new-model", None),
    # Together and Hugging Face style: Org/Model, any case
    ("deepseek-ai/DeepSeek-V3", "deepseek"),
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "deepseek"),
    ("Qwen/Qwen2.5-72B-Instruct-Turbo", "alibaba"),
    ("zai-org/GLM-4.5-Air-FP8", "zhipu"),
    ("MiniMaxAI/MiniMax-M1-80k", "minimax"),
    ("baichuan-inc/Baichuan2-13B-Chat", "baichuan"),
    ("ByteDance-Seed/Seed-OSS-36B-Instruct", "bytedance"),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "meta"),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mistral"),
    ("upstage/SOLAR-10.7B-Instruct-v1.0", "upstage"),
    ("LGAI-EXAONE/EXAONE-3.5-32B-Instruct", "lg"),
    ("naver-hyperclovax/HyperCLOVAX-SEED-Think-14B", "naver"),
    ("arcee-ai/virtuoso-large", None),
    # Fireworks: the account in the path is the host's, the name decides
    ("accounts/fireworks/models/deepseek-v3", "deepseek"),
    ("accounts/fireworks/models/qwen3-235b-a22b", "alibaba"),
    ("accounts/fireworks/models/kimi-k2-instruct", "moonshot"),
    ("accounts/fireworks/models/glm-4p5", "zhipu"),
    ("accounts/fireworks/models/llama-v3p1-405b-instruct", "meta"),
    ("accounts/fireworks/models/gpt-oss-120b", "openai"),
    ("accounts/fireworks/models/yi-large", "01-ai"),
    ("accounts/acme/models/my-fine-tune", None),
    # Groq: bare names and org/name
    ("llama-3.3-70b-versatile", "meta"),
    ("deepseek-r1-distill-llama-70b", "deepseek"),
    ("qwen-2.5-coder-32b", "alibaba"),
    ("qwen-qwq-32b", "alibaba"),
    ("qwen/qwen3-32b", "alibaba"),
    ("moonshotai/kimi-k2-instruct", "moonshot"),
    ("gemma2-9b-it", "google"),
    ("mistral-saba-24b", "mistral"),
    ("compound-beta", "groq"),
    # Bedrock: [region.]vendor.model:version
    ("us.deepseek.r1-v1:0", "deepseek"),
    ("deepseek.v3-v1:0", "deepseek"),
    ("qwen.qwen3-32b-v1:0", "alibaba"),
    ("meta.llama3-3-70b-instruct-v1:0", "meta"),
    ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic"),
    ("amazon.nova-pro-v1:0", "amazon"),
    # Vertex AI Model Garden, Gemini paths, Azure AI Foundry
    ("deepseek-ai/deepseek-r1-0528-maas", "deepseek"),
    ("publishers/google/models/gemini-2.0-flash", "google"),
    ("models/gemini-2.5-pro", "google"),
    ("DeepSeek-R1", "deepseek"),
    ("MAI-DS-R1", "microsoft"),
    ("Llama-3.3-70B-Instruct", "meta"),
    # the developers' own APIs, and dotted names that are no Bedrock vendor
    ("deepseek-chat", "deepseek"),
    ("qwen2.5-72b-instruct", "alibaba"),
    ("qwen-max", "alibaba"),
    ("kimi-k2-0711-preview", "moonshot"),
    ("moonshot-v1-8k", "moonshot"),
    ("glm-4.5", "zhipu"),
    ("abab6.5s-chat", "minimax"),
    ("Baichuan4-Turbo", "baichuan"),
    ("doubao-seed-1-6-250615", "bytedance"),
    ("hunyuan-turbos-latest", "tencent"),
    ("ernie-4.5-turbo-128k", "baidu"),
    ("gpt-4o", "openai"),
    ("gpt-4.1-mini", "openai"),
    ("o3-mini", "openai"),
    ("ft:gpt-4o-mini-2024-07-18:acme::9xYz", "openai"),
    ("claude-3-5-sonnet-20241022", "anthropic"),
    ("grok-4", "xai"),
    ("command-a-03-2025", "cohere"),
    ("solar-pro2", "upstage"),
    ("HCX-005", "naver"),
    ("exaone-4.0-32b", "lg"),
    ("sonar-pro", "perplexity"),
    # nothing any developer is known by
    ("", None),
    ("my-internal-model", None),
    ("yin-yang", None),  # 'yi-' is a prefix, not 'yi'
]


@pytest.mark.parametrize(("model", "developer"), IDS, ids=[m or "<empty>" for m, _ in IDS])
def test_the_developer_of_a_model_id(model: str, developer: str | None) -> None:
    found = MODELS.developer(model)
    assert (found.id if found else None) == developer


def test_the_table_is_wide_enough() -> None:
    assert len(IDS) >= 40
    assert {d for _, d in IDS} >= {"deepseek", "alibaba", "moonshot", "zhipu", "meta", None}


def test_every_developer_states_jurisdiction_and_source() -> None:
    for developer in MODELS.developers.values():
        assert len(developer.jurisdiction) == 2
        assert developer.source.startswith("https://")


def test_apis_and_serving_name_catalogued_providers() -> None:
    catalog = load_catalog()
    for developer in MODELS.developers.values():
        assert set(developer.apis) <= set(catalog), developer.id
    assert set(MODELS.serving) <= set(catalog)
    for provider_id, serving in MODELS.serving.items():
        assert serving.source.startswith("https://"), provider_id


def test_a_developers_own_api_is_under_its_jurisdiction() -> None:
    catalog = load_catalog()
    for developer in MODELS.developers.values():
        for api in developer.apis:
            entry = catalog[api]
            assert developer.jurisdiction in (entry.jurisdiction, entry.parent_jurisdiction), api


def test_router_hosts_are_outside_china() -> None:
    """A pin counts only when every host it names is listed, so none may be Chinese."""
    for serving in MODELS.serving.values():
        assert "CN" not in serving.hosts.values()


# -- where a request may be served ------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "model", "body", "routed"),
    [
        ("openrouter", "deepseek/deepseek-chat", {}, True),
        ("openrouter", "deepseek/deepseek-chat", None, True),  # an audit record: no body
        ("openrouter", "deepseek/deepseek-chat", {"provider": {"only": ["together"]}}, False),
        ("openrouter", "deepseek/deepseek-chat", {"provider": {"only": ["Together"]}}, False),
        (
            "openrouter",
            "deepseek/deepseek-chat",
            {"provider": {"only": ["deepinfra/turbo"]}},
            False,
        ),
        ("openrouter", "deepseek/deepseek-chat", {"provider": {"order": ["together"]}}, True),
        (
            "openrouter",
            "deepseek/deepseek-chat",
            {"provider": {"order": ["together", "groq"], "allow_fallbacks": False}},
            False,
        ),
        ("openrouter", "deepseek/deepseek-chat", {"provider": {"only": ["deepseek"]}}, True),
        ("openrouter", "deepseek/deepseek-chat", {"provider": {"only": ["together", "x"]}}, True),
        ("openrouter", "deepseek/deepseek-chat", {"provider": {"only": []}}, True),
        ("openrouter", "deepseek/deepseek-chat", {"provider": {"ignore": ["deepseek"]}}, True),
        ("openrouter", "deepseek/deepseek-chat", {"provider": "together"}, True),
        ("openrouter", "openrouter/auto", {}, True),
        ("together", "deepseek-ai/DeepSeek-V3", {}, False),
        ("fireworks", "accounts/fireworks/models/deepseek-v3", {}, False),
        ("groq", "qwen/qwen3-32b", {}, False),
        ("deepseek", "deepseek-chat", {}, False),  # direct: the provider facts judge it
        ("openai", "gpt-4o", {}, False),
    ],
)
def test_whether_a_router_may_pass_the_prompt_to_the_developer(
    provider: str, model: str, body: object, routed: bool
) -> None:
    assert MODELS.facts(provider, model, body).routed_to_developer is routed


def test_facts_of_a_request() -> None:
    facts = MODELS.facts("together", "Qwen/Qwen2.5-72B-Instruct", {})
    assert (facts.operators, facts.jurisdictions) == (("alibaba",), ("CN",))
    unknown = MODELS.facts("openrouter", "someone/new-model", {})
    assert (unknown.operators, unknown.jurisdictions) == ((UNKNOWN,), (UNKNOWN,))
    nothing = MODELS.facts("openai", None, None)
    assert (nothing.operators, nothing.routed_to_developer) == ((), False)


def test_openrouter_fallback_models_are_judged_too() -> None:
    body = {"models": ["moonshotai/kimi-k2", 7, "meta-llama/llama-3.3-70b-instruct"]}
    facts = MODELS.facts("openrouter", "meta-llama/llama-3.3-70b-instruct", body)
    assert facts.operators == ("meta", "moonshot")
    assert facts.jurisdictions == ("US", "CN")
    only_fallbacks = MODELS.facts("openrouter", None, {"models": ["deepseek/deepseek-chat"]})
    assert only_fallbacks.operators == ("deepseek",)


# -- the file itself ----------------------------------------------------------------

_ONE = """
developers:
  - {id: a, name: A, jurisdiction: US, source: "https://a", orgs: [a], names: [a-]}
serving: {}
"""


def test_a_valid_minimal_catalog_loads() -> None:
    assert load_models(_ONE).developer("a/x").id == "a"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_ONE.replace("orgs: [a]", "orgs: [A]"), "lower case"),
        (_ONE.replace("jurisdiction: US", "jurisdiction: usa"), "jurisdiction"),
        (_ONE.replace("serving: {}", "serving: {x: {serves: router, source: s}}"), "'pin'"),
        (
            _ONE.replace(
                "serving: {}",
                "serving: {x: {serves: router, pin: openrouter, source: s, hosts: {h: usa}}}",
            ),
            "three-letter code; write the two-letter .US.",
        ),
        (
            _ONE.replace(
                "serving: {}",
                "  - {id: b, name: B, jurisdiction: US, source: s, orgs: [a], names: [b]}\n"
                "serving: {}",
            ),
            "twice",
        ),
        (_ONE.replace("name: A,", "name: A, color: red,"), "color"),
    ],
)
def test_a_broken_catalog_is_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_models(text)


def test_the_gateway_reads_the_catalog_when_it_starts_not_on_a_first_request(
    tmp_path: Path,
) -> None:
    from gateway.app import build_app
    from gateway.settings import load_settings

    model_catalog.cache_clear()
    try:
        build_app(
            load_settings(
                environ={},
                overrides={
                    "audit.url": f"sqlite:///{tmp_path / 'audit.db'}",
                    "audit.signing_key_file": None,
                },
            ),
            environ={},
        )
        assert model_catalog.cache_info().currsize == 1
    finally:
        model_catalog()  # as the module-level MODELS above expects it
