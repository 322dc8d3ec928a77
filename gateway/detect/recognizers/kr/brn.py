"""Korean business registration number (사업자등록번호, ``123-45-67890``)."""

from __future__ import annotations

from typing import ClassVar

import regex
from presidio_analyzer import Pattern

from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
)

__all__ = ["KrBrnRecognizer", "brn_checksum_ok"]

# Not one group of a longer chain (ISBNs, UUIDs, order numbers like A-123-45-67890-1).
_BEFORE = NOT_ALNUM_BEFORE + r"(?<![0-9A-Za-z][-.])"
_AFTER = NOT_ALNUM_AFTER + r"(?![-.][0-9A-Za-z])"
_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)

# Cheap prefilter (no per-pattern timeout bookkeeping) that every match must pass.
_GATE = regex.compile(r"[0-9]{3}-?[0-9]{2}-?[0-9]{5}")


class KrBrnRecognizer(GatedPatternRecognizer):
    """Find BRNs; the check digit decides.

    Hyphenated numbers with a valid check digit score 1.0, invalid ones are dropped. A bare
    10-digit run passes the check one time in ten by chance, so a valid one keeps its 0.3
    pattern score and only a context word lifts it above 0.5.
    """

    ENTITY: ClassVar[str] = "KR_BRN"
    GATE = _GATE
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("KR BRN (hyphens)", _BEFORE + r"[0-9]{3}-[0-9]{2}-[0-9]{5}" + _AFTER, 0.5),
        Pattern("KR BRN (10 digits)", _BEFORE + r"[0-9]{10}" + _AFTER, 0.3),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "사업자",
        "사업자등록번호",
        "사업자번호",
        "business registration",
        "business number",
        "brn",
    ]

    def validate_result(self, pattern_text: str) -> bool | None:
        """Drop a bad check digit; 1.0 only for the hyphenated form, which is rarely random."""
        if not brn_checksum_ok(pattern_text):
            return False
        return True if "-" in pattern_text else None


def brn_checksum_ok(pattern_text: str) -> bool:
    """Check digit rule: weights 1,3,7,1,3,7,1,3,5; the ninth product's tens digit counts twice."""
    digits = [int(ch) for ch in pattern_text if ch.isdecimal()]
    if len(digits) != 10:
        return False
    total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=False))
    total += digits[8] * 5 // 10
    return (10 - total % 10) % 10 == digits[9]
