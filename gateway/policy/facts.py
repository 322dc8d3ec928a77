"""What a policy may look at for one request: facts, counts and scores, never values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from gateway.providers.catalog import CatalogEntry, Provider
    from gateway.providers.endpoints import Endpoint

__all__ = [
    "Caller",
    "Live",
    "PolicyInput",
    "Reader",
    "Rebuilder",
    "Recorded",
    "SketchContext",
]

_NOTHING: Mapping[str, int] = MappingProxyType({})
_NO_SCORES: Mapping[str, Sequence[float]] = MappingProxyType({})


class PolicyInput(NamedTuple):
    """The request as the policy sees it: one field per fact of ``fact_table.FACTS``.

    The first five fields are what every caller knows (a dry run over audit
    records has at least these); the rest default to "nothing known", which
    never satisfies a positive test such as ``groups`` or ``attachments``.
    ``fact_table`` says how each is read from a live request, rebuilt from an
    audit record or set by a test case.

    A named tuple rather than a frozen dataclass: one is built per request, and
    a frozen dataclass's ``__init__`` sets each of its fields through
    ``object.__setattr__`` (~6 µs against ~0.6 µs, measured on the development
    machine); reading a field costs the same.
    """

    provider: str
    provider_jurisdiction: str
    provider_parent_jurisdiction: str | None
    api: str
    model: str | None
    entity_counts: Mapping[str, int] = _NOTHING
    #: the scores of the counted findings, per type; a type absent here is taken to
    #: meet any ``min_score`` (audit records keep counts, not scores)
    entity_scores: Mapping[str, Sequence[float]] = _NO_SCORES
    provider_regions: tuple[str, ...] = ()
    host: str | None = None
    #: countries of the addresses the host resolves to, or "unresolved" / "unknown" / "private"
    endpoint_countries: tuple[str, ...] = ()
    # the caller: no identity unless one was established
    user: str | None = None
    groups: tuple[str, ...] = ()
    source: str | None = None  # the caller's address
    client_app: str | None = None
    anonymous: bool = True
    prompt_chars: int = 0
    attachments: tuple[str, ...] = ()
    #: why attached files could not be read (``gateway.attachments.Reason``)
    uninspectable_attachments: tuple[str, ...] = ()
    server_references: tuple[str, ...] = ()
    # the model's developer (``providers/models.yaml``): one per model the request may use
    model_operator: tuple[str, ...] = ()
    model_jurisdiction: tuple[str, ...] = ()
    #: a router may pass the prompt on to the developer's own API (not pinned elsewhere)
    model_routed_to_developer: bool = False
    #: the AI web app a forward-proxy connection goes to (``providers/webapps.yaml``)
    web_app: tuple[str, ...] = ()


# -- where the facts come from (see fact_table.FACTS) -----------------------------


class Caller(Protocol):
    """Who is calling, as the identify stage established it (``identity.Subject``)."""

    @property
    def user(self) -> str | None: ...
    @property
    def groups(self) -> tuple[str, ...]: ...
    @property
    def address(self) -> str | None: ...
    @property
    def application(self) -> str | None: ...
    @property
    def anonymous(self) -> bool: ...


class _Text(Protocol):
    @property
    def text(self) -> str: ...


class Live(Protocol):
    """What the Decide stage reads of a request (``gateway.exchange.Exchange``)."""

    @property
    def subject(self) -> Caller: ...
    @property
    def endpoint(self) -> Endpoint | None: ...
    @property
    def model(self) -> str | None: ...
    @property
    def segments(self) -> Sequence[_Text]: ...
    @property
    def entity_counts(self) -> dict[str, int]: ...
    @property
    def entity_scores(self) -> dict[str, list[float]]: ...
    @property
    def endpoint_country(self) -> str | None:
        """The resolved endpoint's countries, comma-joined, when a rule asked for them."""

    @property
    def attachments(self) -> tuple[str, ...]: ...
    @property
    def uninspectable_attachments(self) -> tuple[str, ...]: ...
    @property
    def server_references(self) -> tuple[str, ...]: ...
    @property
    def document(self) -> Any:
        """The parsed body: a router's options (fallback models, pinned hosts)."""


class Recorded(Protocol):
    """What a dry run reads of an audit record (``gateway.audit.AuditRecord``)."""

    @property
    def user(self) -> str | None: ...
    @property
    def groups(self) -> list[str]: ...
    @property
    def client_address(self) -> str | None: ...
    @property
    def client_application(self) -> str | None: ...
    @property
    def host(self) -> str | None: ...
    @property
    def api(self) -> str | None: ...
    @property
    def model(self) -> str | None: ...
    @property
    def entities(self) -> dict[str, int]: ...
    @property
    def endpoint_country(self) -> str | None: ...
    @property
    def details(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class SketchContext:
    """What a test case's keys are resolved against: the catalog and the scanned text."""

    entry: CatalogEntry | None  # the sketch's provider in the catalog, if it is there
    declared_groups: Sequence[str] | None
    entity_counts: Mapping[str, int]
    entity_scores: Mapping[str, Sequence[float]]
    text_chars: int


#: reads a fact from a live request going to a provider (as the policy's catalog states it)
Reader = Callable[[Live, "Provider"], Any]
#: reads a fact from an audit record of a request that went to a provider
Rebuilder = Callable[[Recorded, "Provider"], Any]
