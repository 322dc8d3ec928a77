"""The provider catalog and its per-deployment configuration.

The catalog (``catalog.yaml``) holds facts: who operates an API and where. The
settings add what differs per deployment: a mirror's base URL, and whether the
gateway injects its own key. ``build_providers`` joins the two once at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.errors import ConfigError
from gateway.settings import CredentialSettings, ProviderSettings

__all__ = ["CatalogEntry", "Provider", "build_providers", "load_catalog"]

Family = Literal["openai", "anthropic", "gemini"]


class CatalogEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    family: Family
    base_url: str | None
    auth_header: Literal["authorization", "x-api-key", "x-goog-api-key", "api-key"]
    operator: str
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    parent_jurisdiction: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    #: where the operator says it processes data (ISO country codes)
    regions: list[str] = Field(default_factory=list)
    source: str


class _Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    providers: list[CatalogEntry]


@dataclass(frozen=True, slots=True)
class Provider:
    """A catalog entry as this deployment reaches it."""

    entry: CatalogEntry
    base_url: str | None
    injected_key: str | None  # None: the caller's own credentials pass through

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def family(self) -> Family:
        return self.entry.family

    def auth_header_value(self) -> tuple[bytes, bytes] | None:
        """The header that carries the injected key, in the provider's own style."""
        if self.injected_key is None:
            return None
        name = self.entry.auth_header
        value = f"Bearer {self.injected_key}" if name == "authorization" else self.injected_key
        return name.encode("latin-1"), value.encode("latin-1")


def load_catalog(text: str | None = None) -> dict[str, CatalogEntry]:
    """Parse the shipped catalog (or ``text``) into entries keyed by id."""
    if text is None:
        text = resources.files("gateway.providers").joinpath("catalog.yaml").read_text("utf-8")
    try:
        catalog = _Catalog.model_validate(yaml.safe_load(text))
    except (ValidationError, yaml.YAMLError) as exc:
        raise ConfigError(f"invalid provider catalog: {exc}") from None
    entries: dict[str, CatalogEntry] = {}
    for entry in catalog.providers:
        if entry.id in entries:
            raise ConfigError(f"provider catalog lists '{entry.id}' twice")
        entries[entry.id] = entry
    return entries


def build_providers(
    catalog: Mapping[str, CatalogEntry],
    settings: Mapping[str, ProviderSettings],
    environ: Mapping[str, str] | None = None,
) -> dict[str, Provider]:
    """Apply per-deployment settings; unknown ids and missing keys fail here, not later."""
    unknown = sorted(set(settings) - set(catalog))
    if unknown:
        raise ConfigError(
            f"providers.{unknown[0]}: not in the provider catalog "
            f"(known: {', '.join(sorted(catalog))})"
        )
    env = os.environ if environ is None else environ
    providers: dict[str, Provider] = {}
    for provider_id, entry in catalog.items():
        configured = settings.get(provider_id, ProviderSettings())
        providers[provider_id] = Provider(
            entry=entry,
            base_url=configured.base_url or entry.base_url,
            injected_key=_resolve_key(provider_id, configured.credentials, env),
        )
    return providers


def _resolve_key(
    provider_id: str, credentials: CredentialSettings, env: Mapping[str, str]
) -> str | None:
    if credentials.mode == "passthrough":
        return None
    where = f"providers.{provider_id}.credentials"
    if credentials.env is not None:
        key = env.get(credentials.env, "").strip()
        if not key:
            raise ConfigError(f"{where}: environment variable {credentials.env} is not set")
        return key
    assert credentials.file is not None
    try:
        key = credentials.file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {credentials.file}: {exc.strerror}") from None
    if not key:
        raise ConfigError(f"{where}: {credentials.file} is empty")
    return key
