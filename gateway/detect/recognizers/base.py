"""Shared pieces of the pattern recognizers.

Lookarounds here use explicit character classes instead of ``\\b``: Hangul syllables are word
characters, so ``\\b`` finds no boundary in ``900101-1234567이고`` or ``gildong@ex.com로``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from typing import ClassVar, Protocol

from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

__all__ = [
    "NOT_ALNUM_AFTER",
    "NOT_ALNUM_BEFORE",
    "MarkerGate",
    "SpaceFreeRegexGate",
    "SpanSet",
    "marker_chunks",
    "recognizer_result",
    "regex_chunks",
]

#: ASCII letters and digits only, so Korean particles may touch a match.
NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

_GAP = re.compile(r"[\s\x00]")


class SpanSet:
    """Character spans already claimed, merged; ``overlaps`` is a binary search.

    Recognizers that skip candidates overlapping earlier ones would otherwise compare each
    candidate with every earlier span: quadratic on crafted input.
    """

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for span in sorted(spans):
            self.add(span)

    def add(self, span: tuple[int, int]) -> None:
        start, end = span
        at = bisect_right(self._starts, start)
        if at and self._ends[at - 1] >= start:  # touches the one before: extend it
            at -= 1
            start = self._starts[at]
            end = max(end, self._ends[at])
            del self._starts[at], self._ends[at]
        while at < len(self._starts) and self._starts[at] <= end:  # swallow those after
            end = max(end, self._ends[at])
            del self._starts[at], self._ends[at]
        self._starts.insert(at, start)
        self._ends.insert(at, end)

    def overlaps(self, span: tuple[int, int]) -> bool:
        """True when ``span`` shares a character with a claimed span."""
        start, end = span
        at = bisect_right(self._starts, end - 1)
        return at > 0 and self._ends[at - 1] > start


def recognizer_result(
    recognizer: EntityRecognizer,
    entity: str,
    span: tuple[int, int],
    score: float,
    why: str,
    pattern_name: str = "",
) -> RecognizerResult:
    """A result of ``recognizer`` as Presidio's own would be: explained, and carrying the
    recognizer's id so that the context enhancer finds its context words."""
    name: str = getattr(recognizer, "name", type(recognizer).__name__)
    explanation = AnalysisExplanation(
        recognizer=name,
        original_score=score,
        pattern_name=pattern_name,
        textual_explanation=why,
    )
    return RecognizerResult(
        entity_type=entity,
        start=span[0],
        end=span[1],
        score=score,
        analysis_explanation=explanation,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )


def marker_chunks(text: str, markers: tuple[str, ...]) -> list[tuple[int, int]]:
    """Return the sorted, disjoint whitespace-delimited runs of ``text`` holding a marker."""
    spans: list[tuple[int, int]] = []
    backwards = text[::-1]  # searching it forwards finds the nearest gap *before* a marker
    size = len(text)
    for marker in markers:
        at = text.find(marker)
        while at != -1:
            gap = _GAP.search(backwards, size - at)
            start = size - gap.start() if gap else 0
            gap = _GAP.search(text, at + len(marker))
            end = gap.start() if gap else size
            spans.append((start, end))
            at = text.find(marker, end)
    return _merged(spans)


def regex_chunks(text: str, gate: re.Pattern[str]) -> list[tuple[int, int]]:
    """Return the sorted, disjoint whitespace-delimited runs of ``text`` holding a gate hit."""
    spans: list[tuple[int, int]] = []
    backwards = text[::-1]
    size = len(text)
    at = 0
    while (hit := gate.search(text, at)) is not None:
        gap = _GAP.search(backwards, size - hit.start())
        start = size - gap.start() if gap else 0
        gap = _GAP.search(text, hit.end())
        end = gap.start() if gap else size
        spans.append((start, end))
        at = max(end, hit.end(), hit.start() + 1)
    return _merged(spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class MarkerGate(PatternRecognizer):
    """Skip the regexes when none of ``MARKERS`` occurs in the text.

    ``MARKERS`` are literal substrings that every match contains (a token prefix, ``@``).
    A substring test is far cheaper than running the patterns, and most prompts contain no
    secrets at all. Put this class first in the bases to gate any ``PatternRecognizer``.

    ``SPACE_FREE`` declares that no match contains whitespace and that the patterns'
    look-arounds treat whitespace like the edge of the text. Then only the whitespace-delimited
    runs around each marker are scanned, with identical results: the regex engine otherwise
    tries a match at every position of the text (Presidio's e-mail pattern was half the cost
    of a 1 KB scan).
    """

    MARKERS: ClassVar[tuple[str, ...]] = ()
    SPACE_FREE: ClassVar[bool] = False

    def may_match(self, text: str) -> bool:
        """Whether a marker occurs (``detect/gates.py``): without one ``analyze`` finds
        nothing and notes nothing."""
        return not self.MARKERS or any(marker in text for marker in self.MARKERS)

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Run the patterns only if a marker is present (and only near it if SPACE_FREE)."""
        if not self.MARKERS:
            return super().analyze(text, entities, nlp_artifacts, regex_flags)
        if not self.may_match(text):
            return []
        if not self.SPACE_FREE:
            return super().analyze(text, entities, nlp_artifacts, regex_flags)
        return _analyze_chunks(
            super().analyze,
            text,
            marker_chunks(text, self.MARKERS),
            entities,
            nlp_artifacts,
            regex_flags,
        )


def _analyze_chunks(
    analyze: _Analyze,
    text: str,
    chunks: list[tuple[int, int]],
    entities: list[str],
    nlp_artifacts: NlpArtifacts | None,
    regex_flags: int | None,
) -> list[RecognizerResult]:
    """One pass over the chunks joined by spaces; positions map back through ``shifts``."""
    joined_starts: list[int] = []
    shifts: list[int] = []
    position = 0
    for start, end in chunks:
        joined_starts.append(position)
        shifts.append(start - position)
        position += end - start + 1
    joined = " ".join(text[start:end] for start, end in chunks)
    results = analyze(joined, entities, nlp_artifacts, regex_flags)
    for result in results:
        shift = shifts[bisect_right(joined_starts, result.start) - 1]
        result.start += shift
        result.end += shift
    return results


class _Analyze(Protocol):
    def __call__(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]: ...


class SpaceFreeRegexGate(PatternRecognizer):
    """Run the patterns only on the whitespace-delimited runs around ``GATE`` hits.

    For values that never contain whitespace and patterns whose look-arounds treat
    whitespace like the edge of the text (IP addresses): results are identical to a scan
    of the whole text, but a 50 KB log no longer costs a pass of every pattern over all of
    it. Put this class first in the bases.
    """

    GATE: ClassVar[re.Pattern[str]]

    def may_match(self, text: str) -> bool:
        """No chunk without a hit of ``GATE`` (``detect/gates.py``)."""
        return self.GATE.search(text) is not None

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        chunks = regex_chunks(text, self.GATE)
        if not chunks:
            return []
        return _analyze_chunks(super().analyze, text, chunks, entities, nlp_artifacts, regex_flags)


class Gate(Protocol):
    def search(self, text: str) -> object | None: ...


class RegexGate(PatternRecognizer):
    """Skip the patterns when ``GATE`` finds nothing; put it first in the bases.

    ``GATE`` is a small regex (or anything with ``search``) that every match must
    contain a hit of. Presidio's per-pattern overhead (about 9 µs, from its regex
    timeout handling) and some slow patterns would otherwise be paid on every
    prompt, and most prompts contain none of these values.
    """

    GATE: ClassVar[Gate]

    def may_match(self, text: str) -> bool:
        """``GATE`` finds something (``detect/gates.py``): without it ``analyze`` runs
        nothing and notes nothing."""
        return self.GATE.search(text) is not None

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        if self.GATE.search(text) is None:
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)


class GatedPatternRecognizer(RegexGate):
    """A recognizer of constants: ``ENTITY``, ``PATTERNS``, ``CONTEXT`` and a ``GATE``.

    Patterns are case-sensitive.
    """

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[Pattern]]
    CONTEXT: ClassVar[list[str]]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=supported_language,
            global_regex_flags=0,
        )
