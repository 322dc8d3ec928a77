"""Undoing the disguises people use to slip identifiers past a scanner.

Before matching, the scanner sees a *normalized* view of the text:

- zero-width and bidi control characters (and soft hyphens) are removed;
- every digit character is written as its ASCII digit: the decimal digits of every script
  (``٩٠٠١٠١``, ``९००१०१``), full-width, mathematical, superscript, subscript and circled
  digits (``spellings.DIGIT_CHARS``, from Unicode's own digit values); Unicode spaces
  (no-break, thin, ideographic …, line and paragraph separators) become ``" "``; other
  full-width and compatibility forms are folded by NFKC (``－`` becomes ``-``), and the many
  Unicode dashes become ``-``;
- escapes are decoded: URL percent escapes of printable ASCII (``%40`` → ``@``), also when
  encoded twice (``%2539`` → ``9``), and of UTF-8 (``%EC%A3%BC`` → ``주``); JSON
  ``\\u002d`` and C ``\\x39`` escapes; HTML character references (``&#57;``, ``&#x39;``);
  and a ``+`` between digits or capitals in a URL query value (a space:
  ``?iban=NL55+BSSE+7583…``) unless the value holds an ``@``, where a ``+`` is far more
  likely an e-mail sub-address (``kim+tag@…``) pasted unencoded;
- defanged separators (``[.]``, ``(:)``) lose their brackets;
- obfuscated e-mail addresses (``kim at example dot com``, ``kim[at]example[dot]com``,
  ``kim @ example . com``) are written as ``kim@example.com``;
- digits written as words, in runs long enough to be an identifier read out
  (``구공공일공일 일이삼사오육팔``, ``nine zero zero one …``, ``九〇〇一〇一``), become digits
  (``spellings.number_word_runs``);
- a run of eight or more single digits separated by single spaces or middle
  dots (``9 0 0 1 0 1 1 2 …``) is closed up.

Offsets found in the view are mapped back to the original text (``offsets``), so a
redaction edits exactly the original characters, disguise included. Plain text — the
usual case — has nothing to undo and costs a few substring tests and regex searches.

``regroup.regroup_digits`` builds a second, separate view for digit groups split by dots,
spaces, tabs, line breaks or mixed separators (``900101.1234568``, ``900101 - 1234568``).
It is kept apart because the same rewrite would break what the dots mean elsewhere (IP
addresses, decimals).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace

from gateway.detect.gates import ascii_bytes
from gateway.detect.offsets import Edit, NormalizedText, apply_edits, merge_edits, rewrite
from gateway.detect.regroup import regroup_digits
from gateway.detect.spellings import (
    ASTRAL_DIGITS,
    DIGIT_CHARS,
    SPACE_CHARS,
    fold_char,
    may_hold_number_words,
    number_word_runs,
)

__all__ = ["NormalizedText", "normalize_for_scan", "regroup_digits"]

_INVISIBLE = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_FOLDABLE = (
    "\u2010-\u2015\u2212\ufe58\ufe63"  # dashes and minus signs
    "\u3000\uff01-\uff5e"  # ideographic space, full-width ASCII
    "\u2460-\u24ff"  # circled and parenthesized digits and letters
    + DIGIT_CHARS  # every other digit character in the BMP
    + SPACE_CHARS  # no-break and other Unicode spaces
)
# Characters above the BMP (mathematical digits, but also emoji) are looked for apart and
# checked against ASTRAL_DIGITS one by one: a class holding any of them is compiled to a list
# of ranges tried one after another for each character, a class of BMP characters alone to
# one bitmap lookup.
_SUSPICIOUS = re.compile(f"[{_INVISIBLE}{_FOLDABLE}]")
_ASTRAL_PROBE = re.compile("[\U00010000-\U0010ffff]")
# The fast path's two looks at plain text. Each starts with a character class, so the regex
# engine skips ahead in C; an alternation of the two would try every position (3x slower).
# _PROBE: a character that some disguise needs (escapes, brackets, "@", "+").
_PROBE = re.compile(f"[{_INVISIBLE}{_FOLDABLE}%\\\\\\[(<{{@+]")
# _PROBE or a character above the BMP, in one pass: for text beyond ASCII, one search
# instead of two (32 KB of mixed Korean and English: ~75 µs instead of ~110 µs). ASCII text
# has no character above the BMP, and is probed by substring tests instead.
_PROBE_OR_ASTRAL = re.compile(f"[{_INVISIBLE}{_FOLDABLE}%\\\\\\[(<{{@+\U00010000-\U0010ffff]")
# _SHAPED: a digit group followed by a separator (spaces and tabs around it included), or a
# long base64-alphabet run (a blob of 16+ characters has a capital or digit followed by 11
# more unless it is nearly all lower case).
_SHAPED = re.compile(
    r"[0-9A-Z](?:[ .·•\t\n][0-9A-Z]|[ \t]{1,3}[-.·\n]?[ \t]{0,3}[0-9A-Z]|[-.·][ \t]{1,3}[0-9A-Z]"
    r"|[A-Za-z0-9+/_-]{11})"
)
# The same pattern on a one-byte-per-character copy where a capital or a digit is "D", any
# other ASCII character itself and any character beyond ASCII "?" (text without "·" or "•",
# the two separators beyond ASCII): a search for the literal "D" runs at memory speed, where
# the class [0-9A-Z] is tested character by character (32 KB of mixed Korean and English:
# ~50 µs instead of ~145 µs).
_SHAPE_BYTE = bytes(
    ord("D") if chr(code) in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    else code if code in (9, 10) or 32 <= code < 127
    else ord("?")
    for code in range(256)
)  # fmt: skip
_SHAPED_MARKS = re.compile(
    rb"D(?:[ .\t\n]D|[ \t]{1,3}[-.\n]?[ \t]{0,3}D|[-.][ \t]{1,3}D|[Da-z+/_-]{11})"
)
_INVISIBLE_CHAR = re.compile(f"[{_INVISIBLE}]")
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63]")
# Eight or more digits, each separated from the next by exactly one space or dot-like mark.
_SPACED_DIGITS = re.compile(r"(?<![\d.·])\d(?:[ ·•]\d){7,}(?![\d])")
# A cheap first look: the full pattern's look-behind is tried at every position.
_SPACED_PROBE = re.compile(r"\d[ ·•]\d[ ·•]\d[ ·•]\d")
#: the ASCII characters of _PROBE: in ASCII text, eight substring tests (each a ``memchr``)
#: cost a fifth of the regex's pass over a 228-character answer (3 k instructions, not 14 k)
_ASCII_PROBE_CHARACTERS = tuple(chr(code) for code in range(128) if _PROBE.match(chr(code)))

# Printable ASCII, percent-encoded once or twice (``%39``, ``%2539``).
_PERCENT = re.compile(r"%(?:25)?([2-7][0-9A-Fa-f])")
# A character beyond ASCII, percent-encoded as UTF-8 (``%EC%A3%BC`` is 주): undecoded, it
# hides the context words around a value and leaves hex digits touching it.
_PERCENT_UTF8 = re.compile(r"%[C-Fc-f][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){1,3}")
_JSON_ESCAPE = re.compile(r"(?<!\\)\\u([0-9A-Fa-f]{4})")
_HEX_ESCAPE = re.compile(r"(?<!\\)\\x([2-7][0-9A-Fa-f])")
_HTML_REFERENCE = re.compile(r"&#(?:[xX]([0-9A-Fa-f]{1,6})|([0-9]{1,7}));")
_QUERY_VALUE = re.compile(r"[?&][\w.\-\[\]]{1,40}=([^\s&#\"'<>]+)")
# Lower-case letters stay joined: prose and e-mail tags (``c++``, ``kim+news``) use "+" too.
_DIGIT_PLUS = re.compile(r"(?<=[0-9A-Z])\+(?=[0-9A-Z])")
_DEFANGED = re.compile(r"[\[(]([.:])[\])]")

# Obfuscated e-mail: a local part, an "at" and two or more domain labels. The spelled-out
# form (" at ", " dot ") must spell out every dot, so "I'm at home. It is" is not an address.
_LOCAL = r"(?<![\w.+\-])(?P<local>[A-Za-z0-9](?:[\w.+\-]{0,63}[A-Za-z0-9_])?)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_TLD_END = r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9])"
_BRACKET_AT = r"\s*[\[({<]\s*(?:(?i:at)|@)\s*[\])}>]\s*"
_BRACKET_DOT = r"\s*[\[({<]\s*(?:(?i:dot)|\.)\s*[\])}>]\s*"
_SPELLED_DOT = r"\s+(?i:dot)\s+"
_EMAIL_FORMS = (
    # kim at example dot com / kim at example [dot] com
    re.compile(
        rf"{_LOCAL}(?P<at>\s+(?i:at)\s+)(?P<domain>{_LABEL}(?:(?:{_SPELLED_DOT}|{_BRACKET_DOT})"
        rf"{_LABEL})+){_TLD_END}"
    ),
    # kim[at]example[dot]com / kim(at)example.com
    re.compile(
        rf"{_LOCAL}(?P<at>{_BRACKET_AT})(?P<domain>{_LABEL}(?:(?:{_BRACKET_DOT}|{_SPELLED_DOT}|\.)"
        rf"{_LABEL})+){_TLD_END}"
    ),
    # kim @ example . com (a space on at least one side of the @)
    re.compile(rf"{_LOCAL}(?P<at>\s+@\s*|@\s+)(?P<domain>{_LABEL}(?:\s*\.\s*{_LABEL})+){_TLD_END}"),
)
_DOMAIN_SEPARATOR = re.compile(rf"{_BRACKET_DOT}|{_SPELLED_DOT}|\s*\.\s*")
# Spelled-out "at" in prose: "meet at the dot com party" is not an address.
_NOT_A_DOMAIN = frozenset(
    {"a", "an", "the", "this", "that", "my", "your", "our", "their", "his", "her", "its"}
)
# The domain must end in letters (a TLD), not in a number: "v1 at 2 dot 3" is not an address.
_LETTER_TLD = re.compile(r"[A-Za-z]{2,63}")


def normalize_for_scan(text: str) -> NormalizedText:
    """The scan view of ``text``; the text itself when there is nothing to undo."""
    # One byte per character, "?" beyond ASCII: the looks for ASCII words and marks below
    # read it (a bytes search is several times quicker than one in Korean text).
    ascii_copy = ascii_bytes(text)
    shaped = _is_shaped(text, ascii_copy)
    if (
        not _has_probe_character(text)
        # ``find``, not ``in``: ``bytes.__contains__`` first reads its needle as an integer
        # and raises and clears a TypeError each time (~1,300 instructions)
        and ascii_copy.find(b" dot ") == -1
        and ascii_copy.find(b" DOT ") == -1
        and ascii_copy.find(b"&#") == -1
        and (not shaped or _SPACED_PROBE.search(text) is None)
        and not may_hold_number_words(text, ascii_copy)
    ):
        return NormalizedText(text, shaped=shaped)
    edits = _disguises(text)
    if not edits:
        return NormalizedText(text, shaped=shaped)
    view = apply_edits(text, edits, shaped=shaped)
    if shaped or not _is_shaped(view.text):
        return view
    # Folding made digit groups where there were none (``٩٠٠١٠١ ١٢٣…``, number words).
    return replace(view, shaped=True)


def _has_probe_character(text: str) -> bool:
    """``_PROBE`` occurs in ``text``, or, beyond ASCII, a character above the BMP."""
    if text.isascii():
        # a loop, not ``any`` of a generator, which costs twice as much here
        for character in _ASCII_PROBE_CHARACTERS:  # noqa: SIM110
            if character in text:
                return True
        return False
    return _PROBE_OR_ASTRAL.search(text) is not None


def _is_shaped(text: str, ascii_copy: bytes | None = None) -> bool:
    """``_SHAPED.search(text) is not None``, on the byte copy when the text allows."""
    if "·" in text or "•" in text:
        return _SHAPED.search(text) is not None
    if ascii_copy is None:
        ascii_copy = text.encode("ascii", "replace")
    marks = ascii_copy.translate(_SHAPE_BYTE)
    return _SHAPED_MARKS.search(marks) is not None


_ESCAPE_HINTS = ("%", "\\u", "\\x", "&#", "[.]", "(.)", "[:]", "(:)")
_EMAIL_HINTS = ("@ ", " @", "[at]", "(at)", "[AT]", "(AT)", "[@]", "(@)", "{at}", "<at>")
_WORD_AT = (" at ", " AT ")
_WORD_DOT = (" dot ", " DOT ", "[dot]", "(dot)", "[DOT]", "(DOT)")


def _may_have_escapes(text: str) -> bool:
    """Substring tests only: they cost far less than a regex over the text."""
    for hint in _ESCAPE_HINTS:
        if hint in text:
            return True
    return "+" in text and "=" in text and "?" in text


def _may_have_email(text: str) -> bool:
    """Substring tests for the ways of writing "@" that the e-mail forms undo."""
    for hint in _EMAIL_HINTS:
        if hint in text:
            return True
    return any(at in text for at in _WORD_AT) and any(dot in text for dot in _WORD_DOT)


def _disguises(text: str) -> list[Edit]:
    """Non-overlapping (start, end, [(source offset, replacement)]) edits, in order."""
    edits: list[Edit] = []
    suspicious = list(_SUSPICIOUS.finditer(text))
    if not text.isascii() and _ASTRAL_PROBE.search(text) is not None:
        astral = (m for m in _ASTRAL_PROBE.finditer(text) if m.group() in ASTRAL_DIGITS)
        suspicious = sorted([*suspicious, *astral], key=lambda match: match.start())
    for match in suspicious:
        char = match.group()
        if _INVISIBLE_CHAR.match(char):
            folded = ""
        elif _DASHES.match(char):
            folded = "-"
        else:
            folded = fold_char(char) or unicodedata.normalize("NFKC", char)
        # Each folded character maps back to its source, even when NFKC expands it.
        edits.append((match.start(), match.end(), [(0, part) for part in folded]))
    if _may_have_escapes(text):
        edits = merge_edits(edits, list(_escapes(text)))
    # The span rewrites below are found on the text with the edits so far applied, so
    # that ``９ ０ ０ …`` is both folded and closed up and ``kim%40example . com`` is
    # both decoded and joined.
    folded_view = apply_edits(text, edits)
    rewrites = [
        *_emails(folded_view),
        *number_word_runs(folded_view),
        *_spaced_digits(folded_view),
    ]
    if not rewrites:
        return edits
    for start, end, parts in rewrites:
        edits = [e for e in edits if e[1] <= start or e[0] >= end]
        edits.append((start, end, parts))
    edits.sort(key=lambda edit: edit[0])
    return edits


def _escapes(text: str) -> Iterable[Edit]:
    """Percent and JSON escapes, URL-query pluses and defanged separators, decoded."""
    if "%" in text:
        for match in _PERCENT.finditer(text):
            char = chr(int(match.group(1), 16))
            if char.isprintable():
                yield match.start(), match.end(), [(0, char)]
        for match in _PERCENT_UTF8.finditer(text):
            try:
                char = bytes.fromhex(match.group().replace("%", "")).decode("utf-8")
            except UnicodeDecodeError:
                continue
            if char.isprintable():
                yield match.start(), match.end(), [(0, char)]
    if "\\u" in text:
        for match in _JSON_ESCAPE.finditer(text):
            char = chr(int(match.group(1), 16))
            if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF:
                yield match.start(), match.end(), [(0, char)]
    if "\\x" in text:
        for match in _HEX_ESCAPE.finditer(text):
            yield match.start(), match.end(), [(0, chr(int(match.group(1), 16)))]
    if "&#" in text:
        for match in _HTML_REFERENCE.finditer(text):
            code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF and chr(code).isprintable():
                yield match.start(), match.end(), [(0, chr(code))]
    if "+" in text and "=" in text:
        for query in _QUERY_VALUE.finditer(text):
            if "@" in query.group(1) or "%40" in query.group(1):
                continue
            for match in _DIGIT_PLUS.finditer(text, query.start(1), query.end(1)):
                yield match.start(), match.end(), [(0, " ")]
    if "[" in text or "(" in text:
        for match in _DEFANGED.finditer(text):
            yield match.start(), match.end(), [(1, match.group(1))]


def _emails(view: NormalizedText) -> Iterable[Edit]:
    """Obfuscated e-mail addresses, rewritten as plain ones."""
    text = view.text
    if not _may_have_email(text):
        return
    for pattern in _EMAIL_FORMS:
        for match in pattern.finditer(text):
            labels = list(_labels(match))
            if labels[0][1].lower() in _NOT_A_DOMAIN or not _LETTER_TLD.fullmatch(labels[-1][1]):
                continue
            local_start = match.start("local")
            parts = [(local_start + i, char) for i, char in enumerate(match.group("local"))]
            parts.append((match.start("at"), "@"))
            for index, (label_start, label) in enumerate(labels):
                if index:
                    parts.append((label_start - 1, "."))
                parts.extend((label_start + i, char) for i, char in enumerate(label))
            yield rewrite(view, match.start(), match.end(), parts)


def _labels(match: re.Match[str]) -> Iterable[tuple[int, str]]:
    """The (view offset, text) of each domain label of an obfuscated address."""
    domain, offset = match.group("domain"), match.start("domain")
    cursor = 0
    for separator in _DOMAIN_SEPARATOR.finditer(domain):
        yield offset + cursor, domain[cursor : separator.start()]
        cursor = separator.end()
    yield offset + cursor, domain[cursor:]


def _spaced_digits(view: NormalizedText) -> Iterable[Edit]:
    """Runs of single spaced digits, closed up."""
    text = view.text
    if _SPACED_PROBE.search(text) is None:
        return
    for match in _SPACED_DIGITS.finditer(text):
        digits = [(i, text[i]) for i in range(match.start(), match.end()) if text[i].isdigit()]
        yield rewrite(view, match.start(), match.end(), digits)
