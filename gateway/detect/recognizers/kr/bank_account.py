"""Korean bank account numbers (계좌번호), reported only with context.

Hyphenated digit groups are found by shape and need a bank or transfer word to count. A
closed-up run of 10-14 digits is a candidate only when a bank's name (``banks.BANKS``, whose
lengths and prefixes it must fit) or a transfer word (계좌, 송금, 이체, 입금) stands in the
window the context enhancer reads, so it is never even scored in ordinary text.
"""

from __future__ import annotations

import re
from typing import ClassVar

import ahocorasick
from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.gates import has_digit
from gateway.detect.recognizers.base import (
    NOT_ALNUM_AFTER,
    NOT_ALNUM_BEFORE,
    GatedPatternRecognizer,
    SpanSet,
    recognizer_result,
)
from gateway.detect.recognizers.kr.banks import BANKS, TRANSFER_WORDS, Bank
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
# A closed-up run: not part of a decimal, an amount, a path or a longer id.
_BARE = re.compile(r"(?<![0-9A-Za-z.,/\-])[0-9]{10,14}(?![0-9A-Za-z]|[.,/\-][0-9])")
# Closed-up runs that are something else: mobiles, VoIP/virtual numbers, compact dates.
_NOT_ACCOUNT = re.compile(
    r"01[016-9][0-9]{7,8}|070[0-9]{8}|050[2-8][0-9]{7,8}"
    r"|(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]*"
)
_BEFORE = 40  # the context enhancer's window
_AFTER = 20
_LONGEST = 14
_AUTOMATON_MAX = 8192  # characters; see _word_hits
_TEN_DIGITS = re.compile(r"[0-9]{10}")


def _automaton() -> ahocorasick.Automaton:
    words = ahocorasick.Automaton()
    for bank in BANKS:
        for name in bank.names:
            words.add_word(name, (name, bank))
    for word in TRANSFER_WORDS:
        words.add_word(word, (word, None))
    words.make_automaton()
    return words


_WORDS = _automaton()
_WORD_LIST: tuple[str, ...] = (
    *TRANSFER_WORDS,
    *(name for bank in BANKS for name in bank.names),
)


def _words_near(lowered: str, start: int, end: int) -> list[Bank | None]:
    head = lowered[max(0, start - _BEFORE) : start]
    tail = lowered[end : end + _AFTER]
    return [bank for part in (head, tail) for _, (_, bank) in _WORDS.iter(part)]


def _fits(digits: str, near: list[Bank | None]) -> bool:
    """A named bank's lengths and prefixes decide; a transfer word alone allows 10-14."""
    banks = [bank for bank in near if bank is not None]
    if not banks:
        return bool(near)
    return any(
        len(digits) in bank.lengths and (not bank.prefixes or digits.startswith(bank.prefixes))
        for bank in banks
    )


def bare_accounts(text: str) -> list[tuple[int, int]]:
    """Spans of closed-up digit runs that a bank name or transfer word makes accounts."""
    if _TEN_DIGITS.search(text) is None:
        return []  # most texts: no run long enough, no need to look for words
    lowered = text.lower()
    hits = sorted((at, at + len(word)) for word in _WORD_LIST for at in _occurrences(lowered, word))
    spans: dict[tuple[int, int], None] = {}  # in order, without repeats
    last_end = 0
    for start, end in hits:
        low = max(last_end, start - _AFTER - _LONGEST, 0)
        high = min(len(text), end + _BEFORE + _LONGEST)
        for match in _BARE.finditer(text, low, high):
            span = match.span()
            if span in spans or _NOT_ACCOUNT.fullmatch(match.group()):
                continue
            if _fits(match.group(), _words_near(lowered, *span)):
                spans[span] = None
        last_end = max(last_end, high)
    return list(spans)


def _word_hits(lowered: str) -> list[tuple[int, int]]:
    """Sorted spans of the bank and transfer words: one automaton pass on a prompt-sized
    text, one ``str.find`` per word on a long one (faster per character on plain text)."""
    if len(lowered) < _AUTOMATON_MAX:
        return [(end + 1 - len(word), end + 1) for end, (word, _) in _WORDS.iter(lowered)]
    return sorted((at, at + len(word)) for word in _WORD_LIST for at in _occurrences(lowered, word))


def _occurrences(text: str, word: str) -> list[int]:
    """Where ``word`` starts in ``text`` (``str.find`` beats an automaton on plain text)."""
    found: list[int] = []
    at = text.find(word)
    while at != -1:
        found.append(at)
        at = text.find(word, at + len(word))
    return found


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
        *TRANSFER_WORDS,
        *(name for bank in BANKS for name in bank.names),
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

    def may_match(self, text: str) -> bool:
        """Hyphenated or closed up, an account has digits (``detect/gates.py``)."""
        return has_digit(text)

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Hyphenated accounts by shape, then closed-up runs beside a bank or transfer word."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        taken = SpanSet((result.start, result.end) for result in results)
        for start, end in bare_accounts(text):
            if not taken.overlaps((start, end)):
                results.append(self._bare_result(start, end))
        return results

    def _bare_result(self, start: int, end: int) -> RecognizerResult:
        why = "10-14 digits fitting a bank named nearby, or beside 계좌/송금"
        pattern = "KR bank account (closed up)"
        return recognizer_result(self, self.ENTITY, (start, end), 0.3, why, pattern)

    def invalidate_result(self, pattern_text: str) -> bool:
        """Keep 10-14 digits; drop phone numbers and other identifiers' shapes."""
        groups = tuple(len(group) for group in pattern_text.split("-"))
        if not 10 <= sum(groups) <= 14 or groups in _OTHER_SHAPES:
            return True
        return KR_PHONE_SHAPE.fullmatch(pattern_text) is not None
