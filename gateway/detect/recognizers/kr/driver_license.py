"""Korean driver's licence number (운전면허번호, ``RR-YY-NNNNNN-CC``)."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
)

__all__ = ["KrDriverLicenseRecognizer"]

# Numeric region codes: 11 (Seoul) .. 26 (Ulsan) and 28 (northern Gyeonggi); 27 was never
# issued (Presidio's KR recognizer lists the same set).
_REGION = r"(?:1[1-9]|2[0-68])"
# Before 2011 the region was printed as its name; some people still write it that way. The
# sixteen names are those of codes 11-26.
_REGION_NAME = (
    r"(?:서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산)"
)
# Not glued to a neighbouring digit group (ISBNs, serials with more groups).
_BEFORE = NOT_ALNUM_BEFORE + r"(?<![0-9A-Za-z][-.])"
_AFTER = NOT_ALNUM_AFTER + r"(?![-.][0-9A-Za-z])"

# Cheap prefilter (no per-pattern timeout bookkeeping) that every match must pass.
# The look-behind sits after the first digit so the scan can skip non-digits quickly.
_GATE = re.compile(
    r"[0-9](?<![0-9][0-9])[0-9](?:[- ]?[0-9]{2})?[- ]?[0-9]{6}[- ]?[0-9]{2}(?![0-9])"
)


class KrDriverLicenseRecognizer(GatedPatternRecognizer):
    """Find licence numbers; the region code is the only check (the check digits are secret).

    Hyphenated ``11-19-123456-78`` is distinctive (0.5); the space-separated and bare
    12-digit forms collide with account and order numbers, so they need a context word.
    The regional-name form (``서울-19-123456-78``) is unambiguous and scores 0.6.
    """

    ENTITY: ClassVar[str] = "KR_DRIVER_LICENSE"
    GATE = _GATE
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "KR licence (region name)",
            _REGION_NAME + r"[- ]?[0-9]{2}[- ][0-9]{6}[- ][0-9]{2}" + _AFTER,
            0.6,
        ),
        Pattern(
            "KR licence (hyphens)", _BEFORE + _REGION + r"-[0-9]{2}-[0-9]{6}-[0-9]{2}" + _AFTER, 0.5
        ),
        Pattern(
            "KR licence (spaces)", _BEFORE + _REGION + r" [0-9]{2} [0-9]{6} [0-9]{2}" + _AFTER, 0.3
        ),
        Pattern("KR licence (12 digits)", _BEFORE + _REGION + r"[0-9]{10}" + _AFTER, 0.2),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "운전면허",
        "면허번호",
        "면허증",
        "driver license",
        "driver's license",
        "driving licence",
        "driver licence",
    ]
    #: Whole words of a JSON/query key: ``license_no``, ``dlNumber``.
    FIELD_NAMES: ClassVar[tuple[str, ...]] = ("license", "licence", "dl")
