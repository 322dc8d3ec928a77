"""The policy file format, validated by pydantic; unknown keys are errors.

A condition is a mapping. ``any`` / ``all`` / ``not`` combine conditions; every
other key is a test on the request, and several keys in one mapping must all
hold::

    when:
      any:
        - provider.jurisdiction: [CN]
        - { entities: [KR_RRN], provider: [openai] }

One model describes both a policy and a fragment it includes; the loader
checks which keys only the including (top-level) file may set.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator, model_validator

from gateway.policy.providers import ProviderId, ProviderSpec

__all__ = [
    "ACTIONS",
    "EDIT_ACTIONS",
    "AllowList",
    "Condition",
    "DetectionPolicy",
    "Dictionary",
    "EntityThreshold",
    "Expectation",
    "PolicyDocument",
    "PolicyTest",
    "Range",
    "RequestSketch",
    "Rule",
    "json_schema",
]

Action = Literal["allow", "block", "warn", "redact", "hash", "pseudonymize", "mask"]
ACTIONS: tuple[str, ...] = ("allow", "block", "warn", "redact", "hash", "pseudonymize", "mask")
Language = Literal["en", "ko"]

#: Actions that edit the request, most protective first: when two matching rules
#: want different edits of the same entity type, the earlier one here wins.
EDIT_ACTIONS: tuple[str, ...] = ("redact", "hash", "pseudonymize", "mask")

_ENTITY = re.compile(r"^[A-Z*?][A-Z0-9_*?]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EntityThreshold(_Strict):
    """How many findings of a type (at what score) make an ``entities`` test hold."""

    min_count: int = Field(default=1, ge=1)
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)


class Range(_Strict):
    """An inclusive range; either end may be left open."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give 'min', 'max' or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min}) is above 'max' ({self.max}): nothing fits")
        return self


def _countries(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [v.upper() if len(v) == 2 else v for v in values]


class Condition(_Strict):
    any_of: list[Condition] | None = Field(default=None, alias="any", min_length=1)
    all_of: list[Condition] | None = Field(default=None, alias="all", min_length=1)
    not_: Condition | None = Field(default=None, alias="not")

    # subject: who is calling
    user: list[str] | None = Field(default=None, min_length=1, description="user id globs")
    groups: list[str] | None = Field(
        default=None, min_length=1, description="the caller is in at least one"
    )
    source: list[str] | None = Field(
        default=None, min_length=1, description="caller address networks (CIDR)"
    )
    client_app: list[str] | None = Field(
        default=None, min_length=1, description="client application globs"
    )
    anonymous: bool | None = Field(default=None, description="no identity was established")

    # destination: where the request goes
    provider: list[str] | None = Field(default=None, min_length=1)
    provider_jurisdiction: list[str] | None = Field(
        default=None, alias="provider.jurisdiction", min_length=1
    )
    provider_parent_jurisdiction: list[str] | None = Field(
        default=None, alias="provider.parent_jurisdiction", min_length=1
    )
    provider_regions: list[str] | None = Field(
        default=None,
        alias="provider.regions",
        min_length=1,
        description="the provider says it processes data in at least one of these countries",
    )
    host: list[str] | None = Field(default=None, min_length=1, description="upstream host globs")
    endpoint_ip_country: list[str] | None = Field(
        default=None,
        alias="endpoint.ip_country",
        min_length=1,
        description="country of an address the host resolves to; also unresolved|unknown|private",
    )
    api: list[str] | None = Field(default=None, min_length=1)
    model: list[str] | None = Field(default=None, min_length=1, description="glob patterns")

    # content
    entities: list[str] | dict[str, EntityThreshold] | None = Field(
        default=None,
        min_length=1,
        description="entity types or globs such as SECRET_*; a mapping sets min_count/min_score",
    )
    prompt_chars: Range | None = Field(default=None, description="characters of inspected text")
    attachments: bool | list[str] | None = Field(
        default=None, description="true: any attachment; or the kinds (image, file, audio, …)"
    )
    server_references: bool | list[str] | None = Field(
        default=None,
        description="true: any; or the kinds (file_id, previous_response_id, cachedContent, …)",
    )

    _check_countries = field_validator(
        "provider_jurisdiction", "provider_parent_jurisdiction", "provider_regions"
    )(_countries)

    @field_validator("endpoint_ip_country")
    @classmethod
    def _ip_countries(cls, values: list[str] | None) -> list[str] | None:
        values = _countries(values)
        for value in values or ():
            if not (len(value) == 2 and value.isalpha()) and value not in (
                "unresolved",
                "unknown",
                "private",
            ):
                raise ValueError(
                    f"'{value}' is not a two-letter country code, 'unresolved', "
                    "'unknown' or 'private'"
                )
        return values

    @field_validator("source")
    @classmethod
    def _networks(cls, values: list[str] | None) -> list[str] | None:
        for value in values or ():
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"'{value}' is not an address or network (CIDR)") from None
        return values

    @field_validator("entities")
    @classmethod
    def _entity_names(
        cls, value: list[str] | dict[str, EntityThreshold] | None
    ) -> list[str] | dict[str, EntityThreshold] | None:
        for name in value or ():
            if not _ENTITY.match(name):
                raise ValueError(f"'{name}' is not an entity type (upper case, globs allowed)")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        combinators = [self.any_of, self.all_of, self.not_]
        if all(getattr(self, key) is None for key in type(self).model_fields):
            raise ValueError("a condition needs at least one test")
        if sum(value is not None for value in combinators) > 1:
            raise ValueError("use one of 'any', 'all', 'not' per mapping; nest them instead")
        return self


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)
    description: str = ""
    when: Condition
    unless: Condition | None = None
    action: Action
    mode: Literal["enforce", "monitor"] = "enforce"
    message: dict[Language, str] = Field(default_factory=dict)
    since: datetime.date | None = Field(
        default=None, description="when the rule was added; old monitor rules are flagged"
    )


class Dictionary(_Strict):
    """A company term list: code names, customers, internal hosts (``*.corp.example``), CIDRs."""

    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="the entity type rules name")
    terms: list[str] = Field(default_factory=list)
    file: StrictStr | None = Field(
        default=None, description="one term per line; relative to the policy file"
    )
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _has_terms(self) -> Dictionary:
        if not self.terms and self.file is None:
            raise ValueError(f"dictionary {self.entity} needs 'terms' or 'file'")
        return self


class AllowList(_Strict):
    """Values that are never findings, e.g. the company's public support address."""

    values: list[str] = Field(default_factory=list)
    file: StrictStr | None = Field(
        default=None, description="one value per line; relative to the policy file"
    )
    entities: list[str] | None = Field(
        default=None, min_length=1, description="only for these types (globs); default: all"
    )
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _has_values(self) -> AllowList:
        if not self.values and self.file is None:
            raise ValueError("an allow-list needs 'values' or 'file'")
        return self


class DetectionPolicy(_Strict):
    # Findings scored below this are informational: recorded by nobody, acted on never.
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="per entity type (or glob): its own min_score"
    )
    scan: list[str] = Field(
        default_factory=list, description="also scan (and count in audit) these entity types"
    )
    allow: list[AllowList] = Field(default_factory=list)
    dictionaries: list[Dictionary] = Field(default_factory=list)

    @field_validator("thresholds")
    @classmethod
    def _scores(cls, value: dict[str, float]) -> dict[str, float]:
        for name, score in value.items():
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"{name}: a score is between 0 and 1, not {score}")
        return value


class RequestSketch(_Strict):
    """What a test case sends: only the facts a policy can see."""

    provider: str = "openai"
    api: str = "chat"
    model: str | None = "gpt-4o"
    jurisdiction: str | None = Field(default=None, description="default: from the catalog")
    parent_jurisdiction: str | None = None
    regions: list[str] | None = None
    host: str | None = Field(default=None, description="default: the catalog's host")
    endpoint_country: str | list[str] | None = Field(
        default=None, description="default: not resolved (no country)"
    )
    user: str | None = None
    groups: list[str] = Field(default_factory=list)
    source: str | None = None
    client_app: str | None = None
    anonymous: bool | None = Field(default=None, description="default: anonymous unless a user")
    entities: dict[str, int | EntityCountSketch] = Field(default_factory=dict)
    text: str | None = Field(default=None, description="scanned by the detector, as in serving")
    prompt_chars: int | None = Field(default=None, ge=0, description="default: len(text)")
    attachments: list[str] = Field(default_factory=list)
    server_references: list[str] = Field(default_factory=list)


class EntityCountSketch(_Strict):
    count: int = Field(default=1, ge=0)
    score: float = Field(default=1.0, ge=0.0, le=1.0)


class Expectation(_Strict):
    action: Action
    rules: list[str] | None = Field(default=None, description="exactly these rules decided")
    edits: dict[str, str] | None = None
    monitored: list[str] | None = None


class PolicyTest(_Strict):
    name: str = Field(min_length=1)
    request: RequestSketch = RequestSketch()
    expect: Expectation


class PolicyDocument(_Strict):
    """A policy file, or a fragment that one includes (no name, defaults or tests)."""

    policy: str | None = Field(default=None, min_length=1, description="required at top level")
    description: str = ""
    include: list[StrictStr] = Field(default_factory=list, description="fragments, relative paths")
    default_action: Literal["allow", "block"] = "allow"
    default_language: Language = "en"
    groups: list[str] | None = Field(
        default=None, description="the groups identity can report; other names are errors"
    )
    detection: DetectionPolicy = DetectionPolicy()
    rules: list[Rule] = Field(default_factory=list)
    #: providers this policy adds to the catalog or corrects (see gateway.policy.providers)
    providers: dict[ProviderId, ProviderSpec] = Field(default_factory=dict)
    tests: list[PolicyTest] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> PolicyDocument:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id '{rule.id}' is used twice")
            seen.add(rule.id)
        return self


RequestSketch.model_rebuild()


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to complete and check policy files."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **PolicyDocument.model_json_schema(by_alias=True),
        "title": "Haetae policy",
    }
