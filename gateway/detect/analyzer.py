"""Presidio's analyzer engine and registry for a recognizer set fixed at start-up.

Presidio is written for registries that change between calls, so several of its
per-call steps walk every registered recognizer again: listing them, listing the
entities they support, and grouping each call's results by recognizer. With the set
fixed, each of those is worked out once. The results are Presidio's, unchanged:
recognizers, validation, the context enhancer, thresholds and de-duplication run
as Presidio runs them (``detect/engine.py`` builds these, ``tests/detect`` compares).
``analyze_gated`` also leaves out the recognizers that say they could find nothing in
the text (``detect/gates.py``).
"""

from __future__ import annotations

from typing import Any

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.gates import Gate, gate_of
from gateway.detect.recognizers.secrets.dispatch import members_of

__all__ = ["FixedAnalyzerEngine", "FixedRegistry"]

_ID_KEY = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
#: recognizers with their gates, in registration order
_Gated = tuple[tuple[EntityRecognizer, Gate | None], ...]
# Presidio's own steps of ``analyze``, reused as they are by ``analyze_gated``.
_add_ids = AnalyzerEngine._AnalyzerEngine__add_recognizer_id_if_not_exists  # type: ignore[attr-defined]
_without_explanations = AnalyzerEngine._AnalyzerEngine__remove_decision_process  # type: ignore[attr-defined]


class FixedRegistry(RecognizerRegistry):
    """Presidio's registry for recognizers that never change after start-up.

    ``get_recognizers`` copies and filters the whole list on every analyze call; for
    "every recognizer of this language" the answer is always the same list, made once
    and handed out as the same object (the engine and the context enhancer key their
    own per-list tables on it; Presidio's engine only reads it).
    """

    def __init__(self, recognizers: list[EntityRecognizer], language: str) -> None:
        super().__init__(recognizers=recognizers, supported_languages=[language])
        self._all_of: dict[str, list[EntityRecognizer]] = {}

    def get_recognizers(
        self,
        language: str,
        entities: list[str] | None = None,
        all_fields: bool = False,
        ad_hoc_recognizers: list[EntityRecognizer] | None = None,
    ) -> list[EntityRecognizer]:
        if not all_fields or ad_hoc_recognizers:
            return super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
        cached = self._all_of.get(language)
        if cached is None:
            cached = self._all_of[language] = super().get_recognizers(language, None, True)
        return cached


class FixedAnalyzerEngine(AnalyzerEngine):
    """Presidio's engine for a recognizer set that never changes after start-up.

    Some of its per-call costs grow with the number of recognizers and can be skipped
    without changing any result: listing the supported entities again on every call,
    and grouping the results by recognizer with two passes over them per recognizer
    (one sort by the recognizer's place does it). Everything else — recognizers,
    validation, the context enhancer, thresholds, de-duplication — runs as Presidio
    runs it.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entities_by_language: dict[str | None, list[str]] = {}
        self._places: tuple[list[EntityRecognizer] | None, dict[str, int], bool] = (
            None,
            {},
            False,
        )
        self._gates: tuple[list[EntityRecognizer] | None, _Gated] = (None, ())
        #: the last text ``may_find`` asked about, and the recognizers that may match it
        self._last_called: tuple[str | None, str, list[EntityRecognizer]] = (None, "", [])
        #: False: ``analyze_gated`` is Presidio's ``analyze`` (tests compare the two)
        self.gated = True

    def analyze_gated(
        self,
        text: str,
        language: str,
        score_threshold: float,
        nlp_artifacts: NlpArtifacts,
        return_decision_process: bool,
    ) -> list[RecognizerResult]:
        """Presidio's ``analyze`` for every entity, calling only the recognizers that may
        match ``text`` (``detect/gates.py``): the others could only return nothing and note
        nothing, so the results are Presidio's. None may match: nothing runs at all.

        Context, thresholds, de-duplication and explanations are Presidio's steps, over
        every registered recognizer as in its ``analyze``. Allow lists, ad hoc recognizers
        and entity lists are not taken (the engine uses none).
        """
        if not self.gated or self.log_decision_process:
            results: list[RecognizerResult] = self.analyze(
                text=text,
                language=language,
                score_threshold=score_threshold,
                nlp_artifacts=nlp_artifacts,
                return_decision_process=return_decision_process,
            )
            return results
        recognizers = self.registry.get_recognizers(language, None, True)
        last = self._last_called
        if last[0] is text and last[1] == language:
            called = last[2]  # ``may_find`` asked the gates a moment ago
        else:
            called = self._called(text, recognizers)
        if not called:
            return []
        entities = self.get_supported_entities(language=language)
        results = []
        for recognizer in called:
            if not recognizer.is_loaded:
                recognizer.load()
                recognizer.is_loaded = True
            found = recognizer.analyze(text=text, entities=entities, nlp_artifacts=nlp_artifacts)
            if found:
                _add_ids(found, recognizer)
                results.extend(found)
        results = self._enhance_using_context(text, results, nlp_artifacts, recognizers)
        results = [result for result in results if result.score >= score_threshold]
        results = EntityRecognizer.remove_duplicates(results)
        if not return_decision_process:
            results = _without_explanations(results)
        return results

    def may_find(self, text: str, language: str) -> bool:
        """False when ``analyze_gated(text, language, ...)`` would call no recognizer, so
        would return nothing and note nothing: the engine then skips the steps around it.

        The recognizers that may match are kept for the ``analyze_gated`` that follows on
        the same text object (one slot, compared with ``is`` and holding the text, as the
        gates' own caches do), so a text is asked once.
        """
        if not self.gated or self.log_decision_process:
            return True
        called = self._called(text, self.registry.get_recognizers(language, None, True))
        self._last_called = (text, language, called)
        return bool(called)

    def _called(self, text: str, recognizers: list[EntityRecognizer]) -> list[EntityRecognizer]:
        """The recognizers whose gate says they may match ``text`` (or that have none)."""
        return [r for r, gate in self._gates_of(recognizers) if gate is None or gate(text)]

    def _gates_of(self, recognizers: list[EntityRecognizer]) -> _Gated:
        """Each recognizer with its gate (None: always called), for the registry's list."""
        cached = self._gates
        if cached[0] is recognizers:
            return cached[1]
        gated = tuple((recognizer, gate_of(recognizer)) for recognizer in recognizers)
        self._gates = (recognizers, gated)
        return gated

    def get_supported_entities(self, language: str | None = None) -> list[str]:
        cached = self._entities_by_language.get(language)
        if cached is None:
            cached = self._entities_by_language[language] = super().get_supported_entities(language)
        return list(cached)

    def _enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        """Presidio's: results grouped by their recognizer's place, each recognizer's hook
        applied, then the context enhancer. A result of no listed recognizer is dropped,
        as Presidio's loop drops it."""
        if not raw_results:
            return []
        place, hooked = self._places_of(recognizers)
        ranked = [r for r in raw_results if r.recognition_metadata[_ID_KEY] in place]
        ranked.sort(key=lambda r: place[r.recognition_metadata[_ID_KEY]])
        if hooked:
            ranked = _recognizer_hooks(text, ranked, place, nlp_artifacts, recognizers, context)
        return self.context_aware_enhancer.enhance_using_context(
            text=text,
            raw_results=ranked,
            nlp_artifacts=nlp_artifacts,
            recognizers=recognizers,
            context=context,
        )

    def _places_of(self, recognizers: list[EntityRecognizer]) -> tuple[dict[str, int], bool]:
        """Recognizer id → place in ``recognizers`` (a dispatcher's kinds share its place),
        and whether one of them rescores its own results (``_recognizer_hooks``)."""
        cached = self._places
        if cached[0] is recognizers:
            return cached[1], cached[2]
        place = {registered.id: index for index, registered in enumerate(recognizers)}
        for index, registered in enumerate(recognizers):
            place.update((kind.id, index) for kind in members_of(registered))
        hooked = any(_rescores_own(registered) for registered in recognizers)
        self._places = (recognizers, place, hooked)
        return place, hooked


def _rescores_own(recognizer: EntityRecognizer) -> bool:
    return type(recognizer).enhance_using_context is not EntityRecognizer.enhance_using_context


def _recognizer_hooks(
    text: str,
    ranked: list[RecognizerResult],
    place: dict[str, int],
    nlp_artifacts: NlpArtifacts,
    recognizers: list[EntityRecognizer],
    context: list[str] | None,
) -> list[RecognizerResult]:
    """Presidio's per-recognizer ``enhance_using_context`` over results grouped by place.

    No shipped recognizer overrides it; a policy's own recognizer may. (Kinds behind a
    dispatcher never do: ``dispatch`` leaves such a kind registered on its own.)
    """
    results: list[RecognizerResult] = []
    for index, recognizer in enumerate(recognizers):
        own = [r for r in ranked if place[r.recognition_metadata[_ID_KEY]] == index]
        if _rescores_own(recognizer):
            mine = {id(r) for r in own}
            own = recognizer.enhance_using_context(
                text=text,
                raw_recognizer_results=own,
                other_raw_recognizer_results=[r for r in ranked if id(r) not in mine],
                nlp_artifacts=nlp_artifacts,
                context=context,
            )
        results.extend(own)
    return results
