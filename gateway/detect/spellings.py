"""Other ways of writing a digit: Unicode digit characters and digits written as words.

Two tables, both built from data rather than from examples:

- ``DIGIT_CHARS``: every character Unicode gives a digit value (``unicodedata.digit``): the
  decimal digits of every script (category Nd: Arabic-Indic ``٩``, Devanagari ``९``, Thai
  ``๙``, full-width ``９``, mathematical ``𝟗`` …) plus superscript, subscript, circled and
  parenthesized digits (``⁹``, ``₉``, ``⑨``, ``⑼``, ``❾``). Each becomes its ASCII digit.
  Unicode spaces (category Zs, and the line and paragraph separators) become ``" "``.
- ``NUMBER_WORDS``: digits written as words, in Sino-Korean (공/영/일/이 …), native Korean
  (하나/둘/셋 …), Hanja (〇/零/一/二 …, and the financial 壹/貳/參 …) and English (zero/oh/one …).

Number words are common words ("이" is a particle, "one" a pronoun), so they become digits
only in a *run* of at least ``MIN_WORDS`` of them with nothing but spaces, commas, dots or
hyphens between: the shape of an identifier read aloud (``구공공일공일 일이삼사오육팔``,
``nine zero zero one zero one …``), which prose does not have. A run then stands for a digit
string that only a recognizer's pattern (with its checksum, date or prefix checks) can turn
into a finding; "하나 둘 셋" stays prose.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable

from gateway.detect.offsets import Edit, NormalizedText, rewrite

__all__ = [
    "ASTRAL_DIGITS",
    "DIGIT_CHARS",
    "MIN_WORDS",
    "NUMBER_WORDS",
    "SPACE_CHARS",
    "fold_char",
    "lower",
    "may_hold_number_words",
    "number_word_runs",
]


def _ranges(codes: Iterable[int]) -> str:
    """A regex character-class body for ``codes`` (sorted), as ranges."""
    out: list[str] = []
    run: list[int] = []
    for code in codes:
        if run and code == run[-1] + 1:
            run.append(code)
            continue
        if run:
            out.append(_range(run[0], run[-1]))
        run = [code]
    if run:
        out.append(_range(run[0], run[-1]))
    return "".join(out)


def _range(first: int, last: int) -> str:
    return re.escape(chr(first)) + ("" if first == last else "-" + re.escape(chr(last)))


# Every digit character lies below U+20000 (the last are the segmented digits U+1FBF0-9);
# scanning that far costs ~30 ms once at import, and follows each Unicode upgrade for free.
_DIGIT_CODES = [
    code
    for code in range(min(sys.maxunicode, 0x1FFFF) + 1)
    if not 0x30 <= code <= 0x39 and unicodedata.digit(chr(code), None) is not None
]
#: Character-class body: every non-ASCII character with a digit value in the BMP. Kept apart
#: from the few above it (mathematical, Osmanya, … digits) because a class of BMP characters
#: alone compiles to one bitmap lookup per character; each range above the BMP would add a
#: comparison for every character of every text.
DIGIT_CHARS = _ranges(code for code in _DIGIT_CODES if code <= 0xFFFF)
#: The digit characters above the BMP (for an exact test once any such character is seen).
ASTRAL_DIGITS = frozenset(chr(code) for code in _DIGIT_CODES if code > 0xFFFF)
#: Character-class body: Unicode spaces other than " " (NBSP, thin, ideographic …, U+2028/9).
SPACE_CHARS = _ranges(
    sorted(
        code
        for code in range(0x3001)
        if code != 0x20 and unicodedata.category(chr(code)) in ("Zs", "Zl", "Zp")
    )
)
_SPACE = re.compile(f"[{SPACE_CHARS}]")


def fold_char(char: str) -> str | None:
    """The ASCII digit or space ``char`` stands for, None if it is neither."""
    digit = unicodedata.digit(char, None)
    if digit is not None:
        return str(digit)
    return " " if _SPACE.match(char) else None


#: Digit words of each language, by the digit they spell.
NUMBER_WORDS: dict[str, tuple[str, ...]] = {
    "0": ("공", "영", "〇", "零", "zero", "oh"),
    "1": ("일", "하나", "一", "壹", "壱", "one"),
    "2": ("이", "둘", "二", "貳", "贰", "弐", "two"),
    "3": ("삼", "셋", "三", "參", "叁", "参", "three"),
    "4": ("사", "넷", "四", "肆", "four"),
    "5": ("오", "다섯", "五", "伍", "five"),
    "6": ("육", "륙", "여섯", "六", "陸", "陆", "six"),
    "7": ("칠", "일곱", "七", "柒", "seven"),
    "8": ("팔", "여덟", "八", "捌", "eight"),
    "9": ("구", "아홉", "九", "玖", "nine"),
}
_DIGIT_OF = {word: digit for digit, words in NUMBER_WORDS.items() for word in words}
#: Fewer words than this are prose ("하나 둘 셋", "one or two"); more, an identifier read out.
MIN_WORDS = 6

# One token: a number word, longest first (일곱 is not 일 + 곱). English words are matched on
# lower-cased text.
_WORD = "|".join(sorted(_DIGIT_OF, key=lambda word: (-len(word), word)))
# Between tokens: up to three spaces, tabs, commas, dots or hyphens; never a line break.
_GAP_CHARS = " \t,.·-"  # the hyphen last: literal in a class
_GAP = rf"[{_GAP_CHARS}]{{0,3}}"
# A run starts where no Latin letter precedes it ("someone" holds no "one"). A syllable may
# precede it: Korean glues a value to the word before (``번호는구공공…``), and six digit
# syllables in a row do not occur inside ordinary words. Every repetition consumes a word,
# drawn from characters disjoint from the gap's, so a match is linear in its length.
_RUN = re.compile(rf"(?<![A-Za-z])(?:{_WORD})(?:{_GAP}(?:{_WORD})){{{MIN_WORDS - 1},}}")
_EACH = re.compile(rf"({_WORD})({_GAP})")

# Cheap first looks, so that the run pattern (an alternation tried at every position) only
# runs where a run may be.
# English: a stretch of 17 or more characters drawn only from the letters of the digit words
# and the gap ("oh oh oh oh oh oh" is the shortest run); 'a', 'l', 'd', 'c', 'm', 'y', 'p' …
# cut prose short. Found with two C-speed passes: the text encoded to one byte per character
# (anything else becomes "?") and translated to "s" (may be in a run) or "x" (may not), then
# searched for "s" * 17.
_ENGLISH_LETTERS = {char for word in _DIGIT_OF if word.isascii() for char in word}
_IN_RUN_BYTE = bytes(
    ord("s") if chr(code).lower() in _ENGLISH_LETTERS or chr(code) in _GAP_CHARS else ord("x")
    for code in range(256)
)
_ENGLISH_STRETCH = b"s" * 17
# Korean and Hanja: six syllables of digit words with gaps between; one character class, so
# the regex engine skips ahead in C. Only looked for in text that is not pure ASCII.
_CJK_CHARS = "".join(sorted({char for word in _DIGIT_OF if not word.isascii() for char in word}))
_CJK_CANDIDATE = re.compile(rf"[{_CJK_CHARS}][{_CJK_CHARS}{_GAP_CHARS}]{{5,}}")
_ENGLISH_TAIL = re.compile("[a-z]")
_PAUSE = re.compile("[,.·]")
_SYLLABLE = re.compile("[가-힣]")


def number_word_runs(view: NormalizedText) -> Iterable[Edit]:
    """Runs of number words in ``view.text`` as digit edits.

    A whitespace gap between two words is closed up when the run spells one digit per word
    (``nine zero zero …``, ``구 공 공 …``), and kept as a group break when the run glues
    syllables into groups (``구공공일공일 일이삼사오육팔`` → ``900101 1234568``). A hyphen
    always stays (``… 일 - 일이삼 …`` → ``…1-123…``), and so does a comma or dot among
    spaces (``five seven zero, six one, …`` → ``570-61-…``).
    """
    candidates = _candidates(view.text)
    if not candidates:
        return
    lowered = lower(view.text)
    for match in _runs(lowered, candidates):
        tokens = _tokens(lowered, match.start(), match.end())
        # English words must end at a word boundary: "sixteen" is not 6 + "teen".
        while (
            tokens
            and _ENGLISH_TAIL.match(lowered, tokens[-1][1] - 1)
            and _letter_at(lowered, tokens[-1][1])
        ):
            tokens.pop()
        # 이 right before a syllable is the copula (…팔이고, …팔이에요), not a 2.
        if (
            tokens
            and lowered[tokens[-1][0] : tokens[-1][1]] == "이"
            and _syllable_at(lowered, tokens[-1][1])
        ):
            tokens.pop()
        if len(tokens) < MIN_WORDS:
            continue
        yield rewrite(view, tokens[0][0], tokens[-1][1], _digits(lowered, tokens))


def may_hold_number_words(text: str, ascii_copy: bytes | None = None) -> bool:
    """False when a cheap look rules out any run of number words in ``text``.

    ``ascii_copy``: ``text.encode("ascii", "replace")``, when the caller has it already.
    """
    if next(iter(_english_candidates(text, ascii_copy)), None) is not None:
        return True
    return not text.isascii() and _CJK_CANDIDATE.search(text) is not None


def lower(text: str) -> str:
    """``text`` in lower case, the same length (İ is the one letter whose lower case grows)."""
    return (text.replace("\u0130", "i") if "\u0130" in text else text).lower()


def _candidates(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that a cheap look says may hold a run, in order."""
    candidates = list(_english_candidates(text))
    if not text.isascii():
        candidates += [found.span() for found in _CJK_CANDIDATE.finditer(text)]
        candidates.sort()
    return candidates


def _runs(text: str, candidates: list[tuple[int, int]]) -> Iterable[re.Match[str]]:
    """The runs of number words in the ``candidates`` spans of ``text`` (lower case)."""
    searched = 0
    for start, end in candidates:
        start = max(start, searched)
        if end > start:
            yield from _RUN.finditer(text, start, end)
            searched = end


def _english_candidates(text: str, ascii_copy: bytes | None = None) -> Iterable[tuple[int, int]]:
    """Spans of ``text`` that may hold a run of English digit words."""
    if ascii_copy is None:
        ascii_copy = text.encode("ascii", "replace")  # one byte per character
    marks = ascii_copy.translate(_IN_RUN_BYTE)
    at = marks.find(_ENGLISH_STRETCH)
    while at != -1:
        end = marks.find(b"x", at)
        end = len(marks) if end == -1 else end
        yield at, end
        at = marks.find(_ENGLISH_STRETCH, end)


def _tokens(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """(start, end, gap after) of each token of a run."""
    return [
        (found.start(1), found.end(1), found.group(2)) for found in _EACH.finditer(text, start, end)
    ]


def _letter_at(text: str, position: int) -> bool:
    """A Latin letter at ``position``: an English word runs on (a particle may follow)."""
    return _ENGLISH_TAIL.match(text, position) is not None


def _syllable_at(text: str, position: int) -> bool:
    return position < len(text) and _SYLLABLE.match(text, position) is not None


def _digits(text: str, tokens: list[tuple[int, int, str]]) -> list[tuple[int, str]]:
    """(view offset, char) of the run's digits and the group breaks kept between them."""
    gaps = [gap for _, _, gap in tokens[:-1]]
    glued = "" in gaps
    # In words read one by one, a comma or dot is a pause between groups (``five seven
    # zero, six one, …``), unless every word has one (a list: ``nine, zero, zero, …``).
    pauses = not glued and not all(_PAUSE.search(gap) for gap in gaps)
    parts: list[tuple[int, str]] = []
    for index, (start, end, gap) in enumerate(tokens):
        word = text[start:end]
        parts.append((start, _DIGIT_OF[word]))
        if index == len(tokens) - 1 or not gap:
            continue
        if "-" in gap or (pauses and _PAUSE.search(gap)):
            parts.append((end, "-"))
        elif glued:
            parts.append((end, " "))
    return parts
