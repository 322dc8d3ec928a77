"""Korean passport number (여권번호): ``M12345678`` (before 2020) or ``M123A4567``."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
)

__all__ = ["KrPassportRecognizer"]

# Leading passport-type letter; M (ordinary, multiple journeys) is by far the most common.
_TYPE = r"[MSRODGmsrodg]"

# Weak context: a travel word in the same line (``출장 등록 코드는 M08824561``). A travel
# document's number is what a trip's paperwork asks for; the word alone does not say
# "passport", so it adds less than a passport word (0.3 against the enhancer's 0.35) and
# reads a wider window (a sentence: 60 characters before, 30 after, within the line).
_TRAVEL_WORDS = re.compile(
    "출장|출국|입국|해외|여행|항공|비행기|탑승|비자|사증|대사관|영사관|체류|공항|발권|렌터카"
    "|(?<![a-z])(?:travel|trip|flight|visa|boarding|airline|embassy|immigration|check-in)",
    re.IGNORECASE,
)
_TRAVEL_BOOST = 0.3
_TRAVEL_BEFORE = 60
_TRAVEL_AFTER = 30

# Cheap prefilter (no per-pattern timeout bookkeeping) that every match must pass.
_GATE = re.compile(r"[MSRODGmsrodg][0-9]{3}")


class KrPassportRecognizer(GatedPatternRecognizer):
    """Find passport numbers; the shapes alone are weak, a context word makes them count.

    ``M12345678`` is also a model, part or ticket number, so the old form scores 0.2 and
    reaches 0.55 only with context. The newer ``M123A4567`` is rarer and starts at 0.3.
    """

    ENTITY: ClassVar[str] = "KR_PASSPORT"
    GATE = _GATE
    # ``analyze`` below only raises the patterns' scores: their gate speaks for it
    may_match = GatedPatternRecognizer.may_match
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "KR passport (current)",
            NOT_ALNUM_BEFORE + _TYPE + r"[0-9]{3}[A-Za-z][0-9]{4}" + NOT_ALNUM_AFTER,
            0.3,
        ),
        Pattern(
            "KR passport (before 2020)",
            NOT_ALNUM_BEFORE + _TYPE + r"[0-9]{8}" + NOT_ALNUM_AFTER,
            0.2,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["여권", "passport", "pp no", "pp#", "pp. no"]

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """The patterns' results, raised by 0.3 when a travel word shares their line."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for result in results:
            word = _travel_word(text, result.start, result.end)
            if word is None:
                continue
            result.score = min(1.0, result.score + _TRAVEL_BOOST)
            if result.analysis_explanation is not None:
                result.analysis_explanation.append_textual_explanation_line(
                    f"travel word {word!r} in the same line"
                )
        return results


def _travel_word(text: str, start: int, end: int) -> str | None:
    low = max(0, start - _TRAVEL_BEFORE, text.rfind("\n", 0, start) + 1)
    high = text.find("\n", end, end + _TRAVEL_AFTER)
    high = min(len(text), end + _TRAVEL_AFTER) if high == -1 else high
    # Never across the separator the engine puts between segments.
    head = text[low:start].rpartition("\x00")[2]
    tail = text[end:high].partition("\x00")[0]
    match = _TRAVEL_WORDS.search(head) or _TRAVEL_WORDS.search(tail)
    return None if match is None else match.group()
