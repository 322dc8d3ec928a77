"""Context-word score boost that works without an NLP model.

Presidio's default ``LemmaContextAwareEnhancer`` compares recognizer context words with the
lemmas of the tokens around a match. ``NoOpNlpEngine`` produces no tokens, so that enhancer
never boosts anything (it only deep-copies every result, which costs time). Lemmas would not
help Korean anyway: context words arrive glued to particles ("주민번호는", "메일:").

This enhancer looks for the recognizer's ``context`` words as substrings of a character window
around the match, which handles both languages with no model at all. Case and the separators
between words do not count (``keynames.fold_key``): ``client_secret`` is found as
``CLIENT-SECRET`` or ``client  secret``.

Field names count as context too. A value pasted as data sits behind its key
(``{"account": "110-123-456789"}``, ``?acct_no=…``, ``bankAccount: …``), and the key, or a
neighbouring key such as ``"bank"``, is the only clue. Keys in the window are split into
words (camelCase, ``_``, ``-``, ``.``) and compared with the recognizer's context words and
its ``FIELD_NAMES``: words such as ``account`` that are too loose as free text but say what a
field holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.keynames import fold_key
from gateway.detect.recognizers.secrets.dispatch import members_of

__all__ = ["WindowContextEnhancer", "field_names"]

_ID_KEY = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
_BOOSTED_KEY = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY

#: A key followed by ``:`` or ``=``: quoted (JSON, dicts) or a bare identifier (YAML, env
#: files, query strings, keyword arguments). Bare keys hold no spaces, so free text does not
#: turn into a "key".
_KEY = re.compile(r"""["']([^"'\n\x00]{1,40})["']\s*[:=]|(?<![\w.-])([^\W\d][\w.-]{0,39})\s*[:=]""")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_KEY_SEPARATORS = re.compile(r"[\s_.-]+")
_HANGUL = re.compile("[가-힣]")
# Between the text before and after a match in a window: a character no context word holds.
_HALVES = "\x00"


def field_names(window: str) -> list[str]:
    """The keys in ``window`` as lower-case words: ``bankAccount_no`` -> ``bank account no``."""
    names = []
    for match in _KEY.finditer(window):
        key = _CAMEL.sub(" ", match.group(1) or match.group(2))
        names.append(_KEY_SEPARATORS.sub(" ", key).strip().lower())
    return names


class WindowContextEnhancer(ContextAwareEnhancer):
    """Boost a result when a context word occurs within a few characters of it.

    ``before``/``after`` are character counts (Presidio's base class calls them word
    counts). The window never crosses ``stop``, the character the engine puts between
    segments, so context from one message cannot raise a score in the next. With
    ``korean=False`` (English rules only) Korean context words do not count.
    """

    def __init__(
        self,
        boost: float = 0.35,
        min_score_with_context: float = 0.4,
        before: int = 40,
        after: int = 20,
        stop: str = "\x00",
        korean: bool = True,
    ) -> None:
        super().__init__(
            context_similarity_factor=boost,
            min_score_with_context_similarity=min_score_with_context,
            context_prefix_count=before,
            context_suffix_count=after,
        )
        self.stop = stop
        self.korean = korean
        self._words: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._by_id: tuple[list[EntityRecognizer] | None, dict[str, EntityRecognizer]] = (None, {})

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
        by_id = self._with_context(recognizers)
        extra = fold_key(" ".join(context)) if context else ""
        for result in raw_results:
            meta = result.recognition_metadata or {}
            recognizer = by_id.get(meta.get(_ID_KEY, ""))
            if recognizer is None or meta.get(_BOOSTED_KEY) or result.score >= self.MAX_SCORE:
                continue
            word = self._find_word(text, result, recognizer, extra)
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

    def _with_context(self, recognizers: list[EntityRecognizer]) -> dict[str, EntityRecognizer]:
        """Recognizer id → recognizer, for those with context words.

        A recognizer that runs others (``secrets.dispatch.SecretKinds``) contributes
        them: their results carry their own ids. The engine passes the same list object
        on every call, so the map is made once (the list is held, so its id is not reused).
        """
        cached = self._by_id
        if cached[0] is recognizers:
            return cached[1]
        by_id = {
            rec.id: rec
            for registered in recognizers
            for rec in members_of(registered)
            if rec.context
        }
        self._by_id = (recognizers, by_id)
        return by_id

    def window(self, text: str, start: int, end: int) -> str:
        """Return the lower-cased text around ``[start, end)`` that may hold context."""
        return self._raw_window(text, start, end).replace(_HALVES, "\n").lower()

    def _raw_window(self, text: str, start: int, end: int) -> str:
        head = text[max(0, start - self.context_prefix_count) : start]
        tail = text[end : end + self.context_suffix_count]
        head = head.rpartition(self.stop)[2]
        tail = tail.partition(self.stop)[0]
        return f"{head}{_HALVES}{tail}"

    def _find_word(
        self, text: str, result: RecognizerResult, recognizer: EntityRecognizer, extra: str
    ) -> str | None:
        words, fields = self._context_words(recognizer)
        raw = self._raw_window(text, result.start, result.end)
        # Case and separators do not matter: "CLIENT-SECRET" is the context word client_secret.
        # Before and after are folded apart, so no word is made of the two halves.
        head, _, tail = raw.rpartition(_HALVES)
        haystack = f"{fold_key(head)}{_HALVES}{fold_key(tail)}"
        for word in words:
            if word in haystack or (extra and word in extra):
                return word
        if ":" not in raw and "=" not in raw:
            return None
        for name in field_names(raw):
            padded = f" {name} "
            for word in words:
                if word in name:
                    return f"{word} (field {name!r})"
            for word in fields:
                if f" {word} " in padded:
                    return f"{word} (field {name!r})"
        return None

    def _context_words(
        self, recognizer: EntityRecognizer
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        cached = self._words.get(recognizer.id)
        if cached is None:
            fields: Iterable[str] = getattr(recognizer, "FIELD_NAMES", ())
            cached = (self._usable(recognizer.context), self._usable(fields))
            self._words[recognizer.id] = cached
        return cached

    def _usable(self, words: Iterable[str]) -> tuple[str, ...]:
        lowered = (fold_key(w) for w in words if w)
        return tuple(w for w in lowered if self.korean or not _HANGUL.search(w))
