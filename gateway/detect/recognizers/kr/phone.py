"""Phone numbers: Korean plans by regex, every other country through libphonenumber.

The Korean numbering plan is small enough to spell out, and the regexes are what keep a scan
of plain text cheap; other countries' numbers, and Korean numbers written without the
separators that tell them from ids, go through ``world_phone`` (validated, context needed
for national forms). Numbers that a plan gives to businesses are not personal data and are
not reported: 전국대표번호 (15xx/16xx/18xx-xxxx) and 080 free-call numbers are assigned to
companies for their customer lines (KCC 전기통신번호관리세칙), and a prompt quoting a
customer-centre number must not be redacted as somebody's contact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.gates import has_digit
from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
    recognizer_result,
)
from gateway.detect.recognizers.world_phone import (
    DEFAULT_REGIONS,
    PHONE_WORDS,
    PhoneCandidate,
    WorldPhoneFinder,
)

__all__ = ["KR_PHONE_SHAPE", "PhoneNumberRecognizer"]

# Never start or end inside a longer chain of groups (card numbers, ISBNs, RRNs, UUIDs).
_BEFORE = NOT_ALNUM_BEFORE + r"(?<![0-9A-Za-z][-.])"
_AFTER = NOT_ALNUM_AFTER + r"(?![-.][0-9A-Za-z])"
_SEP = r"[-. ]"

# After the trunk prefix "01": 010 has four-digit middles, legacy 011/016-019 three or four.
_MOBILE_REST = rf"(?:0{_SEP}?[0-9]{{4}}|[16-9]{_SEP}?[0-9]{{3,4}}){_SEP}?[0-9]{{4}}"
# Area codes without the trunk 0: Seoul, provinces, VoIP 070, personal (virtual) 050x.
_AREA = r"(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|50[2-8])"
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
# VoIP (070) and virtual "safe" numbers (0502-0508, given out instead of a mobile) closed up:
# their prefixes are rare enough at the start of an id to stand without separators.
_BARE_VIRTUAL = _BEFORE + r"(?:070[0-9]{8}|050[2-8][0-9]{7,8})" + _AFTER
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
# Prefilter for the domestic forms ("+" covers the rest): one search instead of four
# Presidio passes. Look-behinds follow the first literal so the scan skips to "0"/"1" fast.
_GATE = re.compile(
    r"0(?<![0-9]0)(?:1[016-9]|[2-8][0-9]{0,2})\)?[-. ]?[0-9]{3,4}[-. ]?[0-9]{4}(?![0-9])"
    r"|0(?<![0-9]0)1[016-9][0-9]?[-. ][0-9]{2,4}[-. ][0-9]{2}"
)

#: Full-string test for "this digit group is a Korean phone number" (used by other recognizers).
KR_PHONE_SHAPE = re.compile(rf"{_MOBILE_NUMBER}|{_AREA_NUMBER}")


class _PhoneGate:
    """Any ``+`` (international form) or a Korean-number-shaped digit run."""

    def search(self, text: str) -> object | None:
        return True if "+" in text else _GATE.search(text)


class PhoneNumberRecognizer(GatedPatternRecognizer):
    """Find phone numbers: Korean plans by regex, other countries through libphonenumber.

    Korean numbers score 0.6 (0.5 regrouped out of their 3-4-4 shape, ``0101 8520 593``,
    and closed-up 070/050x numbers); the other scores are ``world_phone``'s. Each pattern
    costs a regex pass plus Presidio's per-pattern overhead, so the Korean plans share one.
    """

    ENTITY: ClassVar[str] = "PHONE_NUMBER"
    GATE = _PhoneGate()
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("KR phone", _KOREAN, 0.6),
        Pattern("KR mobile (regrouped)", _REGROUPED_MOBILE, 0.5),
        Pattern("KR VoIP or virtual number (closed up)", _BARE_VIRTUAL, 0.5),
    ]
    CONTEXT: ClassVar[list[str]] = list(PHONE_WORDS)

    def __init__(
        self, supported_language: str = "en", regions: Sequence[str] = DEFAULT_REGIONS
    ) -> None:
        super().__init__(supported_language=supported_language)
        self.world = WorldPhoneFinder(regions)

    def may_match(self, text: str) -> bool:
        """Korean or of another plan, a number has digits (``detect/gates.py``)."""
        return has_digit(text)

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """The Korean patterns' results, then validated numbers of other forms beside them."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        taken = [(result.start, result.end) for result in results]
        for found in self.world.find(text, taken):
            results.append(self._world_result(found))
        return results

    def _world_result(self, found: PhoneCandidate) -> RecognizerResult:
        why = "valid or possible number in the region's numbering plan"
        pattern = f"libphonenumber ({found.region})"
        span = (found.start, found.end)
        return recognizer_result(self, self.ENTITY, span, found.score, why, pattern)

    def invalidate_result(self, pattern_text: str) -> bool:
        """A Korean number has 8 to 12 digits; anything else is part of something longer."""
        digits = sum(ch.isdecimal() for ch in pattern_text)
        return not 8 <= digits <= 15
