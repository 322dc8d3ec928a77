"""Whose model a request names, and whether the prompt may reach that developer.

Aggregators serve models from many developers, so the provider's operator
(``catalog.yaml``) does not say who may receive a prompt. ``models.yaml``
adds, as data with sources, each developer's jurisdiction, the ways
aggregators spell its models, and how each aggregator serves others' models:
on its own infrastructure, or by routing to hosting providers that may include
the developer's own API. It is compiled once at load (one dictionary of
organisation prefixes, one regular expression of name prefixes) and the
answer for a provider and model is memoized, so a request pays a lookup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.errors import ConfigError
from gateway.providers.countries import Country, country_problem
from gateway.validation import describe_validation_error

__all__ = [
    "UNKNOWN",
    "Developer",
    "ModelCatalog",
    "ModelFacts",
    "Serving",
    "load_models",
    "model_catalog",
]

#: the operator and jurisdiction of a model no developer entry recognises
UNKNOWN = "unknown"

_ID = r"^[a-z0-9][a-z0-9-]*$"
#: Bedrock's ``[region.]vendor.model`` ids (``us.deepseek.r1-v1:0``)
_BEDROCK = re.compile(r"^(?:(?:us|eu|apac|us-gov|global|jp|au|ca)\.)?([a-z0-9-]+)\.(.+)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Developer(_Strict):
    """A company that develops models, and how aggregators name them."""

    id: str = Field(pattern=_ID)
    name: str
    jurisdiction: Country
    source: str
    #: catalog provider ids that are this developer's own API
    apis: list[str] = Field(default_factory=list)
    orgs: list[str] = Field(min_length=1)
    names: list[str] = Field(min_length=1)
    unverified: list[Literal["name", "jurisdiction", "source", "names"]] = Field(
        default_factory=list
    )

    @field_validator("orgs", "names")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        for value in values:
            if value != value.lower() or not value:
                raise ValueError(f"'{value}' must be lower case (matching ignores case)")
        return values


class Serving(_Strict):
    """How a provider serves models of other developers."""

    serves: Literal["own", "router"]
    source: str
    #: how a request pins the router's hosts (routers only)
    pin: Literal["openrouter"] | None = None
    #: hosts a request may pin, by the jurisdiction of their operator (routers only)
    hosts: dict[str, str] = Field(default_factory=dict)
    unverified: list[Literal["serves", "hosts"]] = Field(default_factory=list)
    notes: str = ""


class _File(_Strict):
    developers: list[Developer]
    serving: dict[str, Serving]


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What a request's model(s) tell the policy.

    ``operators`` and ``jurisdictions`` hold one entry per model the request
    may use (OpenRouter's ``models`` adds fallbacks), ``unknown`` for a model
    no developer entry recognises. ``routed_to_developer``: the provider is a
    router that may pass the prompt on to the developer's own API, because the
    request does not pin it to hosts the catalog lists. A request sent to the
    developer's own API directly is not *routed*: the provider facts say where
    it goes.
    """

    operators: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    routed_to_developer: bool = False


_NONE = ModelFacts()


class ModelCatalog:
    """The compiled model catalog: developer lookup and per-provider serving."""

    def __init__(self, developers: list[Developer], serving: Mapping[str, Serving]) -> None:
        self.developers: dict[str, Developer] = {}
        self._orgs: dict[str, Developer] = {}
        names: dict[str, Developer] = {}
        for developer in developers:
            if developer.id in self.developers:
                raise ConfigError(f"model catalog lists developer '{developer.id}' twice")
            self.developers[developer.id] = developer
            for org in developer.orgs:
                if org in self._orgs:
                    raise ConfigError(f"model catalog: organisation '{org}' is listed twice")
                self._orgs[org] = developer
            for name in developer.names:
                if name in names:
                    raise ConfigError(f"model catalog: name prefix '{name}' is listed twice")
                names[name] = developer
        self._names = names
        # longest prefix first, so ``deepseek`` never shadows a longer, more precise one
        self._name_pattern = re.compile(
            "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        )
        for provider_id, entry in serving.items():
            if entry.serves == "router" and entry.pin is None:
                raise ConfigError(f"model catalog: router '{provider_id}' must state 'pin'")
        self.serving = dict(serving)
        self._lookup = lru_cache(maxsize=4096)(self._identify)
        self._direct = lru_cache(maxsize=4096)(self._facts)
        self._routed = lru_cache(maxsize=4096)(self._route)

    def developer(self, model: str) -> Developer | None:
        """The developer of ``model`` as some provider names it; None if not recognised."""
        return self._lookup(model)

    def facts(self, provider_id: str, model: str | None, body: Any = None) -> ModelFacts:
        """The model facts of a request for ``model`` sent to ``provider_id``.

        ``body`` is the parsed request body; only a router's options are read
        from it (fallback models, pinned hosts).
        """
        serving = self.serving.get(provider_id)
        if serving is None or serving.serves != "router" or not isinstance(body, dict):
            # memoized: everything but a router's body options is a function of the two
            return self._direct(provider_id, model) if model else _NONE
        fallbacks = body.get("models")  # OpenRouter: models tried when the first fails
        extra = (
            tuple(m for m in fallbacks if isinstance(m, str) and m)
            if isinstance(fallbacks, list)
            else ()
        )
        if not model and not extra:
            return _NONE
        return self._routed(model, extra, self._pinned(serving, body.get("provider")))

    def _route(self, model: str | None, fallbacks: tuple[str, ...], pinned: bool) -> ModelFacts:
        """A router's request: every model it may use; memoized like the rest."""
        models = list(dict.fromkeys([model, *fallbacks] if model else fallbacks))
        developers = [self.developer(m) for m in models]
        operators = (d.id if d else UNKNOWN for d in developers)
        countries = (d.jurisdiction if d else UNKNOWN for d in developers)
        return ModelFacts(
            operators=tuple(dict.fromkeys(operators)),
            jurisdictions=tuple(dict.fromkeys(countries)),
            routed_to_developer=not pinned,
        )

    def _facts(self, provider_id: str, model: str) -> ModelFacts:
        developer = self.developer(model)
        serving = self.serving.get(provider_id)
        routed = serving is not None and serving.serves == "router"
        if developer is None:
            return ModelFacts((UNKNOWN,), (UNKNOWN,), routed)
        return ModelFacts((developer.id,), (developer.jurisdiction,), routed)

    @staticmethod
    def _pinned(serving: Serving, options: Any) -> bool:
        """Whether the request keeps to hosts the catalog lists for this router."""
        if not isinstance(options, dict):
            return False
        hosts = options.get("only")
        if not hosts:
            hosts = options.get("order") if options.get("allow_fallbacks") is False else None
        if not isinstance(hosts, list) or not hosts:
            return False
        for host in hosts:
            if not isinstance(host, str):
                return False
            # OpenRouter accepts a slug or a slug with a variant (``deepinfra/turbo``)
            slug = host.strip().lower().split("/", 1)[0]
            if slug not in serving.hosts:
                return False
        return True

    def _identify(self, model: str) -> Developer | None:
        org, name = _split(model)
        if org is not None:
            found = self._orgs.get(org)
            if found is not None:
                return found
        match = self._name_pattern.match(name)
        return self._names[match.group()] if match else None


def _split(model: str) -> tuple[str | None, str]:
    """(organisation, name) of a model id as aggregators write it, lower-cased.

    ``deepseek/deepseek-chat:free`` → (deepseek, deepseek-chat);
    ``accounts/fireworks/models/qwen3-8b`` → (None, qwen3-8b), the account is the
    host's; ``publishers/google/models/gemini-2.0-flash`` → (google, …);
    ``us.meta.llama3-3-70b-instruct-v1:0`` → (meta, the whole id): a dotted name
    such as ``qwen2.5-72b`` is read by its prefix when ``qwen2`` is no organisation.
    """
    text = model.strip().lower()
    if text.startswith("ft:"):  # OpenAI fine-tunes: ft:<base>:<org>:…
        text = text[3:]
    text = text.split(":", 1)[0]  # OpenRouter variants (:free), Bedrock versions (:0)
    parts = [p for p in text.split("/") if p]
    if not parts:
        return None, ""
    if "models" in parts[:-1]:
        at = len(parts) - 1 - parts[::-1].index("models")
        name = "/".join(parts[at + 1 :])
        org = parts[parts.index("publishers") + 1] if "publishers" in parts[:at] else None
        return org, name
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    bedrock = _BEDROCK.match(parts[0])  # the vendor decides only if it is a developer's
    return (bedrock.group(1) if bedrock else None), parts[0]


def load_models(text: str | None = None) -> ModelCatalog:
    """Parse the shipped model catalog (or ``text``)."""
    if text is None:
        text = resources.files("gateway.providers").joinpath("models.yaml").read_text("utf-8")
    try:
        parsed = _File.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid model catalog: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"invalid model catalog:\n{describe_validation_error(exc)}") from None
    for provider_id, serving in parsed.serving.items():
        for host, country in serving.hosts.items():
            if (problem := country_problem(country)) is not None:
                raise ConfigError(f"model catalog: serving.{provider_id}.hosts.{host}: {problem}")
    return ModelCatalog(parsed.developers, parsed.serving)


@cache
def model_catalog() -> ModelCatalog:
    """The shipped model catalog, read once (it is package data, never per request)."""
    return load_models()
