"""The policy file format, validated by pydantic; unknown keys are errors.

A condition is a mapping. ``any`` / ``all`` / ``not`` combine conditions; every
other key is a test on the request, and several keys in one mapping must all
hold::

    when:
      any:
        - provider.jurisdiction: [CN]
        - { entities: [KR_RRN], provider: [openai] }
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.policy.providers import ProviderId, ProviderSpec

__all__ = [
    "EDIT_ACTIONS",
    "Condition",
    "DetectionPolicy",
    "Dictionary",
    "PolicyDocument",
    "Rule",
]

Action = Literal["allow", "block", "redact", "hash", "pseudonymize", "mask"]

#: Actions that edit the request, most protective first: when two matching rules
#: want different edits of the same entity type, the earlier one here wins.
EDIT_ACTIONS: tuple[str, ...] = ("redact", "hash", "pseudonymize", "mask")

_LEAF_KEYS = (
    "provider",
    "provider_jurisdiction",
    "provider_parent_jurisdiction",
    "api",
    "model",
    "entities",
)


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    any_of: list[Condition] | None = Field(default=None, alias="any", min_length=1)
    all_of: list[Condition] | None = Field(default=None, alias="all", min_length=1)
    not_: Condition | None = Field(default=None, alias="not")

    provider: list[str] | None = Field(default=None, min_length=1)
    provider_jurisdiction: list[str] | None = Field(
        default=None, alias="provider.jurisdiction", min_length=1
    )
    provider_parent_jurisdiction: list[str] | None = Field(
        default=None, alias="provider.parent_jurisdiction", min_length=1
    )
    api: list[str] | None = Field(default=None, min_length=1)
    model: list[str] | None = Field(default=None, min_length=1, description="glob patterns")
    entities: list[str] | None = Field(
        default=None, min_length=1, description="entity types or globs such as SECRET_*"
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        combinators = [self.any_of, self.all_of, self.not_]
        leaves = [getattr(self, key) for key in _LEAF_KEYS]
        if all(value is None for value in combinators + leaves):
            raise ValueError("a condition needs at least one test")
        if sum(value is not None for value in combinators) > 1:
            raise ValueError("use one of 'any', 'all', 'not' per mapping; nest them instead")
        return self


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)
    description: str = ""
    when: Condition
    unless: Condition | None = None
    action: Action
    mode: Literal["enforce", "monitor"] = "enforce"
    message: dict[Literal["en", "ko"], str] = Field(default_factory=dict)


class Dictionary(BaseModel):
    """A company term list: code names, customers, internal hosts (``*.corp.example``), CIDRs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="the entity type rules name")
    terms: list[str] = Field(default_factory=list)
    file: str | None = Field(
        default=None, description="one term per line; relative to the policy file"
    )
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _has_terms(self) -> Dictionary:
        if not self.terms and self.file is None:
            raise ValueError(f"dictionary {self.entity} needs 'terms' or 'file'")
        return self


class DetectionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Findings scored below this are informational: recorded by nobody, acted on never.
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    dictionaries: list[Dictionary] = Field(default_factory=list)


class PolicyDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = Field(min_length=1)
    description: str = ""
    default_action: Literal["allow", "block"] = "allow"
    default_language: Literal["en", "ko"] = "en"
    detection: DetectionPolicy = DetectionPolicy()
    rules: list[Rule] = Field(default_factory=list)
    #: providers this policy adds to the catalog or corrects (see gateway.policy.providers)
    providers: dict[ProviderId, ProviderSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> PolicyDocument:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id '{rule.id}' is used twice")
            seen.add(rule.id)
        return self
