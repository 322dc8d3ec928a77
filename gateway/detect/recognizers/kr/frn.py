"""Korean foreigner registration number (외국인등록번호, ``YYMMDD-GOORRTC``, G = 5-8).

Before October 2020 the seven digits after the birth date were: G the gender and century
(5, 6: born in the 1900s; 7, 8: the 2000s), OO the registering office (an even number), RR a
serial, T the registrant type (6-9) and C a check digit, the RRN's weighted mod-11 sum
shifted by two: ``(13 - sum % 11) % 10``. These are the rules as the validators in public use
apply them (no official specification was found). Since October 2020 the digits after G are
random for new numbers, as for the RRN, so only G and the date are certain.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import regex
from presidio_analyzer import Pattern

from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
)
from gateway.detect.recognizers.kr.look_alikes import DatedIdentifierRecognizer

__all__ = ["KrFrnRecognizer", "old_structure_holds"]

_DATE = NOT_ALNUM_BEFORE + r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
# Digits 5-8 only: KR_RRN's tail is [1-4], so the two recognizers never claim the same span.
_TAIL = r"[5-8][0-9]{6}" + NOT_ALNUM_AFTER

# Gender/century digit → century of the birth year (5, 6: 1900s; 7, 8: 2000s).
_CENTURY = {5: 1900, 6: 1900, 7: 2000, 8: 2000}
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)

# Cheap prefilter (no per-pattern timeout bookkeeping) that every match must pass.
_GATE = regex.compile(r"[0-9]{6}[- ]?[5-8][0-9]{6}")


class KrFrnRecognizer(DatedIdentifierRecognizer, GatedPatternRecognizer):
    """Find FRNs; a valid birth date is required, the old structure is not.

    A number with the whole pre-October-2020 structure (even office, registrant type 6-9,
    check digit) scores 1.0; one in a hundred random tails has it, where the check digit
    alone let one in ten through. Newer numbers are random after G, so anything else keeps
    the pattern score, as for KR_RRN. Barcodes and corporation numbers beside their own
    words are not reported (``look_alikes``).
    """

    ENTITY: ClassVar[str] = "KR_FRN"
    GATE = _GATE
    # ``DatedIdentifierRecognizer.analyze`` only filters what the patterns found, so the
    # gate of the patterns speaks for it too (``gates.gate_of`` wants it declared here)
    may_match = GatedPatternRecognizer.may_match
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("KR FRN (separated)", _DATE + r"[- ]" + _TAIL, 0.6),
        Pattern("KR FRN (13 digits)", _DATE + _TAIL, 0.4),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "외국인등록번호",
        "외국인등록",
        "외국인 등록",
        "외국인번호",
        "frn",
        "foreigner registration",
        "alien registration",
        "residence card",
    ]

    def validate_result(self, pattern_text: str) -> bool | None:
        """True (score 1.0) for the whole pre-2020 structure; None keeps the pattern score."""
        digits = [int(ch) for ch in pattern_text if ch.isdecimal()]
        if len(digits) != 13:
            return False
        return True if old_structure_holds(digits) else None

    def invalidate_result(self, pattern_text: str) -> bool:
        """Drop numbers whose first seven digits are not a past calendar date."""
        digits = [int(ch) for ch in pattern_text if ch.isdecimal()]
        if len(digits) != 13 or digits[6] not in _CENTURY:
            return True
        year = _CENTURY[digits[6]] + digits[0] * 10 + digits[1]
        try:
            born = dt.date(year, digits[2] * 10 + digits[3], digits[4] * 10 + digits[5])
        except ValueError:
            return True
        return born > dt.date.today()


def old_structure_holds(digits: list[int]) -> bool:
    """Even registering office, registrant type 6-9 and the shifted mod-11 check digit."""
    if (digits[7] * 10 + digits[8]) % 2 or digits[11] not in (6, 7, 8, 9):
        return False
    total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=False))
    return (13 - total % 11) % 10 == digits[12]
