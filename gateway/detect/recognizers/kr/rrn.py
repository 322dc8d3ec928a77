"""Korean resident registration number (주민등록번호, ``YYMMDD-GNNNNNN``)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.gates import digit_run
from gateway.detect.recognizers.kr.look_alikes import DatedIdentifierRecognizer

__all__ = ["KrRrnRecognizer"]

# Digit look-arounds, not \b: "900101-1234567이고" must match, "1900101-1234567" must not.
_DATE = r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_TAIL = r"[1-4]\d{6}(?!\d)"
#: What both patterns hold: the seven digits of ``_TAIL`` in a row (``detect/gates.py``).
_GATE = digit_run(r"\d{7}")

# Gender/century digit → century of the birth year (1, 2: 1900s; 3, 4: 2000s).
_CENTURY = {1: 1900, 2: 1900, 3: 2000, 4: 2000}
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


class KrRrnRecognizer(DatedIdentifierRecognizer):
    """Find RRNs; a valid birth date is required, a valid checksum is not.

    Numbers issued since October 2020 end in random digits, so the old mod-11 check digit
    only *raises* confidence (score 1.0); a failing checksum keeps the pattern score.
    The bare 13-digit form is weak on its own (order and invoice numbers look alike) and
    needs a context word nearby to reach the hyphenated form's score. Barcodes and
    corporation numbers beside their own words are not reported (``look_alikes``).
    """

    ENTITY: ClassVar[str] = "KR_RRN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("KR RRN (separated)", _DATE + r"[- ]" + _TAIL, 0.6),
        Pattern("KR RRN (13 digits)", _DATE + _TAIL, 0.4),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "주민등록번호",
        "주민번호",
        "주민등록",
        "주민 번호",
        "rrn",
        "resident registration",
        "resident number",
        "jumin",
    ]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=supported_language,
            global_regex_flags=0,  # digits only: no IGNORECASE/DOTALL work needed
        )

    def may_match(self, text: str) -> bool:
        """No RRN without seven digits in a row: every pattern ends with ``_TAIL``."""
        return _GATE(text)

    def validate_result(self, pattern_text: str) -> bool | None:
        """Return True (score 1.0) for a pre-2020 checksum; None keeps the pattern score."""
        digits = _digits(pattern_text)
        if len(digits) != 13:
            return False
        total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=False))
        return True if (11 - total % 11) % 10 == digits[12] else None

    def invalidate_result(self, pattern_text: str) -> bool:
        """Drop numbers whose first seven digits are not a past calendar date."""
        return birth_date(pattern_text) is None


def birth_date(pattern_text: str) -> dt.date | None:
    """Decode the birth date of an RRN, or None if it is not a real, past date."""
    digits = _digits(pattern_text)
    if len(digits) != 13 or digits[6] not in _CENTURY:
        return None
    year = _CENTURY[digits[6]] + digits[0] * 10 + digits[1]
    try:
        born = dt.date(year, digits[2] * 10 + digits[3], digits[4] * 10 + digits[5])
    except ValueError:
        return None
    return born if born <= dt.date.today() else None


def _digits(text: str) -> list[int]:
    return [int(ch) for ch in text if ch.isdecimal()]
