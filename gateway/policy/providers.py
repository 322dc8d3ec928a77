"""Providers a policy adds or corrects, merged over the shipped catalog.

A policy may declare a provider the catalog does not know (an internal vLLM, a
vendor's international platform) or correct a catalog fact for its deployment
(the Azure resource lives in Korea Central). The merged catalog is what routing
and the policy's conditions see, so a provider is always judged by the facts the
active policy states; the policy's version hash covers them like any other line.

    providers:
      internal-llm:                  # new: family, base_url, operator,
        family: openai               # jurisdiction and regions are required
        base_url: http://vllm.corp.example:8000
        operator: Example Corp IT
        jurisdiction: KR
        regions: [KR]
      azure-openai:                  # known: only the facts that differ
        base_url: https://corp-kr.openai.azure.com
        regions: [KR]
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from gateway.errors import ConfigError
from gateway.providers.catalog import (
    PROVIDER_ID_PATTERN,
    AuthHeader,
    CatalogEntry,
    Fact,
    Family,
    load_catalog,
)
from gateway.providers.countries import Country, Region

__all__ = ["ProviderId", "ProviderSpec", "merge_providers", "policy_catalog"]

ProviderId = Annotated[str, StringConstraints(pattern=PROVIDER_ID_PATTERN)]

#: what a provider new to the catalog must state; the rest has defaults
REQUIRED_FOR_NEW: tuple[str, ...] = ("family", "base_url", "operator", "jurisdiction", "regions")


class ProviderSpec(BaseModel):
    """One ``providers:`` entry: every catalog field, all optional; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    family: Family | None = None
    base_url: str | None = None
    hosts: list[str] | None = None
    auth_header: AuthHeader | None = None
    operator: str | None = None
    jurisdiction: Country | None = None
    parent_jurisdiction: Country | None = None
    regions: list[Region] | Literal["unknown"] | None = None
    source: str | None = None
    regions_source: str | None = None
    unverified: list[Fact] | None = None
    notes: str | None = None


def merge_providers(
    catalog: Mapping[str, CatalogEntry],
    declared: Mapping[str, ProviderSpec],
    *,
    policy_name: str,
) -> dict[str, CatalogEntry]:
    """The catalog with the policy's entries laid over it; a bad entry fails here, whole."""
    merged = dict(catalog)
    for provider_id, spec in declared.items():
        given = spec.model_dump(exclude_unset=True)
        known = catalog.get(provider_id)
        data: dict[str, Any]
        if known is None:
            missing = [key for key in REQUIRED_FOR_NEW if key not in given]
            if missing:
                raise ConfigError(
                    f"providers.{provider_id}: not in the provider catalog, so the policy "
                    f"must state {', '.join(missing)}"
                )
            data = {
                "name": provider_id,
                "auth_header": "authorization",
                "source": f"policy '{policy_name}'",
                **given,
            }
        else:
            data = {**known.model_dump(), **given}
        data["id"] = provider_id
        try:
            merged[provider_id] = CatalogEntry.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"providers.{provider_id}: {_first_problem(exc)}") from None
    return merged


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


@cache
def _shipped_catalog() -> Mapping[str, CatalogEntry]:
    return load_catalog()


def policy_catalog(
    name: str,
    declared: Mapping[str, ProviderSpec],
    catalog: Mapping[str, CatalogEntry] | None = None,
) -> dict[str, CatalogEntry]:
    """The catalog a policy sees: the shipped one (or ``catalog``) plus its ``providers``."""
    base = _shipped_catalog() if catalog is None else catalog
    return merge_providers(base, declared, policy_name=name)
