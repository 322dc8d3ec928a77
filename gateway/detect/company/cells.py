"""Column types: how a registered cell and a prompt's candidate are brought to one form.

Each type normalises to a *class* and a value, and only ``(class, value)`` is hashed, so a
phone number written ``010-1234-5678``, ``01012345678`` or ``+82 10 1234 5678`` hashes the
same as the cell ``010 1234 5678``:

============  =========  =====================================================================
type          class      normal form
============  =========  =====================================================================
``phone``     tel        E.164 digits (``821012345678``), parsed with ``phonenumbers`` in the
                         table's region
``email``     mail       NFKC, trimmed, case-folded
``account``,  num        NFKC, letters upper-cased, separators (space ``-`` ``.`` ``/`` ``_``)
``rrn``,                 removed: ``110-123-456789`` → ``110123456789``
``id``
``name``,     words      the cell's words (NFKC, case-folded), whitespace and punctuation
``text``                 ignored; a Hangul name written with spaces is closed up (``김 민수``)
``skip``      —          not indexed
============  =========  =====================================================================

The prompt side (``Candidates``) offers, in one pass, every e-mail address, every run of
digit groups (and each sub-run of consecutive groups, with the phone variants a national or
international writing gives), every token that holds a digit, and the word n-grams and
Hangul-word prefixes that could be a name or a free-text cell.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

import numpy as np
import phonenumbers

from gateway.detect.company.tokens import U64, TokenHasher, combine, word_tokens

__all__ = [
    "COLUMN_TYPES",
    "Candidates",
    "ColumnType",
    "PhoneRegion",
    "Wanted",
    "cell_hash",
    "cell_words",
    "extract_candidates",
    "is_hangul_word",
]

ColumnType = Literal["name", "phone", "email", "account", "rrn", "id", "text", "skip"]
COLUMN_TYPES: Final[tuple[str, ...]] = get_args(ColumnType)

_SEPARATORS: Final = re.compile(r"[\s\-./_]+")
_HANGUL_ONLY: Final = re.compile("[\uac00-\ud7a3]+")
_EMAIL: Final = re.compile(r"[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}")
# digit groups separated by up to two of space - . / or a bracketed area code
_GROUP = r"(?:\(\d{1,5}\)|\d{1,20})"
_DIGIT_RUN: Final = re.compile(rf"(?<![\w+])\+?{_GROUP}(?:[ .\-/]{{1,2}}{_GROUP}){{0,7}}(?![\w])")
_DIGIT_GROUP: Final = re.compile(r"\d+")
_ALNUM_TOKEN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.]{2,40}")
_MIN_NUMBER = 4  # shorter values are everywhere (years, counts) and never identify a row


@dataclass(frozen=True, slots=True)
class PhoneRegion:
    """The table's phone region: its country code and national (trunk) prefix."""

    region: str = "KR"
    country_code: str = "82"
    national_prefix: str = "0"

    @classmethod
    def of(cls, region: str) -> PhoneRegion:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper())
        if metadata is None:
            raise ValueError(f"unknown phone region {region!r} (an ISO 3166 code such as KR)")
        return cls(region.upper(), str(metadata.country_code), metadata.national_prefix or "")


def _number(value: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


def _phone(value: str, region: PhoneRegion) -> str | None:
    try:
        parsed = phonenumbers.parse(unicodedata.normalize("NFKC", value), region.region)
    except phonenumbers.NumberParseException:
        return None
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return formatted.lstrip("+") or None


def is_hangul_word(word: str) -> bool:
    return _HANGUL_ONLY.fullmatch(word) is not None


def cell_words(value: str) -> list[str]:
    """A name or text cell's words; a Hangul-only name split by spaces is one word."""
    words = word_tokens(value).words
    if len(words) > 1 and all(_HANGUL_ONLY.fullmatch(w) for w in words):
        return ["".join(words)]
    return words


def cell_hash(
    hasher: TokenHasher, column: ColumnType, value: str, region: PhoneRegion
) -> int | None:
    """The keyed hash of one cell's normal form; None for an empty or unusable cell."""
    value = value.strip()
    if not value or column == "skip":
        return None
    if column == "phone":
        phone = _phone(value, region)
        return hasher.value("tel:" + phone) if phone else None
    if column == "email":
        return hasher.value("mail:" + unicodedata.normalize("NFKC", value).casefold())
    if column in ("account", "rrn", "id"):
        number = _number(value)
        return hasher.value("num:" + number) if len(number) >= _MIN_NUMBER else None
    words = cell_words(value)
    if not words:
        return None
    return int(combine(hasher.tokens(words), len(words))[0])


@dataclass(slots=True)
class Candidates:
    """Hashes of everything in a text that could be a cell, each with its span."""

    hashes: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    def add(self, hashed: int, start: int, end: int) -> None:
        self.hashes.append(hashed)
        self.starts.append(start)
        self.ends.append(end)

    def extend(self, hashes: U64, starts: list[int], ends: list[int]) -> None:
        self.hashes.extend(hashes.tolist())
        self.starts.extend(starts)
        self.ends.extend(ends)

    def array(self) -> U64:
        return np.fromiter(self.hashes, dtype=np.uint64, count=len(self.hashes))


@dataclass(frozen=True, slots=True)
class Wanted:
    """What an index can match, so that a text is only searched for that."""

    numbers: bool
    phones: bool
    emails: bool
    max_words: int  # longest name/text cell, in words (0: none)
    hangul_lengths: frozenset[int]  # lengths of Hangul one-word cells (names)
    region: PhoneRegion


def extract_candidates(text: str, hasher: TokenHasher, wanted: Wanted) -> Candidates:
    found = Candidates()
    if wanted.emails and "@" in text:
        for match in _EMAIL.finditer(text):
            found.add(hasher.value("mail:" + match.group().casefold()), *match.span())
    if wanted.numbers or wanted.phones:
        _numbers(text, hasher, wanted, found)
    if wanted.max_words:
        _words(text, hasher, wanted, found)
    return found


def _numbers(text: str, hasher: TokenHasher, wanted: Wanted, found: Candidates) -> None:
    seen: set[tuple[str, int, int]] = set()

    def offer(tag: str, value: str, start: int, end: int) -> None:
        if (tag, start, end) in seen and tag == "num:":
            return
        seen.add((tag, start, end))
        found.add(hasher.value(tag + value), start, end)

    for run in _DIGIT_RUN.finditer(text):
        groups = [
            (m.start() + run.start(), m.end() + run.start())
            for m in _DIGIT_GROUP.finditer(run.group())
        ]
        plus = run.group().startswith("+")
        for first in range(len(groups)):
            digits = ""
            for last in range(first, len(groups)):
                digits += text[groups[last][0] : groups[last][1]]
                if len(digits) < _MIN_NUMBER:
                    continue
                start = run.start() if first == 0 else groups[first][0]
                end = groups[last][1]
                if wanted.numbers:
                    offer("num:", digits, start, end)
                if wanted.phones and 7 <= len(digits) <= 15:
                    for phone in _phone_variants(digits, plus and first == 0, wanted.region):
                        offer("tel:", phone, start, end)
    if wanted.numbers:
        for match in _ALNUM_TOKEN.finditer(text):
            token = match.group()
            if any(c.isdigit() for c in token) and not token.isdigit():
                number = _number(token)
                if len(number) >= _MIN_NUMBER:
                    offer("num:", number, *match.span())


def _phone_variants(digits: str, international: bool, region: PhoneRegion) -> set[str]:
    """E.164 readings of a run of digits: as written with ``+``, or national, or after
    the international prefix ``00``, or with the country code already in front."""
    if international:
        return {digits}
    variants = {digits}  # e.g. 821012345678 written without '+'
    prefix = region.national_prefix
    if prefix and digits.startswith(prefix):
        variants.add(region.country_code + digits[len(prefix) :])
    elif not prefix:
        variants.add(region.country_code + digits)
    if digits.startswith("00"):
        variants.add(digits[2:])
    return variants


def _words(text: str, hasher: TokenHasher, wanted: Wanted, found: Candidates) -> None:
    tokens = word_tokens(text)
    if not tokens.words:
        return
    hashes = hasher.tokens(tokens.words)
    for length in range(1, wanted.max_words + 1):
        grams = combine(hashes, length)
        if not len(grams):
            break
        found.extend(grams, tokens.starts[: len(grams)], tokens.ends[length - 1 :])
    if wanted.hangul_lengths:
        # a Hangul name with a particle or title glued on: 김민수님, 김민수의
        # and one written with a space (김 민수): registered names are closed up
        shortest = min(wanted.hangul_lengths)
        longest = max(wanted.hangul_lengths)
        names: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        words, word_starts = tokens.words, tokens.starts
        for index, word in enumerate(words):
            if not _HANGUL_ONLY.fullmatch(word):
                continue
            start = word_starts[index]
            if len(word) > shortest:
                for n in wanted.hangul_lengths:
                    if n < len(word):
                        names.append(word[:n])
                        starts.append(start)
                        ends.append(start + n)
            following = index + 1
            if (
                following < len(words)
                and len(word) + len(words[following]) <= longest + 2
                and _HANGUL_ONLY.fullmatch(words[following])
            ):
                after = words[following]
                for n in wanted.hangul_lengths:
                    if len(word) < n <= len(word) + len(after):
                        names.append(word + after[: n - len(word)])
                        starts.append(start)
                        ends.append(word_starts[following] + n - len(word))
        if names:
            found.extend(combine(hasher.tokens(names), 1), starts, ends)
