"""Undoing the disguises people use to slip identifiers past a scanner.

Before matching, the scanner sees a *normalized* view of the text:

- zero-width and bidi control characters (and soft hyphens) are removed;
- full-width and other compatibility forms are folded by NFKC (``９００１０１－…``
  becomes ``900101-…``, ``①`` becomes ``1``); the many Unicode dashes become ``-``;
- escapes are decoded: URL percent escapes of printable ASCII (``%40`` → ``@``), JSON
  ``\\u002d`` escapes, and a ``+`` between digits or capitals in a URL query value (a
  space: ``?iban=NL55+BSSE+7583…``) unless the value holds an ``@``, where a ``+`` is far
  more likely an e-mail sub-address (``kim+tag@…``) pasted unencoded;
- defanged separators (``[.]``, ``(:)``) lose their brackets;
- obfuscated e-mail addresses (``kim at example dot com``, ``kim[at]example[dot]com``,
  ``kim @ example . com``) are written as ``kim@example.com``;
- a run of eight or more single digits separated by single spaces or middle
  dots (``9 0 0 1 0 1 1 2 …``) is closed up.

Offsets found in the view are mapped back to the original text, so a redaction
edits exactly the original characters, disguise included. Plain text — the
usual case — has nothing to undo and costs a few substring tests and regex searches.

``regroup_digits`` builds a second, separate view for digit groups split by dots or
spaces (``900101.1234568``, ``S731 D512 9``). It is kept apart because the same
rewrite would break what the dots mean elsewhere (IP addresses, decimals).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["NormalizedText", "normalize_for_scan", "regroup_digits"]

_INVISIBLE = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_FOLDABLE = (
    "\u2010-\u2015\u2212\ufe58\ufe63"  # dashes and minus signs
    "\u3000\uff01-\uff5e"  # ideographic space, full-width ASCII
    "\u2460-\u24ff"  # circled and parenthesized digits and letters
    "\U0001d7ce-\U0001d7ff"  # mathematical digits
)
_SUSPICIOUS = re.compile(f"[{_INVISIBLE}{_FOLDABLE}]")
# The fast path's two looks at plain text. Each starts with a character class, so the regex
# engine skips ahead in C; an alternation of the two would try every position (3x slower).
# _PROBE: a character that some disguise needs (escapes, brackets, "@", "+").
_PROBE = re.compile(f"[{_INVISIBLE}{_FOLDABLE}%\\\\\\[(<{{@+]")
# _SHAPED: a digit group followed by a separator, or a long base64-alphabet run (a blob of 24+
# characters has a capital or digit followed by 11 more unless it is nearly all lower case).
_SHAPED = re.compile(r"[0-9A-Z](?:[ .·•][0-9A-Z]|[A-Za-z0-9+/_-]{11})")
_INVISIBLE_CHAR = re.compile(f"[{_INVISIBLE}]")
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63]")
# Eight or more digits, each separated from the next by exactly one space or dot-like mark.
_SPACED_DIGITS = re.compile(r"(?<![\d.·])\d(?:[ ·•]\d){7,}(?![\d])")
# A cheap first look: the full pattern's look-behind is tried at every position.
_SPACED_PROBE = re.compile(r"\d[ ·•]\d[ ·•]\d[ ·•]\d")

_PERCENT = re.compile(r"%([2-7][0-9A-Fa-f])")
_JSON_ESCAPE = re.compile(r"(?<!\\)\\u([0-9A-Fa-f]{4})")
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


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """The view the recognizers scan, and the way back to the original."""

    text: str
    # Breakpoints (view offset, original offset): from each view offset on, the two
    # advance together until the next breakpoint. Empty when nothing changed.
    _view_starts: tuple[int, ...] = ()
    _origins: tuple[int, ...] = ()
    #: False when a cheap look ruled out digit groups and base64 blobs in the text.
    shaped: bool = True

    @property
    def changed(self) -> bool:
        return bool(self._view_starts)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of the view back to the original text."""
        if not self._view_starts:
            return start, end
        if end <= start:
            return self._origin(start), self._origin(start)
        return self._origin(start), self._origin(end - 1) + 1

    def _origin(self, position: int) -> int:
        index = bisect_right(self._view_starts, position) - 1
        if index < 0:
            return position
        return self._origins[index] + (position - self._view_starts[index])


def normalize_for_scan(text: str) -> NormalizedText:
    """The scan view of ``text``; the text itself when there is nothing to undo."""
    shaped = _SHAPED.search(text) is not None
    if (
        _PROBE.search(text) is None
        and " dot " not in text
        and " DOT " not in text
        and (not shaped or _SPACED_PROBE.search(text) is None)
    ):
        return NormalizedText(text, shaped=shaped)
    edits = _disguises(text)
    if not edits:
        return NormalizedText(text, shaped=shaped)
    return _apply(text, edits)


_ESCAPE_HINTS = ("%", "\\u", "[.]", "(.)", "[:]", "(:)")
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


Edit = tuple[int, int, list[tuple[int, str]]]


def _disguises(text: str) -> list[Edit]:
    """Non-overlapping (start, end, [(source offset, replacement)]) edits, in order."""
    edits: list[Edit] = []
    for match in _SUSPICIOUS.finditer(text):
        char = match.group()
        if _INVISIBLE_CHAR.match(char):
            folded = ""
        elif _DASHES.match(char):
            folded = "-"
        else:
            folded = unicodedata.normalize("NFKC", char)
        # Each folded character maps back to its source, even when NFKC expands it.
        edits.append((match.start(), match.end(), [(0, part) for part in folded]))
    if _may_have_escapes(text):
        edits = _merge(edits, list(_escapes(text)))
    # The span rewrites below are found on the text with the edits so far applied, so
    # that ``９ ０ ０ …`` is both folded and closed up and ``kim%40example . com`` is
    # both decoded and joined.
    folded_view = _apply(text, edits)
    rewrites = [*_emails(folded_view), *_spaced_digits(folded_view)]
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
    if "\\u" in text:
        for match in _JSON_ESCAPE.finditer(text):
            char = chr(int(match.group(1), 16))
            if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF:
                yield match.start(), match.end(), [(0, char)]
    if "+" in text and "=" in text:
        for query in _QUERY_VALUE.finditer(text):
            if "@" in query.group(1) or "%40" in query.group(1):
                continue
            for match in _DIGIT_PLUS.finditer(text, query.start(1), query.end(1)):
                yield match.start(), match.end(), [(0, " ")]
    if "[" in text or "(" in text:
        for match in _DEFANGED.finditer(text):
            yield match.start(), match.end(), [(1, match.group(1))]


def _merge(edits: list[Edit], more: list[Edit]) -> list[Edit]:
    """Both lists' edits in order; an edit overlapping an earlier one is dropped."""
    merged: list[Edit] = []
    for edit in sorted([*edits, *more], key=lambda e: (e[0], -e[1])):
        if merged and edit[0] < merged[-1][1]:
            continue
        merged.append(edit)
    return merged


def _rewrite(view: NormalizedText, start: int, end: int, parts: list[tuple[int, str]]) -> Edit:
    """An edit of the original replacing view[start:end] by parts (view offset, char)."""
    origin_start, origin_end = view.original_span(start, end)
    return (
        origin_start,
        origin_end,
        [(view.original_span(i, i + 1)[0] - origin_start, char) for i, char in parts],
    )


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
            yield _rewrite(view, match.start(), match.end(), parts)


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
        yield _rewrite(view, match.start(), match.end(), digits)


def _apply(text: str, edits: list[Edit]) -> NormalizedText:
    pieces: list[str] = []
    view_starts: list[int] = []
    origins: list[int] = []
    view_len = 0
    cursor = 0
    for start, end, replacement in edits:
        if start > cursor:
            view_starts.append(view_len)
            origins.append(cursor)
            pieces.append(text[cursor:start])
            view_len += start - cursor
        for offset, char in replacement:
            view_starts.append(view_len)
            origins.append(start + offset)
            pieces.append(char)
            view_len += len(char)
        cursor = end
    if cursor < len(text):
        view_starts.append(view_len)
        origins.append(cursor)
        pieces.append(text[cursor:])
    return NormalizedText("".join(pieces), tuple(view_starts), tuple(origins))


# --- digit groups -----------------------------------------------------------------------

# Two to eight groups of digits (and capitals: IBAN, passport) split by one kind of
# separator, a dot or a single space, standing alone.
_GROUPED = re.compile(
    r"(?<![0-9A-Za-z_.,@/:+\-])[0-9A-Z]{1,7}(?P<sep>[. ])[0-9A-Z]{1,7}"
    r"(?:(?P=sep)[0-9A-Z]{1,7}){0,6}"
    r"(?![0-9A-Za-z_@]|[.,\-/:+][0-9A-Za-z])"
)
_GROUPED_PROBE = re.compile(r"[0-9][. ][0-9A-Z]{2}")
_IPV4_LIKE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


def regroup_digits(
    view: NormalizedText,
) -> tuple[NormalizedText, tuple[tuple[int, int], ...]] | None:
    """A view of ``text`` with dot/space-separated digit groups rewritten, or None.

    Digit-only groups are joined with hyphens (``900101.1234568`` → ``900101-1234568``),
    the shape the recognizers expect; groups holding letters are closed up (``S731 D512 9``
    → ``S731D5129``, ``GB28.RUQP.1504…`` → ``GB28RUQP1504…``). Only runs with at least nine
    digits (eight plus a letter) are touched: dates, versions and IPv4 addresses are not.
    Returns the view over ``view.text`` and the rewritten runs' spans in ``view.text``.
    """
    text = view.text
    if not view.shaped or _GROUPED_PROBE.search(text) is None:
        return None
    edits: list[Edit] = []
    runs: list[tuple[int, int]] = []
    for match in _GROUPED.finditer(text):
        run = match.group()
        digits = sum(char.isdigit() for char in run)
        letters = len(run) - digits - run.count(match.group("sep"))
        if digits + letters < 9 or _IPV4_LIKE.fullmatch(run) or not run[-1].isdigit():
            continue
        if letters and not (run[0].isalpha() and digits >= 7 and letters <= digits // 2):
            continue
        joiner = "" if letters else "-"
        parts = [
            (i, char if char.isalnum() else joiner)
            for i, char in enumerate(run)
            if char.isalnum() or joiner
        ]
        edits.append((match.start(), match.end(), parts))
        runs.append(match.span())
    if not edits:
        return None
    return _apply(text, edits), tuple(runs)
