"""What a policy may look at for one request: facts, counts and scores, never values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

__all__ = ["PolicyInput"]

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
    a frozen dataclass's ``__init__`` sets each of its 18 fields through
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
    server_references: tuple[str, ...] = ()
