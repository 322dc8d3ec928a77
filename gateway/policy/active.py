"""The active policy and the detection engine built for it, swapped as one.

A request reads ``current()`` once when it starts and is judged by that policy
to the end; the detect stage then asks ``engine_for(policy)`` for the engine
that policy was activated with, so a swap in the middle of a request can never
pair one version's rules with another version's scanners.

A new policy is made ready off the event loop (``prepare``: engine built, or
reused when the scanned entities and dictionaries are unchanged) and only then
swapped in by a single assignment: there is no moment at which a half-loaded
policy is visible.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from gateway.detect import SUPPORTED_ENTITIES, DetectionEngine
from gateway.detect.engine import LanguageChoice
from gateway.detect.recognizers.dictionary import DictionaryRecognizer
from gateway.policy.evaluate import CompiledPolicy, DictionaryTerms

__all__ = ["ActivePolicy", "EngineCache", "PolicyHolder", "detector_spec"]

#: What an engine depends on: the built-in entity types scanned and the term lists.
DetectorSpec = tuple[frozenset[str], tuple[DictionaryTerms, ...]]


def detector_spec(policy: CompiledPolicy) -> DetectorSpec:
    scanned = policy.scanned_entities
    dictionaries = tuple(d for d in policy.dictionaries if d.entity in scanned)
    return scanned & SUPPORTED_ENTITIES, dictionaries


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """One ready-to-serve policy: compiled rules plus the engine that scans for them."""

    policy: CompiledPolicy
    engine: DetectionEngine
    source: str  # where it came from: file | redis | local
    activated_at: float = field(default_factory=time.time)

    @property
    def version(self) -> str:
        return self.policy.version


class EngineCache:
    """Engines by detector spec: a rule-only change reuses the running engine."""

    def __init__(self, size: int = 4, language: LanguageChoice = "auto") -> None:
        self._engines: OrderedDict[DetectorSpec, DetectionEngine] = OrderedDict()
        self._size = size
        self._language: LanguageChoice = language

    def build(self, policy: CompiledPolicy) -> DetectionEngine:
        """Blocking (Presidio set-up): call it on a worker thread once serving."""
        spec = detector_spec(policy)
        engine = self._engines.get(spec)
        if engine is None:
            entities, dictionaries = spec
            engine = DetectionEngine(
                entities=entities,
                extra_recognizers=[
                    DictionaryRecognizer(d.entity, d.terms, case_sensitive=d.case_sensitive)
                    for d in dictionaries
                ],
                language=self._language,
            )
            engine.warm_up()  # models (Kiwi for names) load here, not on a request
            self._engines[spec] = engine
            while len(self._engines) > self._size:
                self._engines.popitem(last=False)
        self._engines.move_to_end(spec)
        return engine


class PolicyHolder:
    """Owns the active policy; ``current`` and ``engine_for`` are the hot-path reads."""

    def __init__(
        self, initial: ActivePolicy, *, cache: EngineCache | None = None, remember: int = 8
    ) -> None:
        self._active = initial
        self._cache = cache or EngineCache()
        # Engines of recently active versions, for requests that started before a swap.
        self._recent: OrderedDict[str, DetectionEngine] = OrderedDict(
            [(initial.version, initial.engine)]
        )
        self._remember = remember
        self._lock = asyncio.Lock()

    @classmethod
    def from_policy(
        cls, policy: CompiledPolicy, source: str = "file", language: LanguageChoice = "auto"
    ) -> PolicyHolder:
        """Build the first engine here (blocking: start-up only)."""
        cache = EngineCache(language=language)
        return cls(ActivePolicy(policy, cache.build(policy), source), cache=cache)

    @property
    def active(self) -> ActivePolicy:
        return self._active

    def current(self) -> CompiledPolicy:
        return self._active.policy

    def engine_for(self, policy: CompiledPolicy) -> DetectionEngine:
        active = self._active
        if policy is active.policy:
            return active.engine
        engine = self._recent.get(policy.version)
        if engine is None:
            # Only a request that outlived `remember` activations gets here; scanning
            # it with another version's engine could miss what its rules need.
            raise LookupError(f"no engine is kept for policy version {policy.version}")
        return engine

    def prepare_blocking(self, policy: CompiledPolicy, source: str) -> ActivePolicy:
        """Build (or reuse) the engine; blocking, for start-up and worker threads."""
        return ActivePolicy(policy, self._cache.build(policy), source)

    async def prepare(self, policy: CompiledPolicy, source: str) -> ActivePolicy:
        return await asyncio.to_thread(self.prepare_blocking, policy, source)

    def swap(self, ready: ActivePolicy) -> ActivePolicy:
        """Make ``ready`` the active policy in one assignment; returns the previous one."""
        previous = self._active
        self._recent[ready.version] = ready.engine
        self._recent.move_to_end(ready.version)
        while len(self._recent) > self._remember:
            self._recent.popitem(last=False)
        self._active = ready
        return previous

    @property
    def lock(self) -> asyncio.Lock:
        """Held while a replacement is prepared, so two activations cannot interleave."""
        return self._lock
