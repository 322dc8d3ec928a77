"""Every fact a policy condition can test, declared once.

A fact is one key of a condition mapping (``provider.jurisdiction``,
``server_references`` …). Its entry says everything the rest of the policy
code needs, so none of it names a fact:

- ``key``, ``value``, ``check``, ``min_length``, ``description``: how the
  condition is written and validated; ``schema.Condition`` (and so
  ``haetae policy schema``) is generated from them;
- ``kind`` / ``match``: how a condition on it is tested (``matchers``), which
  ``conditions.compile_leaf`` calls and the lint reasons with;
- ``attr``: the ``PolicyInput`` field that carries the request's value, which
  ``explain`` shows next to the test;
- ``read``: the value of a live request (the ``Exchange`` at the Decide stage);
- ``rebuild``: the value recorded in an audit record, for dry runs — or None
  when the record does not keep it, and then a dry run judges the request as
  if it had none (the field's default), a limit ``rollout/dryrun.py`` lists;
- ``sketch``: the key a policy's test case sets and how it becomes the value
  (``schema.RequestSketch`` is generated from it; ``cases.Sketcher`` uses it).

Like Presidio's recognizer registry and Cedar's schema, the table declares
what exists; the compiler, explain, lint, test cases and dry run only use it.
Adding a condition is one entry here, the typed ``PolicyInput`` field that
carries its value, and its tests; ``tests/policy/test_fact_table.py`` walks
every entry through each of those uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from gateway.policy.facts import Live, PolicyInput, Reader, Rebuilder, Recorded, SketchContext
from gateway.policy.hosts import upstream_host
from gateway.policy.matchers import (
    MATCHERS,
    CompileContext,
    EntityThreshold,
    FactKind,
    Matcher,
    Predicate,
    Range,
    check_countries,
    check_entity_names,
    check_ip_countries,
    check_networks,
    declared_groups,
    globs,
    resolved_countries,
)
from gateway.policy.model_facts import (
    check_model_countries,
    check_operators,
    recorded_model,
    request_model,
    sketched_model,
)
from gateway.policy.source import KeyPath
from gateway.providers.webapps import WEB_APP_API, check_web_apps

if TYPE_CHECKING:
    from gateway.providers.catalog import Provider

__all__ = [
    "FACTS",
    "Also",
    "EntityCountSketch",
    "Fact",
    "Sketch",
    "by_field",
    "read_input",
    "rebuild_input",
    "sketch_input",
]


@dataclass(frozen=True, slots=True)
class Sketch:
    """A test case's key for a fact: its type, default, and how it becomes the value.

    ``value`` receives the whole sketch (a default may depend on another key,
    as ``anonymous`` does on ``user``) and may raise ValueError for a sketch
    the policy could never see.
    """

    annotation: Any
    default: Any  # a pydantic ``Field(...)``
    value: Callable[[Any, SketchContext], Any]
    key: str | None = None  # default: the fact's field name


class EntityCountSketch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    count: int = Field(default=1, ge=0)
    score: float = Field(default=1.0, ge=0.0, le=1.0)


@dataclass(frozen=True, slots=True)
class Also:
    """A ``PolicyInput`` field a fact's test reads besides its own; never recorded."""

    attr: str
    read: Reader
    sketch: Callable[[Any, SketchContext], Any]


@dataclass(frozen=True, slots=True)
class Fact:
    """One condition key: how it is written, tested, read, rebuilt and sketched."""

    key: str
    kind: FactKind
    value: Any  # the type of the condition's value, as pydantic validates it
    read: Reader
    rebuild: Rebuilder | None
    sketch: Sketch
    attr: str = ""  # the PolicyInput field; default: the key with '.' → '_'
    match: Matcher | None = None  # default: MATCHERS[kind]
    check: Callable[[Any], Any] | None = None  # load-time check of the value (ValueError)
    min_length: int | None = 1
    description: str | None = None
    #: other PolicyInput fields this fact's test reads (``entities``: the scores)
    also: tuple[Also, ...] = ()
    #: its value comes from the catalogs, never from the request's text, so a rule's
    #: message may name it (``{model.operator}``) without quoting the request
    quotable: bool = False
    field: str = field(init=False)  # the Condition model's attribute

    def __post_init__(self) -> None:
        name = self.key.replace(".", "_")
        object.__setattr__(self, "field", name)
        if not self.attr:
            object.__setattr__(self, "attr", name)

    def compile(
        self, value: Any, ctx: CompileContext, path: KeyPath, negated: bool = False
    ) -> Predicate:
        """The predicate for a condition ``{key: value}``; errors carry ``path``."""
        matcher = self.match or MATCHERS[self.kind]
        return matcher(self.attr, value, ctx, path, negated)

    def seen(self, request: PolicyInput) -> Any:
        """The request's value, as ``explain`` shows it."""
        return getattr(request, self.attr)


def _countries(text: str | None) -> tuple[str, ...]:
    return tuple(text.split(",")) if text else ()


def _details(record: Recorded, name: str) -> tuple[str, ...]:
    return tuple((record.details or {}).get(name, ()))


def _entry(ctx: SketchContext, name: str, given: Any, default: Any) -> Any:
    if given is not None:
        return given
    return getattr(ctx.entry, name) if ctx.entry is not None else default


def _web_app(api: str | None, provider_id: str) -> tuple[str, ...]:
    return (provider_id,) if api == WEB_APP_API else ()


def _groups(sketch: Any, ctx: SketchContext) -> tuple[str, ...]:
    for group in sketch.groups:
        if ctx.declared_groups is not None and group not in ctx.declared_groups:
            raise ValueError(f"group '{group}' is not in the policy's 'groups' list")
    return tuple(sketch.groups)


FACTS: tuple[Fact, ...] = (
    # -- caller: who is calling (the identify stage) ------------------------------
    Fact(
        "user",
        "globs",
        list[str],
        read=lambda x, p: x.subject.user,
        rebuild=lambda r, p: r.user,
        sketch=Sketch(str | None, Field(default=None), lambda s, c: s.user),
        description="user id globs",
    ),
    Fact(
        "groups",
        "values",
        list[str],
        read=lambda x, p: x.subject.groups,
        rebuild=lambda r, p: tuple(r.groups),
        sketch=Sketch(list[str], Field(default_factory=list), _groups),
        match=declared_groups,
        description="the caller is in at least one",
    ),
    Fact(
        "source",
        "networks",
        list[str],
        read=lambda x, p: x.subject.address,
        rebuild=lambda r, p: r.client_address,
        sketch=Sketch(str | None, Field(default=None), lambda s, c: s.source),
        check=check_networks,
        description="caller address networks (CIDR)",
    ),
    Fact(
        "client_app",
        "globs",
        list[str],
        read=lambda x, p: x.subject.application,
        rebuild=lambda r, p: r.client_application,
        sketch=Sketch(str | None, Field(default=None), lambda s, c: s.client_app),
        description="client application globs",
    ),
    Fact(
        "anonymous",
        "flag",
        bool,
        read=lambda x, p: x.subject.anonymous,
        # the record cannot say how the user was established: a named user counts as signed in
        rebuild=lambda r, p: r.user is None,
        sketch=Sketch(
            bool | None,
            Field(default=None, description="default: anonymous unless a user"),
            lambda s, c: s.user is None if s.anonymous is None else s.anonymous,
        ),
        min_length=None,
        description="no identity was established",
    ),
    # -- destination: where the request goes (route, and the deciding policy's catalog) --
    Fact(
        "provider",
        "value",
        list[str],
        read=lambda x, p: p.id,
        rebuild=lambda r, p: p.id,
        sketch=Sketch(str, Field(default="openai"), lambda s, c: s.provider),
        quotable=True,
    ),
    Fact(
        "provider.jurisdiction",
        "value",
        list[str],
        read=lambda x, p: p.entry.jurisdiction,
        rebuild=lambda r, p: p.entry.jurisdiction,
        sketch=Sketch(
            str | None,
            Field(default=None, description="default: from the catalog"),
            lambda s, c: s.jurisdiction or _entry(c, "jurisdiction", None, ""),
            key="jurisdiction",
        ),
        check=check_countries,
        quotable=True,
    ),
    Fact(
        "provider.parent_jurisdiction",
        "value",
        list[str],
        read=lambda x, p: p.entry.parent_jurisdiction,
        rebuild=lambda r, p: p.entry.parent_jurisdiction,
        sketch=Sketch(
            str | None,
            Field(default=None),
            lambda s, c: _entry(c, "parent_jurisdiction", s.parent_jurisdiction, None),
            key="parent_jurisdiction",
        ),
        check=check_countries,
    ),
    Fact(
        "provider.regions",
        "values",
        list[str],
        read=lambda x, p: tuple(p.entry.regions),
        rebuild=lambda r, p: tuple(p.entry.regions),
        sketch=Sketch(
            list[str] | None,
            Field(default=None),
            lambda s, c: tuple(_entry(c, "regions", s.regions, ())),
            key="regions",
        ),
        check=check_countries,
        description="the provider says it processes data in at least one of these countries",
    ),
    Fact(
        "host",
        "globs",
        list[str],
        read=lambda x, p: upstream_host(p.base_url),
        rebuild=lambda r, p: r.host,
        sketch=Sketch(
            str | None,
            Field(default=None, description="default: the catalog's host"),
            lambda s, c: s.host or (upstream_host(c.entry.base_url) if c.entry else None),
        ),
        description="upstream host globs",
    ),
    Fact(
        "endpoint.ip_country",
        "values",
        list[str],
        attr="endpoint_countries",
        read=lambda x, p: _countries(x.endpoint_country),
        rebuild=lambda r, p: _countries(r.endpoint_country),
        sketch=Sketch(
            str | list[str] | None,
            Field(default=None, description="default: not resolved (no country)"),
            lambda s, c: (
                (s.endpoint_country,)
                if isinstance(s.endpoint_country, str)
                else tuple(s.endpoint_country or ())
            ),
            key="endpoint_country",
        ),
        match=resolved_countries,
        check=check_ip_countries,
        description="country of an address the host resolves to; also unresolved|unknown|private",
    ),
    Fact(
        "api",
        "value",
        list[str],
        read=lambda x, p: x.endpoint.api if x.endpoint is not None else "",
        rebuild=lambda r, p: r.api or "",
        sketch=Sketch(str, Field(default="chat"), lambda s, c: s.api),
    ),
    Fact(
        "web_app",
        "kinds",
        bool | list[str],
        read=lambda x, p: _web_app(x.endpoint.api if x.endpoint is not None else None, p.id),
        rebuild=lambda r, p: _web_app(r.api, p.id),
        sketch=Sketch(list[str], Field(default_factory=list), lambda s, c: tuple(s.web_app)),
        check=check_web_apps,
        min_length=None,
        description=(
            "true: a connection to any AI web app the forward proxy cannot inspect "
            "(chatgpt.com, claude.ai, …); or their ids (providers/webapps.yaml)"
        ),
    ),
    Fact(
        "model",
        "globs",
        list[str],
        read=lambda x, p: x.model,
        rebuild=lambda r, p: r.model,
        sketch=Sketch(str | None, Field(default="gpt-4o"), lambda s, c: s.model),
        match=globs(case_sensitive=True),
        description="glob patterns",
    ),
    # -- model: whose model it is, and whether the prompt may reach its developer -----
    Fact(
        "model.operator",
        "values",
        list[str],
        read=lambda x, p: request_model(x, p).operators,
        rebuild=lambda r, p: recorded_model(r, p).operators,
        sketch=Sketch(
            str | None,
            Field(default=None, description="default: from the model catalog"),
            lambda s, c: (
                (s.model_operator,) if s.model_operator else sketched_model(s, c).operators
            ),
            key="model_operator",
        ),
        check=check_operators,
        quotable=True,
        description="the model's developer (deepseek, alibaba, meta …), or unknown",
    ),
    Fact(
        "model.jurisdiction",
        "values",
        list[str],
        read=lambda x, p: request_model(x, p).jurisdictions,
        rebuild=lambda r, p: recorded_model(r, p).jurisdictions,
        sketch=Sketch(
            str | None,
            Field(default=None, description="default: from the model catalog"),
            lambda s, c: (
                (s.model_jurisdiction,)
                if s.model_jurisdiction
                else sketched_model(s, c).jurisdictions
            ),
            key="model_jurisdiction",
        ),
        check=check_model_countries,
        quotable=True,
        description="the country of the model's developer (ISO 3166), or unknown",
    ),
    Fact(
        "model.routed_to_developer",
        "flag",
        bool,
        read=lambda x, p: request_model(x, p).routed_to_developer,
        rebuild=lambda r, p: recorded_model(r, p).routed_to_developer,
        sketch=Sketch(
            dict[str, Any] | None,
            Field(
                default=None,
                description="a router's options as the body sends them (OpenRouter: 'provider')",
            ),
            lambda s, c: sketched_model(s, c).routed_to_developer,
            key="routing",
        ),
        min_length=None,
        description="a router may pass the prompt on to the developer's own API (not pinned)",
    ),
    # -- content: what the request carries (extract and detect) -------------------
    Fact(
        "entities",
        "entities",
        list[str] | dict[str, EntityThreshold],
        attr="entity_counts",
        read=lambda x, p: x.entity_counts,
        # only the counts that counted are recorded; scores are not, so any min_score is met
        rebuild=lambda r, p: dict(r.entities),
        sketch=Sketch(
            dict[str, int | EntityCountSketch],
            Field(default_factory=dict),
            lambda s, c: c.entity_counts,
        ),
        also=(Also("entity_scores", lambda x, p: x.entity_scores, lambda s, c: c.entity_scores),),
        check=check_entity_names,
        description="entity types or globs such as SECRET_*; a mapping sets min_count/min_score",
    ),
    Fact(
        "prompt_chars",
        "range",
        Range,
        read=lambda x, p: sum(len(segment.text) for segment in x.segments),
        rebuild=None,  # the record keeps no size: a dry run judges every request as empty
        sketch=Sketch(
            int | None,
            Field(default=None, ge=0, description="default: len(text)"),
            lambda s, c: s.prompt_chars if s.prompt_chars is not None else c.text_chars,
        ),
        min_length=None,
        description="characters of inspected text",
    ),
    Fact(
        "attachments",
        "kinds",
        bool | list[str],
        read=lambda x, p: x.attachments,
        rebuild=lambda r, p: _details(r, "attachments"),
        sketch=Sketch(list[str], Field(default_factory=list), lambda s, c: tuple(s.attachments)),
        min_length=None,
        description="true: any attachment; or the kinds (image, file, audio, …)",
    ),
    Fact(
        "uninspectable_attachments",
        "kinds",
        bool | list[str],
        read=lambda x, p: x.uninspectable_attachments,
        rebuild=lambda r, p: _details(r, "uninspectable_attachments"),
        sketch=Sketch(
            list[str],
            Field(default_factory=list),
            lambda s, c: tuple(s.uninspectable_attachments),
        ),
        min_length=None,
        description=(
            "true: any attached file that could not be read; or the reasons (encrypted, "
            "bomb, too_large, too_deep, unreadable, ocr_unavailable, timeout, unsupported). "
            "Such files are refused unless an allow or warn rule on it matches"
        ),
    ),
    Fact(
        "server_references",
        "kinds",
        bool | list[str],
        read=lambda x, p: x.server_references,
        rebuild=lambda r, p: _details(r, "server_references"),
        sketch=Sketch(
            list[str], Field(default_factory=list), lambda s, c: tuple(s.server_references)
        ),
        min_length=None,
        description="true: any; or the kinds (file_id, previous_response_id, cachedContent, …)",
    ),
)

_BY_FIELD: Mapping[str, Fact] = {f.field: f for f in FACTS}

# PolicyInput's fields in its own order, so a live request is read positionally:
# the Decide stage pays for no keyword parsing.
_READ_BY_ATTR = {
    attr: read
    for f in FACTS
    for attr, read in ((f.attr, f.read), *((a.attr, a.read) for a in f.also))
}
_READERS: tuple[Reader, ...] = tuple(_READ_BY_ATTR[name] for name in PolicyInput._fields)
_REBUILDERS: tuple[tuple[str, Rebuilder], ...] = tuple(
    (f.attr, f.rebuild) for f in FACTS if f.rebuild is not None
)


def by_field(name: str) -> Fact:
    """The fact behind a ``Condition`` field name (``provider_jurisdiction``)."""
    return _BY_FIELD[name]


def read_input(live: Live, provider: Provider) -> PolicyInput:
    """What the policy sees of a live request going to ``provider``."""
    return PolicyInput(*[read(live, provider) for read in _READERS])


def rebuild_input(record: Recorded, provider: Provider) -> PolicyInput:
    """What the policy would have seen of a recorded request; unrecorded facts are absent.

    ``provider`` is the recorded provider as the deciding policy's catalog states it.
    """
    return PolicyInput(**{attr: rebuild(record, provider) for attr, rebuild in _REBUILDERS})


def sketch_input(sketch: Any, ctx: SketchContext) -> PolicyInput:
    """What the policy sees of a test case's request sketch (``schema.RequestSketch``)."""
    values = {}
    for f in FACTS:
        values[f.attr] = f.sketch.value(sketch, ctx)
        values.update((a.attr, a.sketch(sketch, ctx)) for a in f.also)
    return PolicyInput(**values)
