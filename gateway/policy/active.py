"""The active policy with the detection engine and providers built for it, swapped as one.

A request reads ``current()`` once when it starts and is judged by that policy
to the end; the route stage asks ``providers_for(policy)`` and the detect stage
``engine_for(policy)`` for what that policy was activated with, so a swap in
the middle of a request can never pair one version's rules with another
version's scanners or another version's idea of where a provider lives.

A new policy is made ready off the event loop (``prepare``: its providers built
from the catalog plus its ``providers:`` section plus this deployment's
settings, its engine built or reused when the scanned entities and dictionaries
are unchanged) and only then swapped in by a single assignment: there is no
moment at which a half-loaded policy is visible.

A reloaded company index goes the same way (``prepare_company`` off the event loop,
then ``swap_company``): the active policy keeps its rules and providers and gets
engines whose company recognizers read the new index.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gateway.detect import SUPPORTED_ENTITIES, DetectionEngine
from gateway.detect.company import COMPANY_ENTITIES
from gateway.detect.company.index import CompanyIndex
from gateway.detect.company.recognizers import EntityRecognizer, build_company_recognizers
from gateway.detect.engine import LanguageChoice
from gateway.detect.recognizers.dictionary import DictionaryRecognizer
from gateway.errors import ConfigError
from gateway.extras import require
from gateway.policy.evaluate import CompiledPolicy, DictionaryTerms
from gateway.policy.providers import policy_catalog
from gateway.providers.catalog import Provider, build_providers, load_catalog
from gateway.settings import ProviderSettings

__all__ = [
    "ActivePolicy",
    "CompanySwap",
    "EngineCache",
    "PolicyHolder",
    "ProviderBuilder",
    "company_recognizers",
    "detector_spec",
]

#: What company matching depends on: the company entity types scanned and the policy's
#: ``detection.company`` settings (min_fields, columns, tables, min_tokens, collections).
CompanySpec = tuple[frozenset[str], int, tuple[str, ...], tuple[str, ...], int, tuple[str, ...]]
#: What an engine depends on: the built-in entity types scanned, the term lists, and
#: company matching.
DetectorSpec = tuple[frozenset[str], tuple[DictionaryTerms, ...], CompanySpec]


def detector_spec(policy: CompiledPolicy, answers: bool = False) -> DetectorSpec:
    """What the engine for ``policy``'s requests (or, ``answers``, its answers) is built from."""
    scanned = policy.answer_entities if answers else policy.scanned_entities
    dictionaries = tuple(d for d in policy.dictionaries if d.entity in scanned)
    settings = policy.document.detection.company
    company: CompanySpec = (
        scanned & COMPANY_ENTITIES,
        settings.records.min_fields,
        tuple(settings.records.columns),
        tuple(settings.records.tables),
        settings.documents.min_tokens,
        tuple(settings.documents.collections),
    )
    return scanned & SUPPORTED_ENTITIES, dictionaries, company


def company_recognizers(
    spec: CompanySpec, index: CompanyIndex | None, policy: str
) -> list[EntityRecognizer]:
    """The recognizers for the company entity types a policy scans (none: none).

    A policy that rules on them with no index configured is refused, not served blind.
    """
    entities, min_fields, columns, tables, min_tokens, collections = spec
    if not entities:
        return []
    if index is None:
        raise ConfigError(
            f"policy '{policy}' scans {', '.join(sorted(entities))}, but no company index "
            "is configured (company.index_dir and its key; see docs/detection.md)"
        )
    try:
        return build_company_recognizers(
            index, entities, min_fields, columns, tables, min_tokens, collections
        )
    except ValueError as exc:
        raise ConfigError(f"policy '{policy}': detection.company: {exc}") from None


class ProviderBuilder:
    """The providers a policy routes to, as this deployment reaches them.

    The shipped catalog with the policy's ``providers:`` laid over it, then the
    gateway's own ``providers.<id>`` settings (base URL, injected credentials)
    for the ids that catalog has. A setting for a provider the policy does not
    declare waits unused until a policy that declares it is activated, so
    rolling back to such a policy is never refused because of it.
    """

    def __init__(
        self,
        settings: Mapping[str, ProviderSettings] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._settings = dict(settings or {})
        self._environ = environ

    def __call__(self, policy: CompiledPolicy) -> dict[str, Provider]:
        """Blocking (may read credential files); raises ConfigError naming the setting."""
        try:
            catalog = policy_catalog(policy.name, policy.document.providers)
            configured = {pid: s for pid, s in self._settings.items() if pid in catalog}
            providers = build_providers(catalog, configured, self._environ)
            _check_injected_destinations(providers, configured)
            return providers
        except ConfigError as exc:
            raise ConfigError(
                f"policy '{policy.name}' (version {policy.version}): its providers cannot be "
                f"set up on this gateway: {exc}"
            ) from None

    def unused_settings(self, policy: CompiledPolicy) -> list[str]:
        """Configured provider ids that neither the catalog nor ``policy`` knows."""
        known = policy_catalog(policy.name, policy.document.providers)
        return sorted(set(self._settings) - set(known))


def _check_injected_destinations(
    providers: Mapping[str, Provider], settings: Mapping[str, ProviderSettings]
) -> None:
    """A key this gateway injects goes only where its operator sent it.

    A policy may move a provider (``providers: {openai: {base_url: …}}``), and policies
    are changed through the admin API; without this check that would let a policy
    send the operator's provider key to a host of its choosing. With an injected key,
    the address must be the shipped catalog's or one set in the gateway settings.
    """
    shipped = load_catalog()
    for provider_id, provider in providers.items():
        if provider.injected_key is None:
            continue
        setting = settings.get(provider_id)
        if setting is not None and setting.base_url is not None:
            continue  # the operator chose the address
        entry = shipped.get(provider_id)
        if entry is None or provider.base_url != entry.base_url:
            raise ConfigError(
                f"providers.{provider_id}: the gateway injects this provider's key, so its "
                f"address may only come from the gateway settings (set "
                f"providers.{provider_id}.base_url there), not from a policy"
            )


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """One ready-to-serve policy: compiled rules, the engine that scans for them,
    and the providers requests judged by it are routed to."""

    policy: CompiledPolicy
    engine: DetectionEngine
    providers: Mapping[str, Provider]
    source: str  # where it came from: file | redis | local
    activated_at: float = field(default_factory=time.time)
    #: scans answers for the types the answer rules name (None: the policy judges none)
    answer_engine: DetectionEngine | None = None

    @property
    def version(self) -> str:
        return self.policy.version


@dataclass(frozen=True, slots=True)
class CompanySwap:
    """The active policy's engines built over a reloaded company index, not yet in use."""

    policy: CompiledPolicy
    cache: EngineCache
    engine: DetectionEngine
    answer_engine: DetectionEngine | None


class EngineCache:
    """Engines by detector spec: a rule-only change reuses the running engine."""

    def __init__(
        self,
        size: int = 8,
        language: LanguageChoice = "auto",
        company: CompanyIndex | None = None,
        phone_regions: Sequence[str] | None = None,
    ) -> None:
        self._engines: OrderedDict[DetectorSpec, DetectionEngine] = OrderedDict()
        self._size = size
        self._language: LanguageChoice = language
        self._company = company
        self._phone_regions = phone_regions

    @property
    def company(self) -> CompanyIndex | None:
        """The company index this cache's engines match against."""
        return self._company

    def with_company(self, index: CompanyIndex) -> EngineCache:
        """A cache like this one over ``index``. Engines that scan no company type never
        read the index and are carried over; the others are built anew when asked for."""
        cache = EngineCache(self._size, self._language, index, self._phone_regions)
        for spec, engine in self._engines.items():
            if not spec[2][0]:
                cache._engines[spec] = engine
        return cache

    def active(
        self, policy: CompiledPolicy, providers: Mapping[str, Provider], source: str
    ) -> ActivePolicy:
        """``policy`` ready to serve: its engines built here (blocking) or reused."""
        answers = self.build(policy, answers=True) if policy.inspects_answers else None
        return ActivePolicy(policy, self.build(policy), providers, source, answer_engine=answers)

    def build(self, policy: CompiledPolicy, answers: bool = False) -> DetectionEngine:
        """Blocking (Presidio set-up): call it on a worker thread once serving.

        ``answers``: the engine for the policy's answers, which scans only for what its
        answer rules name (an answer's other findings could change no answer decision).
        """
        spec = detector_spec(policy, answers)
        engine = self._engines.get(spec)
        if engine is None:
            entities, dictionaries, company = spec
            if "PERSON" in entities:
                # Without Kiwi only names next to an honorific or label are found; a
                # policy that asks for names would silently miss the bare ones.
                require("ko-names", f"policy '{policy.name}' (it scans PERSON)")
            engine = DetectionEngine(
                entities=entities,
                extra_recognizers=[
                    *(
                        DictionaryRecognizer(d.entity, d.terms, case_sensitive=d.case_sensitive)
                        for d in dictionaries
                    ),
                    *company_recognizers(company, self._company, policy.name),
                ],
                language=self._language,
                phone_regions=self._phone_regions,
            )
            engine.warm_up()  # models (Kiwi for names) load here, not on a request
            self._engines[spec] = engine
            while len(self._engines) > self._size:
                self._engines.popitem(last=False)
        self._engines.move_to_end(spec)
        return engine


class PolicyHolder:
    """Owns the active policy; ``current``, ``providers_for`` and ``engine_for`` are the
    hot-path reads."""

    def __init__(
        self,
        initial: ActivePolicy,
        *,
        cache: EngineCache | None = None,
        providers: ProviderBuilder | None = None,
        remember: int = 8,
    ) -> None:
        self._active = initial
        self._cache = cache or EngineCache()
        self._build_providers = providers or ProviderBuilder()
        # Recently active versions, for requests that started before a swap.
        self._recent: OrderedDict[str, ActivePolicy] = OrderedDict([(initial.version, initial)])
        self._remember = remember
        self._lock = asyncio.Lock()

    @classmethod
    def from_policy(
        cls,
        policy: CompiledPolicy,
        source: str = "file",
        language: LanguageChoice = "auto",
        providers: ProviderBuilder | None = None,
        company: CompanyIndex | None = None,
        phone_regions: Sequence[str] | None = None,
    ) -> PolicyHolder:
        """Build the first engine and providers here (blocking: start-up only)."""
        cache = EngineCache(language=language, company=company, phone_regions=phone_regions)
        builder = providers or ProviderBuilder()
        first = cache.active(policy, builder(policy), source)
        return cls(first, cache=cache, providers=builder)

    @property
    def active(self) -> ActivePolicy:
        return self._active

    def current(self) -> CompiledPolicy:
        return self._active.policy

    def engine_for(self, policy: CompiledPolicy) -> DetectionEngine:
        active = self._active
        if policy is active.policy:
            return active.engine
        return self._kept(policy).engine

    def answer_engine_for(self, policy: CompiledPolicy) -> DetectionEngine:
        """The engine that scans answers judged by ``policy``."""
        active = self._active if policy is self._active.policy else self._kept(policy)
        return active.answer_engine or active.engine

    def providers_for(self, policy: CompiledPolicy) -> Mapping[str, Provider]:
        active = self._active
        if policy is active.policy:
            return active.providers
        return self._kept(policy).providers

    def _kept(self, policy: CompiledPolicy) -> ActivePolicy:
        kept = self._recent.get(policy.version)
        if kept is None:
            # Only a request that outlived `remember` activations gets here; serving it
            # with another version's engine or providers could miss what its rules need.
            raise LookupError(f"policy version {policy.version} is no longer kept")
        return kept

    def candidate_providers(self, policy: CompiledPolicy) -> Mapping[str, Provider]:
        """The providers ``policy`` would route to here; blocking; ConfigError if unusable.

        Validation calls this, so a policy whose providers cannot be set up on
        this gateway (say, an injected key's variable is missing) is refused
        before it is stored or activated, never found out on a request.
        """
        if policy is self._active.policy:
            return self._active.providers
        return self._build_providers(policy)

    def prepare_blocking(self, policy: CompiledPolicy, source: str) -> ActivePolicy:
        """Build the providers and (or reuse) the engine; blocking, for worker threads."""
        providers = self.candidate_providers(policy)
        return self._cache.active(policy, providers, source)

    async def prepare(self, policy: CompiledPolicy, source: str) -> ActivePolicy:
        return await asyncio.to_thread(self.prepare_blocking, policy, source)

    @property
    def company(self) -> CompanyIndex | None:
        """The company index the active policy's engines match against."""
        return self._cache.company

    def prepare_company(self, index: CompanyIndex) -> CompanySwap:
        """The active policy's engines over ``index``, in a new cache; blocking (worker
        thread, with ``lock`` held). Nothing serves them until ``swap_company``; a policy
        the index cannot serve (it names a table that is gone) raises ConfigError."""
        cache = self._cache.with_company(index)
        policy = self._active.policy
        engine = cache.build(policy)
        answers = cache.build(policy, answers=True) if policy.inspects_answers else None
        return CompanySwap(policy, cache, engine, answers)

    def swap_company(self, ready: CompanySwap) -> None:
        """Serve ``ready``'s engines from now on, in one assignment; requests that already
        hold an engine finish with it. Later activations build over the new index."""
        active = self._active
        if active.policy is not ready.policy:  # only without the lock: a bug, not a race
            raise RuntimeError("the active policy changed while the company index reloaded")
        self._cache = ready.cache
        self.swap(
            dataclasses.replace(active, engine=ready.engine, answer_engine=ready.answer_engine)
        )

    def swap(self, ready: ActivePolicy) -> ActivePolicy:
        """Make ``ready`` the active policy in one assignment; returns the previous one."""
        previous = self._active
        self._recent[ready.version] = ready
        self._recent.move_to_end(ready.version)
        while len(self._recent) > self._remember:
            self._recent.popitem(last=False)
        self._active = ready
        return previous

    @property
    def lock(self) -> asyncio.Lock:
        """Held while a replacement is prepared, so two activations cannot interleave."""
        return self._lock
