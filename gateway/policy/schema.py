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

The tests (``Condition``'s keys besides the combinators) and a test case's
request sketch (``RequestSketch``) are generated from the table of facts
(``fact_table.FACTS``), so a new fact is written, validated and shown by
``haetae policy schema`` without an edit here. Type checkers see the
hand-written bases, whose generated fields they read as ``Any``.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    create_model,
    field_validator,
    model_validator,
)

from gateway.policy.fact_table import FACTS, EntityCountSketch, Fact
from gateway.policy.matchers import EntityThreshold, Range
from gateway.policy.providers import ProviderId, ProviderSpec

__all__ = [
    "ACTIONS",
    "ANSWER_ACTIONS",
    "EDIT_ACTIONS",
    "LIMIT_DIMENSIONS",
    "AllowList",
    "AnswerSketch",
    "CompanySecrets",
    "Condition",
    "DetectionPolicy",
    "Dictionary",
    "EntityCountSketch",
    "EntityThreshold",
    "Expectation",
    "Limit",
    "PolicyDocument",
    "PolicyTest",
    "Range",
    "RequestSketch",
    "Rule",
    "json_schema",
    "window_seconds",
]

Action = Literal["allow", "block", "warn", "redact", "hash", "pseudonymize", "mask"]
ACTIONS: tuple[str, ...] = ("allow", "block", "warn", "redact", "hash", "pseudonymize", "mask")
Language = Literal["en", "ko"]
Direction = Literal["request", "response", "both"]

#: What a rule may do to an answer: it has already been produced, so it can only be
#: withheld or edited where the caller reads it (a pseudonym would have nothing to
#: restore it, a warning header has gone out before the first event).
ANSWER_ACTIONS: tuple[str, ...] = ("block", "redact", "hash", "mask")

#: Actions that edit the request, most protective first: when two matching rules
#: want different edits of the same entity type, the earlier one here wins.
EDIT_ACTIONS: tuple[str, ...] = ("redact", "hash", "pseudonymize", "mask")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _ConditionBase(_Strict):
    """The combinators; every other key of ``Condition`` is a fact of ``FACTS``."""

    any_of: list[Condition] | None = Field(default=None, alias="any", min_length=1)
    all_of: list[Condition] | None = Field(default=None, alias="all", min_length=1)
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        combinators = [self.any_of, self.all_of, self.not_]
        if all(getattr(self, key) is None for key in type(self).model_fields):
            raise ValueError("a condition needs at least one test")
        if sum(value is not None for value in combinators) > 1:
            raise ValueError("use one of 'any', 'all', 'not' per mapping; nest them instead")
        return self

    if TYPE_CHECKING:  # the fact fields, generated below

        def __getattr__(self, name: str) -> Any: ...


def _leaf(fact: Fact) -> tuple[Any, Any]:
    """A fact's field: absent by default; its check runs after pydantic's own, so its
    error carries the key's location like any schema error."""
    annotation: Any = fact.value | None
    if fact.check is not None:
        check = fact.check
        annotation = Annotated[
            annotation, AfterValidator(lambda v: None if v is None else check(v))
        ]
    return annotation, Field(
        default=None,
        alias=fact.key if fact.key != fact.field else None,
        min_length=fact.min_length,
        description=fact.description,
    )


if TYPE_CHECKING:
    Condition: TypeAlias = _ConditionBase
else:
    Condition = create_model(
        "Condition",
        __base__=_ConditionBase,
        __module__=__name__,
        **{fact.field: _leaf(fact) for fact in FACTS},
    )


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)
    description: str = ""
    when: Condition
    unless: Condition | None = None
    action: Action
    direction: Direction = Field(
        default="request",
        description="what the rule judges: the request (default), the answer, or both",
    )
    mode: Literal["enforce", "monitor"] = "enforce"
    message: dict[Language, str] = Field(default_factory=dict)
    since: datetime.date | None = Field(
        default=None, description="when the rule was added; old monitor rules are flagged"
    )
    coach: dict[Language, str] = Field(
        default_factory=dict,
        description="a note for the caller when this rule redacts or warns (x-haetae-notice)",
    )

    @model_validator(mode="after")
    def _answer_action(self) -> Self:
        if self.direction != "request" and self.action not in ANSWER_ACTIONS:
            raise ValueError(
                f"action '{self.action}' cannot act on an answer (direction "
                f"'{self.direction}'); use one of {', '.join(ANSWER_ACTIONS)}"
            )
        return self

    @property
    def judges_requests(self) -> bool:
        return self.direction != "response"

    @property
    def judges_answers(self) -> bool:
        return self.direction != "request"


LimitDimension = Literal["user", "group", "client_app", "source", "provider", "model"]
LIMIT_DIMENSIONS: tuple[str, ...] = ("user", "group", "client_app", "source", "provider", "model")
#: ``60s``, ``15m``, ``1h``, ``1d``, ``30d``: how far back a limit counts
_WINDOW = re.compile(r"^([1-9][0-9]{0,6})([smhd])$")
_WINDOW_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_WINDOW_SECONDS = 366 * 86400


def window_seconds(text: str) -> int:
    """``"30d"`` → 2592000; ValueError says what a window looks like."""
    found = _WINDOW.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"window {text!r}: write a number and a unit s, m, h or d (60s, 1h, 30d)")
    seconds = int(found.group(1)) * _WINDOW_UNITS[found.group(2)]
    if seconds > MAX_WINDOW_SECONDS:
        raise ValueError(f"window {text!r} is longer than 366 days")
    return seconds


class Limit(_Strict):
    """How much the callers that share a key (``per``) may use within ``window``."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)
    description: str = ""
    per: LimitDimension | list[LimitDimension] = Field(
        description="what one counter is kept for: a caller fact, or several (a combination)"
    )
    requests: int | None = Field(default=None, ge=1, description="requests admitted per window")
    tokens: int | None = Field(
        default=None, ge=1, description="input plus output tokens per window, as providers report"
    )
    spend: float | None = Field(
        default=None, gt=0, description="cost per window, in `currency`, by the price table"
    )
    currency: Literal["USD"] = "USD"
    window: str = Field(description="60s, 15m, 1h, 1d, 30d: a sliding window this long")
    when: Condition | None = Field(default=None, description="count only requests this matches")
    message: dict[Language, str] = Field(default_factory=dict)

    @field_validator("per")
    @classmethod
    def _distinct(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and (not value or len(set(value)) != len(value)):
            raise ValueError("per needs one or more distinct dimensions")
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        window_seconds(value)
        return value

    @model_validator(mode="after")
    def _one_measure(self) -> Self:
        given = [
            name for name in ("requests", "tokens", "spend") if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                f"limit '{self.id}' needs exactly one of requests, tokens or spend"
                + (f" (has {', '.join(given)})" if given else "")
            )
        return self

    @property
    def kind(self) -> str:
        """``requests``, ``tokens`` or ``spend``."""
        return next(n for n in ("requests", "tokens", "spend") if getattr(self, n) is not None)

    @property
    def dimensions(self) -> tuple[str, ...]:
        return (self.per,) if isinstance(self.per, str) else tuple(self.per)

    @property
    def seconds(self) -> int:
        return window_seconds(self.window)


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


class CompanyRecords(_Strict):
    """Exact data match against registered tables (``COMPANY_RECORD``)."""

    min_fields: int = Field(
        default=2, ge=1, le=255, description="distinct columns of one row that must appear"
    )
    columns: list[str] = Field(
        default_factory=list,
        description="column names or types (name, phone, email, account, rrn, id, text) "
        "that count; default: all indexed columns",
    )
    tables: list[str] = Field(
        default_factory=list, description="registered tables to match; default: all"
    )


class CompanyDocuments(_Strict):
    """Fingerprints of registered documents and code (``COMPANY_DOCUMENT``,
    ``COMPANY_SOURCE_CODE``)."""

    min_tokens: int = Field(
        default=40, ge=8, le=100_000, description="shortest passage, in tokens, that counts"
    )
    collections: list[str] = Field(
        default_factory=list, description="registered collections to match; default: all"
    )


class CompanySecrets(_Strict):
    """How the company index (``haetae company register-*``) is matched."""

    records: CompanyRecords = CompanyRecords()
    documents: CompanyDocuments = CompanyDocuments()


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
    company: CompanySecrets = Field(
        default_factory=CompanySecrets,
        description="matching the company index: COMPANY_RECORD, COMPANY_DOCUMENT, "
        "COMPANY_SOURCE_CODE",
    )

    @field_validator("thresholds")
    @classmethod
    def _scores(cls, value: dict[str, float]) -> dict[str, float]:
        for name, score in value.items():
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"{name}: a score is between 0 and 1, not {score}")
        return value


class _SketchBase(_Strict):
    """What a test case sends: only the facts a policy can see."""

    text: str | None = Field(default=None, description="scanned by the detector, as in serving")

    if TYPE_CHECKING:  # one key per fact, generated below

        def __getattr__(self, name: str) -> Any: ...


if TYPE_CHECKING:
    RequestSketch: TypeAlias = _SketchBase
else:
    RequestSketch = create_model(
        "RequestSketch",
        __base__=_SketchBase,
        __module__=__name__,
        __doc__=_SketchBase.__doc__,
        **{
            fact.sketch.key or fact.field: (fact.sketch.annotation, fact.sketch.default)
            for fact in FACTS
        },
    )


class Expectation(_Strict):
    action: Action
    rules: list[str] | None = Field(default=None, description="exactly these rules decided")
    edits: dict[str, str] | None = None
    monitored: list[str] | None = None


class AnswerSketch(_Strict):
    """The answer a test case's provider gives; ``expect`` is then the decision on it."""

    text: str = Field(description="scanned by the detector, as an answer is in serving")


class PolicyTest(_Strict):
    name: str = Field(min_length=1)
    request: RequestSketch = RequestSketch()
    response: AnswerSketch | None = Field(
        default=None, description="an answer to judge; 'expect' then describes its decision"
    )
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
    limits: list[Limit] = Field(
        default_factory=list, description="requests, tokens or spend per user, group, ..."
    )
    coach_in_answer: bool = Field(
        default=False,
        description="also put a redacting or warning rule's coach note into the answer's text",
    )
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
        limits: set[str] = set()
        for limit in self.limits:
            if limit.id in limits:
                raise ValueError(f"limit id '{limit.id}' is used twice")
            limits.add(limit.id)
        return self


Condition.model_rebuild()


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to complete and check policy files."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **PolicyDocument.model_json_schema(by_alias=True),
        "title": "Haetae policy",
    }
