"""Korean corporate registration number (법인등록번호, ``110111-1234567``).

Overlap with KR_RRN/KR_FRN: both share the 6-7 digit shape. When the first seven digits also
read as a birth date plus a gender digit 1-8, the number is ambiguous: KR_RRN (or KR_FRN)
reports it on its own terms and this recognizer reports it too, but with a lower score
(0.3 hyphenated, 0.15 bare) that only a corporate context word lifts to 0.5 or more. Numbers
that cannot be an RRN/FRN (e.g. gender digit 0 or 9, month 13+) score 0.4 hyphenated, 0.3 bare.
Spans never differ, so the policy sees the same characters under both entity types.

Every form needs a corporate context word (법인등록번호, 법인번호, CRN ...) or field name to be
reported. The check digit alone is weak evidence: one random 13-digit number in ten passes
it, so invoice, shipment and order numbers shaped ``NNNNNN-NNNNNNN`` would otherwise alarm.
The first four digits are a registry-office code and digits 5-6 a corporation-type code,
but no official list of either could be confirmed offline, so neither is checked: a wrong
list would silently drop real numbers.
"""

from __future__ import annotations

from typing import ClassVar

import regex
from presidio_analyzer import Pattern

from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
)

__all__ = ["KrCrnRecognizer", "crn_checksum_ok"]

# Not one group of a longer chain (ISBNs, UUIDs, order numbers like A-123-45-67890-1).
_BEFORE = NOT_ALNUM_BEFORE + r"(?<![0-9A-Za-z][-.])"
_AFTER = NOT_ALNUM_AFTER + r"(?![-.][0-9A-Za-z])"
# Looks like YYMMDD + gender digit of an RRN (1-4) or FRN (5-8); calendar errors ignored.
_PERSON = r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])-?[1-8]"

# Cheap prefilter (no per-pattern timeout bookkeeping) that every match must pass.
_GATE = regex.compile(r"[0-9]{6}-?[0-9]{7}")


class KrCrnRecognizer(GatedPatternRecognizer):
    """Find CRNs: a valid check digit and a corporate context word (module docstring)."""

    ENTITY: ClassVar[str] = "KR_CRN"
    GATE = _GATE
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("KR CRN (hyphen)", _BEFORE + rf"(?!{_PERSON})[0-9]{{6}}-[0-9]{{7}}" + _AFTER, 0.4),
        Pattern(
            "KR CRN (hyphen, RRN-shaped)",
            _BEFORE + rf"(?={_PERSON})[0-9]{{6}}-[0-9]{{7}}" + _AFTER,
            0.3,
        ),
        Pattern("KR CRN (13 digits)", _BEFORE + rf"(?!{_PERSON})[0-9]{{13}}" + _AFTER, 0.3),
        Pattern(
            "KR CRN (13 digits, RRN-shaped)", _BEFORE + rf"(?={_PERSON})[0-9]{{13}}" + _AFTER, 0.15
        ),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "법인등록번호",
        "법인번호",
        "법인 등록",
        "법인등록",
        "corporate registration",
        "corporation registration",
        "crn",
    ]

    def validate_result(self, pattern_text: str) -> bool | None:
        """Drop a bad check digit; a good one keeps the pattern score so context still counts."""
        return None if crn_checksum_ok(pattern_text) else False


def crn_checksum_ok(pattern_text: str) -> bool:
    """Check digit = (10 - sum of the first 12 digits weighted 1,2,1,2,... mod 10) mod 10."""
    digits = [int(ch) for ch in pattern_text if ch.isdecimal()]
    if len(digits) != 13:
        return False
    total = sum(d * (1 + i % 2) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == digits[12]
