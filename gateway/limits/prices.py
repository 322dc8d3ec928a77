"""What a request cost: token usage × the price table (``prices.yaml``), in USD.

The table holds, per provider and model, prices per million input, cached
input and output tokens, each with the page it comes from and the date it was
read. Settings may point at another table (``prices.file``) or correct single
entries (``prices.overrides``). A model matches its own entry, or an entry it
extends with a provider's dated or versioned suffix (``gpt-4o-2024-08-06`` is
priced as ``gpt-4o``, ``gpt-4o-mini`` is not). Anything else has an unknown
cost, recorded as null: a guess would make budgets lie.

Providers count cached input differently: OpenAI and Gemini include it in the
input tokens, Anthropic reports it beside them; ``cost`` follows the family.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.errors import ConfigError
from gateway.policy.limits import MICROS
from gateway.validation import describe_validation_error

__all__ = ["Cost", "Price", "PriceTable", "load_prices"]

#: what a provider appends to a model's name for a snapshot or a version
_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|\d{4}|latest|v\d+(\.\d+)*)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceEntry(_Strict):
    input: float = Field(ge=0, description="USD per million input tokens")
    output: float = Field(ge=0, description="USD per million output tokens")
    cached_input: float | None = Field(default=None, ge=0)
    source: str | None = None
    as_of: datetime.date | None = None


class ProviderPrices(_Strict):
    source: str
    as_of: datetime.date
    models: dict[str, PriceEntry]


class PriceFile(_Strict):
    currency: str = "USD"
    providers: dict[str, ProviderPrices]


@dataclass(frozen=True, slots=True)
class Price:
    provider: str
    model: str
    input: float
    output: float
    cached_input: float | None
    source: str
    as_of: str


@dataclass(frozen=True, slots=True)
class Cost:
    """What ``details.cost`` of a completion holds."""

    amount: float | None  # USD; None: unknown
    micros: int  # the amount in millionths of a USD, charged to spend limits
    priced_as: str | None = None  # the table's model name
    reason: str | None = None  # why unknown: no_usage | no_price

    def to_record(self) -> dict[str, Any]:
        found: dict[str, Any] = {"currency": "USD", "amount": self.amount}
        if self.priced_as is not None:
            found["priced_as"] = self.priced_as
        if self.reason is not None:
            found["reason"] = self.reason
        return found


class PriceTable:
    def __init__(self, prices: Mapping[tuple[str, str], Price]) -> None:
        self._prices = dict(prices)
        self._found: dict[tuple[str, str], Price | None] = {}

    def __len__(self) -> int:
        return len(self._prices)

    def price(self, provider: str, model: str | None) -> Price | None:
        """The entry for ``model`` of ``provider``, or None (unknown)."""
        if not model:
            return None
        key = (provider, model)
        if key in self._found:
            return self._found[key]
        name = model.removeprefix("models/")
        found = self._prices.get((provider, name))
        while found is None and (shorter := _SUFFIX.sub("", name)) != name:
            name = shorter
            found = self._prices.get((provider, name))
        if len(self._found) < 4096:  # model names are the caller's: keep the memo bounded
            self._found[key] = found
        return found

    def cost(
        self, provider: str | None, family: str, model: str | None, usage: Mapping[str, int] | None
    ) -> Cost:
        """The request's cost from the provider's reported usage (None: nothing reported)."""
        if not usage:
            return Cost(None, 0, reason="no_usage")
        price = self.price(provider or "", model)
        if price is None:
            return Cost(None, 0, reason="no_price")
        inputs = usage.get("input_tokens", 0)
        cached = usage.get("cached_input_tokens", 0)
        if family != "anthropic":  # cached tokens are part of the input count
            inputs = max(0, inputs - cached)
        cached_price = price.cached_input if price.cached_input is not None else price.input
        total = (
            inputs * price.input
            + cached * cached_price
            + usage.get("output_tokens", 0) * price.output
        )  # USD per million tokens × tokens = micro-USD
        micros = round(total)
        return Cost(round(total / MICROS, 8), micros, priced_as=price.model)


def load_prices(
    file: Path | None = None, overrides: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None
) -> PriceTable:
    """The shipped table (or ``file``), with ``overrides`` (provider → model → entry)."""
    if file is None:
        raw = resources.files("gateway.limits").joinpath("prices.yaml").read_text("utf-8")
        name = "the shipped price table"
    else:
        try:
            raw = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"prices.file: cannot read {file}: {exc.strerror}") from None
        name = str(file)
    try:
        document = PriceFile.model_validate(yaml.safe_load(raw))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name} is not valid YAML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(
            f"invalid price table {name}:\n{describe_validation_error(exc)}"
        ) from None
    if document.currency != "USD":
        raise ConfigError(f"{name}: currency must be USD (limits count spend in USD)")
    prices: dict[tuple[str, str], Price] = {}
    for provider, listed in document.providers.items():
        for model, entry in listed.models.items():
            prices[(provider, model)] = _price(provider, model, entry, listed.source, listed.as_of)
    for provider, models in (overrides or {}).items():
        for model, values in models.items():
            try:
                entry = PriceEntry.model_validate(values)
            except ValidationError as exc:
                raise ConfigError(
                    f"prices.overrides.{provider}.{model}:\n{describe_validation_error(exc)}"
                ) from None
            prices[(provider, model)] = _price(provider, model, entry, "settings", None)
    return PriceTable(prices)


def _price(
    provider: str, model: str, entry: PriceEntry, source: str, as_of: datetime.date | None
) -> Price:
    when = entry.as_of or as_of
    return Price(
        provider,
        model,
        entry.input,
        entry.output,
        entry.cached_input,
        entry.source or source,
        when.isoformat() if when else "",
    )
