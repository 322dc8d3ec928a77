"""Korean bank account numbers (계좌번호): hyphenated digit groups, reported only with context."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
)
from gateway.detect.recognizers.kr.phone import KR_PHONE_SHAPE

__all__ = ["KrBankAccountRecognizer"]

# 2-4 groups: a 3-6 digit head (Shinhan 110-, Woori 1002-, KB 123456-) and 2-7 digit parts.
_ACCOUNT = (
    NOT_ALNUM_BEFORE
    + r"(?<![0-9A-Za-z][-.])[0-9]{3,6}(?:-[0-9]{2,7}){1,3}"
    + NOT_ALNUM_AFTER
    + r"(?![-.][0-9A-Za-z])"
)
# Prefilter without Presidio's per-pattern timeout bookkeeping: a 3-6 digit head starting
# 11+ digit/hyphen characters (10 digits need one hyphen). Dates (2024-01-15) fail it.
_GATE = re.compile(r"[0-9](?<![0-9][0-9])(?=[0-9-]{10})[0-9]{2,5}-[0-9]{2}")
# Shapes owned by other recognizers: RRN/FRN/CRN (6-7) and BRN (3-2-5).
_OTHER_SHAPES = frozenset({(6, 7), (3, 2, 5)})


class KrBankAccountRecognizer(GatedPatternRecognizer):
    """Find account-shaped numbers at 0.3; only a bank or transfer word nearby makes them count.

    Every bank numbers accounts differently and none publishes a check digit, so the shape
    alone is as weak as an order number. The context enhancer lifts a match to 0.65 when a
    bank name or 계좌/입금/송금/이체 sits in its window. Phone numbers and the RRN/CRN/BRN
    shapes are left to their own recognizers. Ambiguous words (우리 "we", 하나 "one", city
    names) are only context together with 은행. Pasted as data, the field says it instead:
    a key such as ``account``, ``acct_no`` or a neighbouring ``"bank"`` (``FIELD_NAMES``,
    matched as whole words of a key only, so ``accounting`` or free text do not count).
    """

    ENTITY: ClassVar[str] = "KR_BANK_ACCOUNT"
    GATE = _GATE
    PATTERNS: ClassVar[list[Pattern]] = [Pattern("KR bank account", _ACCOUNT, 0.3)]
    CONTEXT: ClassVar[list[str]] = [
        "계좌",
        "입금",
        "송금",
        "이체",
        "은행",
        "account no",
        "account number",
        "bank account",
        "국민",
        "kb국민",
        "신한",
        "농협",
        "nh농협",
        "ibk",
        "카카오뱅크",
        "토스뱅크",
        "케이뱅크",
        "새마을",
        "우체국",
        "수협",
        "sc제일",
        "씨티",
    ]
    FIELD_NAMES: ClassVar[tuple[str, ...]] = ("account", "acct", "acc", "bank", "deposit")

    def invalidate_result(self, pattern_text: str) -> bool:
        """Keep 10-14 digits; drop phone numbers and other identifiers' shapes."""
        groups = tuple(len(group) for group in pattern_text.split("-"))
        if not 10 <= sum(groups) <= 14 or groups in _OTHER_SHAPES:
            return True
        return KR_PHONE_SHAPE.fullmatch(pattern_text) is not None
