"""The price table: shipped data with sources, overrides, model names, cost per family."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.app import build_app
from gateway.errors import ConfigError
from gateway.limits.prices import load_prices
from gateway.settings import load_settings


def test_every_shipped_price_names_its_source_and_date() -> None:
    table = load_prices()
    assert len(table) >= 20
    for provider, model in [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5")]:
        price = table.price(provider, model)
        assert price is not None
        assert price.source.startswith("https://")
        assert len(price.as_of) == 10  # an ISO date


@pytest.mark.parametrize(
    ("provider", "model", "priced_as"),
    [
        ("openai", "gpt-4o", "gpt-4o"),
        ("openai", "gpt-4o-2024-08-06", "gpt-4o"),
        ("openai", "gpt-4o-mini", "gpt-4o-mini"),  # its own entry, not gpt-4o's
        ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("anthropic", "claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("gemini", "models/gemini-2.0-flash-001", "gemini-2.0-flash"),
        ("openai", "gpt-4o-audio-preview", None),  # a variant is not its base model
        ("openai", "house-model", None),
        ("anthropic", "gpt-4o", None),  # prices belong to a provider
        ("openai", None, None),
    ],
)
def test_model_names_match_exactly_or_with_a_snapshot_suffix(
    provider: str, model: str | None, priced_as: str | None
) -> None:
    found = load_prices().price(provider, model)
    assert (found.model if found else None) == priced_as


def test_cost_follows_each_familys_cached_tokens() -> None:
    table = load_prices()
    # OpenAI: 1000 input of which 400 cached; cached tokens are inside the input count
    openai = table.cost(
        "openai", "openai", "gpt-4o", {"input_tokens": 1000, "cached_input_tokens": 400,
                                        "output_tokens": 100}
    )  # fmt: skip
    assert openai.amount == pytest.approx((600 * 2.50 + 400 * 1.25 + 100 * 10.00) / 1e6)
    assert openai.micros == round(600 * 2.50 + 400 * 1.25 + 100 * 10.00)
    # Anthropic reports cache reads beside the input
    claude = table.cost(
        "anthropic", "anthropic", "claude-sonnet-4-5",
        {"input_tokens": 1000, "cached_input_tokens": 400, "output_tokens": 100},
    )  # fmt: skip
    assert claude.amount == pytest.approx((1000 * 3.00 + 400 * 0.30 + 100 * 15.00) / 1e6)
    # without usage, or without a price, the cost is unknown, never zero
    assert table.cost("openai", "openai", "gpt-4o", None).to_record() == {
        "currency": "USD", "amount": None, "reason": "no_usage",
    }  # fmt: skip
    unknown = table.cost("openai", "openai", "house-model", {"input_tokens": 5})
    assert unknown.amount is None and unknown.reason == "no_price" and unknown.micros == 0


def test_settings_override_and_add_prices(tmp_path: Path) -> None:
    table = load_prices(
        overrides={
            "openai": {"gpt-4o": {"input": 1.0, "output": 2.0}},
            "internal-llm": {"house-model": {"input": 0.5, "output": 0.5}},
        }
    )
    gpt = table.price("openai", "gpt-4o")
    assert gpt is not None and (gpt.input, gpt.output, gpt.source) == (1.0, 2.0, "settings")
    assert table.price("internal-llm", "house-model") is not None
    assert table.price("openai", "gpt-4o-mini") is not None  # the rest stays
    with pytest.raises(ConfigError, match=r"prices.overrides.openai.gpt-4o"):
        load_prices(overrides={"openai": {"gpt-4o": {"input": -1, "output": 2}}})


def test_a_table_of_ones_own_replaces_the_shipped_one(tmp_path: Path) -> None:
    own = tmp_path / "prices.yaml"
    own.write_text(
        "currency: USD\nproviders:\n  openai:\n    source: https://example.com/contract\n"
        "    as_of: 2026-01-01\n    models:\n      gpt-4o: {input: 2.0, output: 8.0}\n",
        encoding="utf-8",
    )
    table = load_prices(own)
    assert len(table) == 1
    price = table.price("openai", "gpt-4o")
    assert price is not None and price.as_of == "2026-01-01"
    own.write_text("currency: USD\nproviders:\n  openai:\n    models: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="source"):
        load_prices(own)
    with pytest.raises(ConfigError, match="cannot read"):
        load_prices(tmp_path / "missing.yaml")


def test_the_gateway_refuses_to_start_with_a_bad_price_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="prices"):
        load_settings(environ={}, overrides={"prices.overrides": {"openai": {"x": {"input": 1}}}})
    settings = load_settings(
        environ={},
        overrides={
            "prices.file": str(tmp_path / "none.yaml"),
            "audit.url": f"sqlite:///{tmp_path / 'audit.db'}",
        },
    )
    with pytest.raises(ConfigError, match=r"prices\.file"):
        build_app(settings, environ={})
