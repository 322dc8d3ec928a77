"""Context-word score boost that works without an NLP model.

Presidio's default ``LemmaContextAwareEnhancer`` compares recognizer context words with the
lemmas of the tokens around a match. ``NoOpNlpEngine`` produces no tokens, so that enhancer
never boosts anything (it only deep-copies every result, which costs time). Lemmas would not
help Korean anyway: context words arrive glued to particles ("주민번호는", "메일:").

This enhancer looks for the recognizer's ``context`` words as case-insensitive substrings of a
character window around the match, which handles both languages with no model at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts

__all__ = ["WindowContextEnhancer"]

_ID_KEY = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
_BOOSTED_KEY = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY


class WindowContextEnhancer(ContextAwareEnhancer):
    """Boost a result when a context word occurs within a few characters of it.

    ``before``/``after`` are character counts (Presidio's base class calls them word
    counts). The window never crosses ``stop``, the character the engine puts between
    segments, so context from one message cannot raise a score in the next.
    """

    def __init__(
        self,
        boost: float = 0.35,
        min_score_with_context: float = 0.4,
        before: int = 40,
        after: int = 20,
        stop: str = "\x00",
    ) -> None:
        super().__init__(
            context_similarity_factor=boost,
            min_score_with_context_similarity=min_score_with_context,
            context_prefix_count=before,
            context_suffix_count=after,
        )
        self.stop = stop
        self._words: dict[str, tuple[str, ...]] = {}

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts | None,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        """Raise scores in place; the results are this call's own objects."""
        if not raw_results:
            return raw_results
        by_id = {rec.id: rec for rec in recognizers if rec.context}
        extra = " ".join(context).lower() if context else ""
        for result in raw_results:
            meta = result.recognition_metadata or {}
            recognizer = by_id.get(meta.get(_ID_KEY, ""))
            if recognizer is None or meta.get(_BOOSTED_KEY) or result.score >= self.MAX_SCORE:
                continue
            word = self._find_word(text, result, self._context_words(recognizer), extra)
            if word is None:
                continue
            score = max(
                result.score + self.context_similarity_factor,
                self.min_score_with_context_similarity,
            )
            result.score = min(score, self.MAX_SCORE)
            meta[_BOOSTED_KEY] = True
            if result.analysis_explanation is not None:
                result.analysis_explanation.set_supportive_context_word(word)
                result.analysis_explanation.set_improved_score(result.score)
        return raw_results

    def window(self, text: str, start: int, end: int) -> str:
        """Return the lower-cased text around ``[start, end)`` that may hold context."""
        head = text[max(0, start - self.context_prefix_count) : start]
        tail = text[end : end + self.context_suffix_count]
        head = head.rpartition(self.stop)[2]
        tail = tail.partition(self.stop)[0]
        return f"{head}\n{tail}".lower()

    def _find_word(
        self, text: str, result: RecognizerResult, words: Iterable[str], extra: str
    ) -> str | None:
        haystack = self.window(text, result.start, result.end)
        for word in words:
            if word in haystack or (extra and word in extra):
                return word
        return None

    def _context_words(self, recognizer: EntityRecognizer) -> tuple[str, ...]:
        words = self._words.get(recognizer.id)
        if words is None:
            words = tuple(w.lower() for w in recognizer.context if w)
            self._words[recognizer.id] = words
        return words
