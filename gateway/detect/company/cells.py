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
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

import numpy as np
import phonenumbers

from gateway.detect.company.tokens import (
    U64,
    TokenHasher,
    Words,
    combine_many,
    compiled,
    mix,
    mix_int,
)

__all__ = [
    "COLUMN_TYPES",
    "MAX_CELL_WORDS",
    "Candidates",
    "ColumnType",
    "PhoneRegion",
    "Wanted",
    "cell_hashes",
    "cell_words",
    "extract_candidates",
    "is_hangul_word",
    "numeric_length",
    "words_and_heads",
]

ColumnType = Literal["name", "phone", "email", "account", "rrn", "id", "text", "skip"]
COLUMN_TYPES: Final[tuple[str, ...]] = get_args(ColumnType)
#: a longer name or text cell is a paragraph: register it as a document instead
MAX_CELL_WORDS: Final = 8

_SEPARATORS: Final = re.compile(r"[\s\-./_]+")
_DOMAIN: Final = re.compile(r"[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}")
_LOCAL_CHARS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-"
)
_GROUP: Final = re.compile(r"\d+")
_ALNUM_TOKEN: Final = re.compile(
    r"(?=[A-Za-z0-9\-_.]{0,40}\d)(?=[A-Za-z0-9\-_.]{0,40}[A-Za-z])[A-Za-z0-9][A-Za-z0-9\-_.]{2,40}"
)
_MIN_NUMBER: Final = 4  # shorter values are everywhere (years, counts) and identify no row
_MASK: Final = (1 << 64) - 1
_BASE: Final = 0x9E3779B97F4A7C15


def _digit_runs(min_digits: int) -> re.Pattern[str]:
    """Runs of digit groups (separated by up to two of space - . / or bracketed) holding
    at least ``min_digits`` digits: the regex engine skips the rest without Python."""
    more = min(max(min_digits, _MIN_NUMBER), 40) - 1
    return re.compile(
        rf"(?<![\w+])\+?\(?\d(?:(?:[ .\-/]{{1,2}}\(?|\)[ .\-/]{{0,2}})?\d){{{more},40}}\)?(?!\w)"
    )


_WORD_CHAR: Final = re.compile(r"\w")
_DIGITS: Final = "0123456789"
_STRETCH_SEPARATORS: Final = " .-/()"  # _digit_stretches' characters but digits


def _digit_stretches(min_digits: int) -> re.Pattern[str]:
    """Stretches of digits and the separators ``_digit_runs`` allows, long enough to hold
    one: a cheap first pass (no lookaround, no backtracking over separators) whose few
    stretches the exact pattern then reads, instead of trying it at every digit."""
    more = min(max(min_digits, _MIN_NUMBER), 40) - 1
    return re.compile(rf"\d[\d .\-/()]{{{more},}}")


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


def is_hangul_word(token: bytes) -> bool:
    """Whether a word (UTF-8) is Hangul syllables only, by its lead byte and length."""
    # U+AC00..U+D7A3 start with the UTF-8 lead bytes EA..ED (a few other letters do too)
    return bool(token) and 0xEA <= token[0] <= 0xED and len(token) % 3 == 0


def cell_words(value: str) -> list[bytes]:
    """A name or text cell's words; a Hangul name written with spaces is one word."""
    words = Words.of(value).tokens()
    if len(words) > 1 and all(is_hangul_word(w) for w in words) and sum(map(len, words)) <= 18:
        return [b"".join(words)]
    return words


def numeric_length(column: ColumnType, normal: str, region: PhoneRegion) -> int:
    """How many digits a prompt must write for this normal form: a phone's national form."""
    if column == "phone" and normal.startswith(region.country_code):
        return len(normal) - len(region.country_code) + len(region.national_prefix)
    return len(normal)


def cell_hashes(
    hasher: TokenHasher, column: ColumnType, values: Sequence[str | None], region: PhoneRegion
) -> list[tuple[int, int] | None]:
    """Each cell's keyed hash and a size (digits for numbers, words for names and text);
    None for an empty or unusable cell. Name and text cells are hashed in one batch."""
    if column == "skip":
        return [None] * len(values)
    if column not in ("name", "text"):
        return [_scalar_hash(hasher, column, v.strip(), region) if v else None for v in values]
    cells: list[list[bytes] | None] = []
    for value in values:
        split = cell_words(value) if value and value.strip() else []
        cells.append(split if 0 < len(split) <= MAX_CELL_WORDS else None)
    flat = [word for cell in cells if cell for word in cell]
    keyed = iter(hasher.keyed(b" ".join(flat)).tolist())
    out: list[tuple[int, int] | None] = []
    for cell in cells:
        if cell is None:
            out.append(None)
            continue
        acc = 0  # combine(), one run, on Python integers
        for _ in cell:
            acc = (acc * _BASE + next(keyed)) & _MASK
        out.append((mix_int(acc), len(cell)))
    return out


def _scalar_hash(
    hasher: TokenHasher, column: ColumnType, value: str, region: PhoneRegion
) -> tuple[int, int] | None:
    if not value:
        return None
    if column == "phone":
        phone = _phone(value, region)
        if not phone:
            return None
        return hasher.value("tel:" + phone), numeric_length(column, phone, region)
    if column == "email":
        return hasher.value("mail:" + unicodedata.normalize("NFKC", value).casefold()), 0
    number = _number(value)
    if len(number) < _MIN_NUMBER:
        return None
    return hasher.value("num:" + number), len(number) if number.isdigit() else 0


@dataclass(frozen=True, slots=True)
class Wanted:
    """What an index can match, so that a text is only searched for that."""

    numbers: bool
    phones: bool
    emails: bool
    max_words: int  # longest name/text cell, in words (0: none)
    hangul_lengths: frozenset[int]  # lengths of Hangul one-word cells (names)
    region: PhoneRegion
    min_digits: int = _MIN_NUMBER  # fewest digits of a numeric cell as a prompt writes it
    alphanumeric: bool = True  # some numeric cell holds letters (E-10234)
    runs: re.Pattern[str] = field(init=False, repr=False, compare=False)
    stretches: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "runs", _digit_runs(self.min_digits))
        object.__setattr__(self, "stretches", _digit_stretches(self.min_digits))


@dataclass(slots=True)
class Candidates:
    """Hashes of everything in a text that could be a cell, and where each one is.

    Word n-grams are kept as arrays and located only when one matches.
    """

    words: Words | None = None
    hashes: list[int] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    grams: list[tuple[int, U64]] = field(default_factory=list)  # (n, hashes of n-grams)
    #: Hangul names cut from or joined across words: (hashes, (word, syllables) each)
    glued: list[tuple[U64, Sequence[Sequence[int]]]] = field(default_factory=list)

    def add(self, hashed: int, start: int, end: int) -> None:
        self.hashes.append(hashed)
        self.spans.append((start, end))

    def array(self) -> U64:
        """Every candidate's hash, in index order: ``hashes``, then ``of_words()``."""
        return np.concatenate((np.array(self.hashes, dtype=np.uint64), self.of_words()))

    def of_words(self) -> U64:
        """The word n-grams' and Hangul names' hashes: ``array()`` past ``hashes``."""
        parts = [*(g for _, g in self.grams), *(h for h, _ in self.glued)]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)

    def span(self, index: int) -> tuple[int, int]:
        if index < len(self.spans):
            return self.spans[index]
        index -= len(self.spans)
        assert self.words is not None
        for length, grams in self.grams:
            if index < len(grams):
                return self.words.span(index, index + length - 1)
            index -= len(grams)
        for hashes, where in self.glued:
            if index < len(hashes):
                word, syllables = where[index]
                start = self.words.span(word, word)[0]
                if syllables > 0:
                    return start, start + syllables
                return start, self.words.span(word + 1, word + 1)[0] - syllables
            index -= len(hashes)
        raise IndexError(index)


def extract_candidates(
    text: str,
    hasher: TokenHasher,
    wanted: Wanted,
    words: Words | None = None,
    word_hashes: U64 | None = None,
    runs: Mapping[int, U64] | None = None,
) -> Candidates:
    """Everything in ``text`` ``wanted`` says a table could hold; ``words``,
    ``word_hashes`` and ``runs``: the text's words, their keyed hashes and the hashes of
    their runs by length (``words_and_heads``), when already at hand."""
    found = Candidates()
    if wanted.emails:
        _emails(text, hasher, found)
    if wanted.numbers or wanted.phones:
        _numbers(text, hasher, wanted, found)
    if wanted.max_words:
        words = words or Words.of(text)
        hashes = hasher.keyed(words.data) if word_hashes is None else word_hashes
        _words(words, hashes, runs, hasher, wanted, found)
    return found


def _emails(text: str, hasher: TokenHasher, found: Candidates) -> None:
    """Addresses around each ``@``: the local part read backwards from it (at most 64
    characters), the domain matched forwards; nothing is tried at other characters."""
    at = text.find("@")
    while at >= 0:
        start = at
        while start > 0 and at - start < 64 and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        domain = _DOMAIN.match(text, at + 1) if start < at else None
        if domain is not None:
            found.add(
                hasher.value("mail:" + text[start : domain.end()].casefold()), start, domain.end()
            )
        at = text.find("@", at + 1)


def _numbers(text: str, hasher: TokenHasher, wanted: Wanted, found: Candidates) -> None:
    seen: set[tuple[str, int, int]] = set()

    def offer(tag: str, value: str, start: int, end: int) -> None:
        if (tag + value, start, end) not in seen:
            seen.add((tag + value, start, end))
            found.add(hasher.value(tag + value), start, end)

    for base, groups in _runs_and_groups(text, wanted):
        plus = text.startswith("+", base)
        for first in range(len(groups)):
            digits = ""
            for last in range(first, len(groups)):
                digits += text[groups[last][0] : groups[last][1]]
                if len(digits) < wanted.min_digits:
                    continue
                start, end = (base if first == 0 else groups[first][0]), groups[last][1]
                if wanted.numbers:
                    offer("num:", digits, start, end)
                if wanted.phones and 7 <= len(digits) <= 15:
                    for phone in _phone_variants(digits, plus and first == 0, wanted.region):
                        offer("tel:", phone, start, end)
    if wanted.numbers and wanted.alphanumeric:
        for match in _ALNUM_TOKEN.finditer(text):
            number = _number(match.group())
            if len(number) >= _MIN_NUMBER:
                offer("num:", number, *match.span())


def _runs_and_groups(text: str, wanted: Wanted) -> Iterator[tuple[int, list[tuple[int, int]]]]:
    """Where each run of ``_runs`` starts, and its digit groups (``_GROUP``): found in
    one compiled pass (``_scan.stretches``) when built, where the regexes and the
    stretch checks took a dozen Python steps a stretch."""
    if compiled is None:
        for run in _runs(text, wanted):
            base = run.start()
            yield base, [(m.start() + base, m.end() + base) for m in _GROUP.finditer(run.group())]
        return
    least = min(max(wanted.min_digits, _MIN_NUMBER), 40)
    flat = memoryview(compiled.stretches(text, least - 1, True)).cast("q").tolist()
    position = 0
    while position < len(flat):  # per run: (start, end), (groups, 0), each group's span
        base, groups = flat[position], flat[position + 2]
        spans = flat[position + 4 : position + 4 + 2 * groups]
        yield base, list(zip(spans[0::2], spans[1::2], strict=True))
        position += 4 + 2 * groups


def _runs(text: str, wanted: Wanted) -> Iterator[re.Match[str]]:
    """``wanted.runs.finditer(text)``, read only within the stretches that can hold a run:
    from two characters before one (a ``+(`` prefix) to one after (the exact pattern's
    look-ahead; the look-behind sees before ``pos``).

    A stretch is read only when it has enough digits for a run, not counting a digit
    group that no run can use: the first when a word character comes just before it (a
    run's look-behind), the last when one comes just after (its look-ahead). Logs are
    full of version numbers, addresses and times that this leaves unread."""
    size = len(text)
    least = min(max(wanted.min_digits, _MIN_NUMBER), 40)
    for start, end in _stretch_spans(text, wanted, least):
        value = text[start:end]
        if end < size and _WORD_CHAR.match(text, end):
            value = value.rstrip(_DIGITS)
        if start and _WORD_CHAR.match(text, start - 1):
            value = value.lstrip(_DIGITS)
        if len(value) - sum(map(value.count, _STRETCH_SEPARATORS)) < least:
            continue
        yield from wanted.runs.finditer(text, max(0, start - 2), min(size, end + 1))


def _stretch_spans(text: str, wanted: Wanted, least: int) -> Iterator[tuple[int, int]]:
    """Where ``wanted.stretches`` matches in ``text``: found in one compiled pass
    (``_scan.stretches``), where the regex tests each character for a Unicode digit."""
    if compiled is None:
        return (stretch.span() for stretch in wanted.stretches.finditer(text))
    flat = memoryview(compiled.stretches(text, least - 1, False)).cast("q").tolist()
    return zip(flat[0::2], flat[1::2], strict=True)


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


def _words(
    words: Words,
    hashes: U64,
    runs: Mapping[int, U64] | None,
    hasher: TokenHasher,
    wanted: Wanted,
    found: Candidates,
) -> None:
    if not len(hashes):
        return
    found.words = words
    lengths = range(1, wanted.max_words + 1)
    if runs is None or not all(n in runs for n in lengths):
        runs, _ = combine_many(hashes, lengths)
    for length in lengths:
        grams = runs[length]
        if not len(grams):
            break
        found.grams.append((length, grams))
    if wanted.hangul_lengths:
        _hangul_names(words, hasher, wanted.hangul_lengths, found)


#: Below this many bytes of words a Python loop beats numpy's per-call overhead (measured:
#: 1 KB of Korean 146 µs against 343 µs; 34 KB 13 ms against 1.2 ms).
_VECTOR_BYTES: Final = 8192
#: the UTF-8 lead bytes of U+A000..U+DFFF, Hangul syllables among them (``is_hangul_word``)
_HANGUL_LEAD: Final = re.compile(rb"[\xea-\xed]")


def _may_hold_hangul(data: bytes) -> bool:
    """Whether some byte of ``data`` is a Hangul word's lead byte (a C scan, no copy)."""
    return not data.isascii() and _HANGUL_LEAD.search(data) is not None


def _hangul_names(
    words: Words, hasher: TokenHasher, lengths: frozenset[int], found: Candidates
) -> None:
    """A Hangul name with a particle or title glued on (김민수님, 김민수의) or written with
    a space (김 민수): registered one-word names are closed up. Hangul syllables are three
    UTF-8 bytes each, so a head of ``n`` syllables is ``3 n`` bytes."""
    held = words.heads
    if held is not None and lengths <= held[0]:  # keyed with the words (words_and_heads)
        _, hashes, where, sizes = held
        if lengths != held[0]:
            chosen = np.flatnonzero(np.isin(sizes, list(lengths)))
            hashes, where = hashes[chosen], [where[i] for i in chosen.tolist()]
        if len(hashes):
            found.glued.append((hashes, where))
        return
    if len(words.data) >= _VECTOR_BYTES:
        if not _may_hold_hangul(words.data):  # logs and code: no pass over their bytes
            return
        hashes, at, taken = hasher.hangul_heads(words.data, sorted(lengths))
        if len(hashes):
            found.glued.append((hashes, list(zip(at.tolist(), taken.tolist(), strict=True))))
        return
    pieces, where, _ = _head_pieces(words, lengths)
    if pieces:
        found.glued.append((mix(hasher.keyed(b" ".join(pieces))), where))


def words_and_heads(
    words: Words, hasher: TokenHasher, heads: frozenset[int], lengths: Collection[int] = ()
) -> tuple[U64, dict[int, U64]]:
    """The keyed hashes of ``words`` and of their runs of each of ``lengths``
    (``combine_many``). On a short text, the Hangul name heads of ``heads`` are keyed and
    mixed in the same calls and kept on ``words`` for ``_hangul_names`` (one pass of the
    hashing's numpy steps instead of two, one mixing step for runs and heads).

    Compiled (``tokens.compiled``): the heads of a text of any length, in one pass with
    the words, in the order the numpy steps give them (grouped by length from
    ``_VECTOR_BYTES`` on)."""
    if compiled is not None:
        grouped = len(words.data) >= _VECTOR_BYTES
        keyed = hasher.keyed_runs(words.data, lengths, sorted(heads), grouped)
        if heads:
            located = keyed.where
            words.heads = (heads, keyed.heads, located[:, :2].tolist(), located[:, 2])
        return keyed.words, keyed.runs
    if not heads or len(words.data) >= _VECTOR_BYTES:
        keyed = hasher.keyed(words.data)
        return keyed, combine_many(keyed, lengths)[0]
    pieces, where, sizes = _head_pieces(words, heads)
    if not pieces:
        words.heads = (heads, np.empty(0, dtype=np.uint64), [], np.empty(0, dtype=np.int64))
        keyed = hasher.keyed(words.data)
        return keyed, combine_many(keyed, lengths)[0]
    keyed = hasher.keyed(words.data + b" " + b" ".join(pieces))
    count = len(keyed) - len(pieces)
    runs, mixed = combine_many(keyed[:count], lengths, keyed[count:])
    words.heads = (heads, mixed, where, np.array(sizes, dtype=np.int64))
    return keyed[:count], runs


def _head_pieces(
    words: Words, lengths: frozenset[int]
) -> tuple[list[bytes], list[tuple[int, int]], list[int]]:
    """The name heads of a short text: each piece, where it is (word, syllables; negative:
    some taken from the next word) and how many syllables it has."""
    if not _may_hold_hangul(words.data):
        return [], [], []
    tokens = words.tokens()
    ordered = sorted(lengths)
    pieces: list[bytes] = []
    where: list[tuple[int, int]] = []
    sizes: list[int] = []
    last = len(tokens) - 1
    for index, token in enumerate(tokens):
        size = len(token)
        if not 0xEA <= token[0] <= 0xED or size % 3:
            continue
        size //= 3
        for n in ordered:
            if n < size <= n + 2:
                pieces.append(token[: 3 * n])
                where.append((index, n))
                sizes.append(n)
        if size <= 2 and index < last:
            after = tokens[index + 1]
            if 0xEA <= after[0] <= 0xED and not len(after) % 3:
                for n in ordered:
                    if size < n <= size + len(after) // 3:
                        pieces.append(token + after[: 3 * (n - size)])
                        where.append((index, size - n))
                        sizes.append(n)
    return pieces, where, sizes
