"""Phone numbers: Korean mobile, landline, VoIP and representative numbers, plus E.164.

Regexes rather than libphonenumber: parsing every digit run of a prompt with it costs
milliseconds, and the Korean numbering plan is small enough to spell out.
"""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
)

__all__ = ["KR_PHONE_SHAPE", "PhoneNumberRecognizer"]

# Never start or end inside a longer chain of groups (card numbers, ISBNs, RRNs, UUIDs).
_BEFORE = NOT_ALNUM_BEFORE + r"(?<![0-9A-Za-z][-.])"
_AFTER = NOT_ALNUM_AFTER + r"(?![-.][0-9A-Za-z])"
_SEP = r"[-. ]"

# After the trunk prefix "01": 010 has four-digit middles, legacy 011/016-019 three or four.
_MOBILE_REST = rf"(?:0{_SEP}?[0-9]{{4}}|[16-9]{_SEP}?[0-9]{{3,4}}){_SEP}?[0-9]{{4}}"
# Area codes without the trunk 0: Seoul, provinces, VoIP 070, personal 050x, free call 080.
_AREA = r"(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|50[2-8]|80)"
_MOBILE_NUMBER = "01" + _MOBILE_REST
# Landlines need separators: a bare 9-10 digit run is more often an order or account number.
_AREA_NUMBER = rf"0{_AREA}{_SEP}[0-9]{{3,4}}{_SEP}[0-9]{{4}}"
_PAREN_NUMBER = rf"\(0{_AREA}\) ?[0-9]{{3,4}}{_SEP}[0-9]{{4}}"
# +82, an optional "(0)" or stray trunk 0, then the national number without its 0.
_INTERNATIONAL = (
    rf"\+82{_SEP}?(?:\(0\){_SEP}?|0)?"
    rf"(?:1{_MOBILE_REST}|{_AREA}{_SEP}?[0-9]{{3,4}}{_SEP}?[0-9]{{4}})"
)
_KOREAN = (
    rf"(?:{_BEFORE}(?:{_MOBILE_NUMBER}|{_AREA_NUMBER})|(?<![0-9A-Za-z+])(?:{_PAREN_NUMBER}"
    rf"|{_INTERNATIONAL})){_AFTER}"
)
# 15xx/16xx/18xx representative numbers; "1600-1700년" is a span of years, not a number.
_NOT_YEARS = r"(?! ?(?:년|年))"
_REPRESENTATIVE = _BEFORE + r"1[568][0-9]{2}-[0-9]{4}" + _AFTER + _NOT_YEARS
_REPRESENTATIVE_BARE = (
    NOT_ALNUM_BEFORE
    + r"(?<![0-9][-. ])1[568][0-9]{2}[ .]?[0-9]{4}"
    + NOT_ALNUM_AFTER
    + r"(?![-. ][0-9])"
    + _NOT_YEARS
)
# A mobile number regrouped to hide its shape (``0101 8520 593``, ``010 12 34 56 78``): the
# prefix starts the first group, then groups of two to four digits joined by one repeated
# separator, and exactly the digits a mobile number has (010: eight more; the legacy 011 and
# 016-019: seven or eight). The look-ahead counts the digits, the groups check the shape; the
# fences include spaces, so the run is never part of a longer chain of digit groups.
_REGROUPED_MOBILE = (
    _BEFORE
    + r"(?<![0-9][-. ])"
    + r"(?=010(?:[-. ]?[0-9]){8}(?![-. ]?[0-9])|01[16-9](?:[-. ]?[0-9]){7,8}(?![-. ]?[0-9]))"
    + r"01[016-9][0-9]?(?P<sep>[-. ])[0-9]{2,4}(?:(?P=sep)[0-9]{2,4}){1,3}"
    + _AFTER
    + r"(?! [0-9])"
)
# Other countries: "+CC" and digit groups; possessive runs cannot be re-split on backtracking.
_E164 = r"(?<![0-9A-Za-z+])\+(?!82)[1-9][0-9]{0,2}(?:[-. ]?\(?[0-9]++\)?){1,6}" + _AFTER

# Prefilter for the domestic forms ("+" covers the rest): one search instead of four
# Presidio passes. Look-behinds follow the first literal so the scan skips to "0"/"1" fast.
_GATE = re.compile(
    r"0(?<![0-9]0)(?:1[016-9]|[2-8][0-9]{0,2})\)?[-. ]?[0-9]{3,4}[-. ]?[0-9]{4}(?![0-9])"
    r"|1(?<![0-9]1)[568][0-9]{2}[-. ]?[0-9]{4}(?![0-9])"
    r"|0(?<![0-9]0)1[016-9][0-9]?[-. ][0-9]{2,4}[-. ][0-9]{2}"
)

#: Full-string test for "this digit group is a Korean phone number" (used by other recognizers).
KR_PHONE_SHAPE = re.compile(rf"{_MOBILE_NUMBER}|{_AREA_NUMBER}")


class _PhoneGate:
    """Any ``+`` (international form) or a Korean-number-shaped digit run."""

    def search(self, text: str) -> object | None:
        return True if "+" in text else _GATE.search(text)


class PhoneNumberRecognizer(GatedPatternRecognizer):
    """Find phone numbers; Korean numbers score 0.6, other countries' E.164 numbers 0.4.

    Representative numbers (``1588-1234``) look like years and prices without the hyphen,
    so the bare, space- and dot-separated forms score 0.2 and need a context word. A mobile
    number regrouped out of its 3-4-4 shape (``0101 8520 593``) is still one: 0.5. Each pattern
    costs a regex pass plus Presidio's per-pattern overhead, so the Korean plans share one.
    """

    ENTITY: ClassVar[str] = "PHONE_NUMBER"
    GATE = _PhoneGate()
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("KR phone", _KOREAN, 0.6),
        Pattern("KR mobile (regrouped)", _REGROUPED_MOBILE, 0.5),
        Pattern("KR representative", _REPRESENTATIVE, 0.5),
        Pattern("KR representative (no hyphen)", _REPRESENTATIVE_BARE, 0.2),
        Pattern("E.164", _E164, 0.4),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "전화",
        "연락처",
        "휴대폰",
        "핸드폰",
        "휴대전화",
        "문자",
        "팩스",
        "tel",
        "phone",
        "mobile",
        "call",
        "fax",
    ]

    def invalidate_result(self, pattern_text: str) -> bool:
        """E.164 allows 15 digits at most; fewer than 8 is an extension or a short code."""
        digits = sum(ch.isdecimal() for ch in pattern_text)
        return not 8 <= digits <= 15
