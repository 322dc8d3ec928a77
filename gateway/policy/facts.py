"""What a policy may look at for one request: facts, counts and scores, never values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gateway.subject import Subject

__all__ = ["PolicyInput"]


@dataclass(frozen=True, slots=True)
class PolicyInput:
    """The request as the policy sees it.

    The first six fields are what every caller knows (a dry run over audit
    records has exactly these); the rest default to "nothing known", which
    never satisfies a positive test such as ``groups`` or ``attachments``.
    """

    provider: str
    provider_jurisdiction: str
    provider_parent_jurisdiction: str | None
    api: str
    model: str | None
    entity_counts: Mapping[str, int] = field(default_factory=dict)
    #: the scores of the counted findings, per type; a type absent here is taken to
    #: meet any ``min_score`` (audit records keep counts, not scores)
    entity_scores: Mapping[str, Sequence[float]] = field(default_factory=dict)
    provider_regions: tuple[str, ...] = ()
    host: str | None = None
    #: countries of the addresses the host resolves to, or "unresolved" / "unknown" / "private"
    endpoint_countries: tuple[str, ...] = ()
    subject: Subject = field(default_factory=Subject)
    prompt_chars: int = 0
    attachments: tuple[str, ...] = ()
    server_references: tuple[str, ...] = ()
