"""What a detection engine was built from, so that another process can build its twin.

Scan worker processes (``detect/processes.py``) receive the recipe with each scan and
build the engine once per recipe. A recipe is equal only to itself (a random ``key``):
two engines built from equal arguments are still two engines, and a worker never mixes
up a policy's dictionaries with another's.
"""

from __future__ import annotations

import functools
import pickle
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

__all__ = ["EngineRecipe", "SentRecipe"]


@dataclass(frozen=True, eq=False)
class EngineRecipe:
    """What a ``DetectionEngine`` was built from; equal only to itself (by ``key``).

    Sent with every scan to a worker as a ``SentRecipe``: its key and its contents
    pickled once (a policy's dictionaries included: 20,000 terms pickle to ~5 MB in
    ~8 ms and unpickle in ~55 ms), unpickled only by a worker that has no engine for
    the key yet.
    """

    entities: tuple[str, ...] | None
    score_threshold: float
    extra_recognizers: tuple[EntityRecognizer, ...]
    language: str  # a LanguageChoice of the engine
    phone_regions: tuple[str, ...] | None = None  # None: the recognizer's default
    key: str = field(default_factory=lambda: secrets.token_hex(8))

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EngineRecipe) and other.key == self.key

    def __reduce__(self) -> tuple[Any, ...]:
        return (SentRecipe, (self.key, self.contents()))

    def contents(self) -> bytes:
        """The recipe's fields, pickled (once: the recipe never changes)."""
        return _pickled(self)

    @classmethod
    def of(
        cls,
        entities: Collection[str] | None,
        score_threshold: float,
        extra_recognizers: Sequence[EntityRecognizer],
        language: str,
        phone_regions: Sequence[str] | None = None,
    ) -> EngineRecipe:
        chosen = None if entities is None else tuple(sorted(entities))
        regions = None if phone_regions is None else tuple(phone_regions)
        return cls(chosen, score_threshold, tuple(extra_recognizers), language, regions)


@functools.lru_cache(maxsize=8)
def _pickled(recipe: EngineRecipe) -> bytes:
    fields = (
        recipe.entities,
        recipe.score_threshold,
        recipe.extra_recognizers,
        recipe.language,
        recipe.phone_regions,
    )
    return pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)


class SentRecipe:
    """A recipe as a worker receives it: the key, and the contents still pickled."""

    def __init__(self, key: str, contents: bytes) -> None:
        self.key = key
        self._contents = contents

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SentRecipe) and other.key == self.key

    def unpack(self) -> EngineRecipe:
        entities, threshold, extra, language, regions = pickle.loads(self._contents)
        return EngineRecipe(entities, threshold, extra, language, regions, self.key)
