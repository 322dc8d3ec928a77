"""The provider catalog and its per-deployment configuration.

The catalog (``catalog.yaml``) holds facts: who operates an API and where. The
settings add what differs per deployment: a mirror's base URL, and whether the
gateway injects its own key. ``build_providers`` joins the two once at start-up.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gateway.errors import ConfigError
from gateway.providers.countries import Country, Region
from gateway.settings import CredentialSettings, ProviderSettings
from gateway.validation import describe_validation_error

__all__ = [
    "PROVIDER_ID_PATTERN",
    "CatalogEntry",
    "Fact",
    "Provider",
    "build_providers",
    "host_allowed",
    "load_catalog",
]

Family = Literal["openai", "anthropic", "gemini"]
AuthHeader = Literal["authorization", "x-api-key", "x-goog-api-key", "api-key"]
#: the facts an entry can mark as not confirmed from the operator's own documents
Fact = Literal["operator", "jurisdiction", "regions", "base_url", "hosts"]

PROVIDER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
#: lower-case host names where ``*`` stands for any run of characters; no other glob syntax
_HOST_GLOB = re.compile(r"^[a-z0-9*]([a-z0-9.*-]*[a-z0-9])?(:[0-9]{1,5})?$")


class CatalogEntry(BaseModel):
    """Facts about one provider. ``regions`` empty means unknown: data is processed
    somewhere, the operator just does not say where (or it depends on the deployment)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=PROVIDER_ID_PATTERN)
    name: str
    family: Family
    base_url: str | None
    #: host names requests to this provider go to; ``*`` matches any part
    hosts: list[str] = Field(default_factory=list)
    auth_header: AuthHeader
    operator: str
    jurisdiction: Country
    parent_jurisdiction: Country | None = None
    #: where the operator says it processes data (ISO country codes)
    regions: list[Region] = Field(default_factory=list)
    source: str
    #: where the ``regions`` claim comes from, when not from ``source``
    regions_source: str | None = None
    unverified: list[Fact] = Field(default_factory=list)
    notes: str = ""

    @field_validator("regions", mode="before")
    @classmethod
    def _unknown_regions(cls, value: Any) -> Any:
        # ``regions: unknown`` reads better in YAML than an empty list
        return [] if value == "unknown" else value

    @field_validator("hosts")
    @classmethod
    def _host_globs(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            if not _HOST_GLOB.fullmatch(host):
                raise ValueError(
                    f"host '{host}' must be a lower-case host name in which '*' may stand "
                    "for any part (e.g. *.openai.azure.com)"
                )
        return hosts

    @model_validator(mode="before")
    @classmethod
    def _hosts_default_to_base_url(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("hosts"):
            return data
        url = data.get("base_url")
        host = _url_host(url) if isinstance(url, str) else None
        return {**data, "hosts": [host]} if host else data

    @model_validator(mode="after")
    def _base_url_within_hosts(self) -> CatalogEntry:
        if not self.hosts:
            raise ValueError("an entry without base_url needs 'hosts' to say where it lives")
        if self.base_url is None:
            return self
        host = _url_host(self.base_url)
        if host is None:
            raise ValueError(f"base_url '{self.base_url}' is not an http(s) URL")
        if not host_allowed(host, self.hosts):
            raise ValueError(
                f"base_url host '{host}' is not among hosts {self.hosts}; "
                "list it so host-based rules see the same place requests go"
            )
        return self


def _url_host(url: str) -> str | None:
    """``host[:port]`` of an http(s) URL, lower-cased; ``None`` for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.netloc.rpartition("@")[2].lower()


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


def host_allowed(host: str, patterns: list[str]) -> bool:
    """Whether ``host`` (with or without port) matches one of the catalog's host globs."""
    host = host.lower()
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return any(fnmatch.fnmatchcase(host, p) or fnmatch.fnmatchcase(bare, p) for p in patterns)


#: keys the catalog file must spell out, even where the model has a default: an
#: entry that forgot its regions must not read as "regions unknown"
_EXPLICIT_KEYS = ("hosts", "regions")


def load_catalog(text: str | None = None) -> dict[str, CatalogEntry]:
    """Parse the shipped catalog (or ``text``) into entries keyed by id."""
    if text is None:
        text = resources.files("gateway.providers").joinpath("catalog.yaml").read_text("utf-8")
    try:
        raw = yaml.safe_load(text)
        catalog = _Catalog.model_validate(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid provider catalog: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"invalid provider catalog:\n{describe_validation_error(exc)}") from None
    entries: dict[str, CatalogEntry] = {}
    for entry, spelled in zip(catalog.providers, raw["providers"], strict=True):
        missing = [key for key in _EXPLICIT_KEYS if key not in spelled]
        if missing:
            raise ConfigError(
                f"provider catalog entry '{entry.id}' must state {', '.join(missing)} "
                "(write 'regions: unknown' when the operator does not say)"
            )
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
