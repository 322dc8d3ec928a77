"""Thirteen-digit numbers that read as a birth date but are something else.

A product barcode (EAN-13, GTIN-13, JAN), an ISBN-13 and a corporation registration number
(법인등록번호) are thirteen digits too, and one in a few hundred reads as ``YYMMDD`` plus a
gender digit; then one in ten also passes the old RRN/FRN check digit by chance, which made
it a finding at 1.0. Two things tell them apart, and ``DatedIdentifierRecognizer`` applies
both to the resident and foreigner registration numbers:

- **the words around it**: a barcode, product or corporate-registration word within the
  context window, and none of the recognizer's own words, means the number is not one;
- **the GS1 check digit**: a closed-up run that satisfies it (weights 1, 3, 1, 3 …) is as
  likely a barcode as an identifier, so a chance pass of the identifier's checksum does not
  raise it above the closed-up pattern score; a context word still does (+0.35).
"""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.rejections import note_rejected

__all__ = ["DatedIdentifierRecognizer", "gs1_check_digit_holds", "other_identifier_word"]

# Latin words whole (``jan`` is no part of ``Janet``), Korean ones anywhere (particles).
_OTHER_WORDS = re.compile(
    r"(?<![a-z])(?:ean(?:-?13)?|gtin(?:-?13)?|jan|upc|isbn(?:-?13)?|sku|barcode|product code"
    r"|item code|article number|corporate registration|crn)s?(?![a-z])"
    r"|바코드|상품\s?코드|제품\s?코드|상품번호|품번|도서번호|법인등록번호|법인번호|등기번호"
)
_BEFORE = 40  # the context enhancer's window
_AFTER = 20
#: The closed-up pattern score a chance checksum pass falls back to.
_CLOSED_UP_SCORE = 0.4


def gs1_check_digit_holds(digits: str) -> bool:
    """The EAN-13 / GTIN-13 / ISBN-13 check digit (weights 1, 3, 1, 3 … from the left)."""
    if len(digits) != 13 or not digits.isdecimal():
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == int(digits[12])


def other_identifier_word(text: str, start: int, end: int) -> bool:
    """A barcode, product or corporate-registration word stands in the context window."""
    before = text[max(0, start - _BEFORE) : start].lower()
    after = text[end : end + _AFTER].lower()
    return _OTHER_WORDS.search(before) is not None or _OTHER_WORDS.search(after) is not None


class DatedIdentifierRecognizer(PatternRecognizer):
    """A ``YYMMDD-GNNNNNN`` recognizer that knows the thirteen-digit numbers it resembles.

    Put it before the pattern recognizer in the bases; ``CONTEXT`` holds its own words.
    """

    CONTEXT: ClassVar[list[str]]

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [result for result in results if self._kept(text, result)]

    def _kept(self, text: str, result: RecognizerResult) -> bool:
        window = text[max(0, result.start - _BEFORE) : result.end + _AFTER].lower()
        if any(word in window for word in self.CONTEXT):
            return True  # its own word decides, whatever else is near
        if other_identifier_word(text, result.start, result.end):
            why = "beside a barcode, product or corporate-registration word"
            note_rejected(result.entity_type, result.start, result.end, why, type(self).__name__)
            return False
        value = text[result.start : result.end]
        if result.score > _CLOSED_UP_SCORE and gs1_check_digit_holds(value):
            result.score = _CLOSED_UP_SCORE  # as likely a barcode: context must decide
        return True
