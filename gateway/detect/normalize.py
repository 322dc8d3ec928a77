"""Undoing the disguises people use to slip identifiers past a scanner.

Before matching, the scanner sees a *normalized* view of the text:

- zero-width and bidi control characters (and soft hyphens) are removed;
- full-width and other compatibility forms are folded by NFKC (``９００１０１－…``
  becomes ``900101-…``, ``①`` becomes ``1``); the many Unicode dashes become ``-``;
- a run of eight or more single digits separated by single spaces or middle
  dots (``9 0 0 1 0 1 1 2 …``) is closed up.

Offsets found in the view are mapped back to the original text, so a redaction
edits exactly the original characters, disguise included. Plain text — the
usual case — has nothing to undo and costs one regex search.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

__all__ = ["NormalizedText", "normalize_for_scan"]

_INVISIBLE = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_FOLDABLE = (
    "\u2010-\u2015\u2212\ufe58\ufe63"  # dashes and minus signs
    "\u3000\uff01-\uff5e"  # ideographic space, full-width ASCII
    "\u2460-\u24ff"  # circled and parenthesized digits and letters
    "\U0001d7ce-\U0001d7ff"  # mathematical digits
)
_SUSPICIOUS = re.compile(f"[{_INVISIBLE}{_FOLDABLE}]")
_INVISIBLE_CHAR = re.compile(f"[{_INVISIBLE}]")
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63]")
# Eight or more digits, each separated from the next by exactly one space or dot-like mark.
_SPACED_DIGITS = re.compile(r"(?<![\d.·])\d(?:[ ·•]\d){7,}(?![\d])")
# A cheap first look: the full pattern's look-behind is tried at every position.
_SPACED_PROBE = re.compile(r"\d[ ·•]\d[ ·•]\d[ ·•]\d")


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """The view the recognizers scan, and the way back to the original."""

    text: str
    # Breakpoints (view offset, original offset): from each view offset on, the two
    # advance together until the next breakpoint. Empty when nothing changed.
    _view_starts: tuple[int, ...] = ()
    _origins: tuple[int, ...] = ()

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
    if _SUSPICIOUS.search(text) is None and (
        _SPACED_PROBE.search(text) is None or _SPACED_DIGITS.search(text) is None
    ):
        return NormalizedText(text)
    return _apply(text, _disguises(text))


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
    # Spaced digits are found on the text with the single-character edits applied, so
    # that ``９ ０ ０ …`` is both folded and closed up.
    folded_view = _apply(text, edits)
    if _SPACED_PROBE.search(folded_view.text) is None:
        return edits
    spaced = list(_SPACED_DIGITS.finditer(folded_view.text))
    if not spaced:
        return edits
    for match in spaced:
        start, end = folded_view.original_span(match.start(), match.end())
        digits = [
            (folded_view.original_span(i, i + 1)[0] - start, match.string[i])
            for i in range(match.start(), match.end())
            if match.string[i].isdigit()
        ]
        edits = [e for e in edits if e[1] <= start or e[0] >= end]
        edits.append((start, end, digits))
    edits.sort(key=lambda edit: edit[0])
    return edits


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
