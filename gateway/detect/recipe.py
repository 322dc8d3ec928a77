"""What a detection engine was built from, so that another process can build its twin.

Scan worker processes (``detect/processes.py``) receive the recipe with each scan and
build the engine once per recipe. A recipe is equal only to itself (a random ``key``):
two engines built from equal arguments are still two engines, and a worker never mixes
up a policy's dictionaries with another's.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

__all__ = ["EngineRecipe"]


@dataclass(frozen=True, eq=False)
class EngineRecipe:
    """What a ``DetectionEngine`` was built from; equal only to itself (by ``key``).

    Pickled with every scan sent to a worker (a policy's dictionaries included): a
    worker that has no engine for ``key`` yet builds one from it.
    """

    entities: tuple[str, ...] | None
    score_threshold: float
    extra_recognizers: tuple[EntityRecognizer, ...]
    language: str  # a LanguageChoice of the engine
    key: str = field(default_factory=lambda: secrets.token_hex(8))

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EngineRecipe) and other.key == self.key

    @classmethod
    def of(
        cls,
        entities: Collection[str] | None,
        score_threshold: float,
        extra_recognizers: Sequence[EntityRecognizer],
        language: str,
    ) -> EngineRecipe:
        chosen = None if entities is None else tuple(sorted(entities))
        return cls(chosen, score_threshold, tuple(extra_recognizers), language)
