"""The joined view: values cut at a boundary between places, read as one text.

An insider can split a value across two messages, two content parts, a name and a
text, two tool calls' arguments, or two lines (``900101`` here, ``1234568`` there).
Each place alone holds no identifier, so the engine also reads, for every plausible
boundary, the last ``WIDTH`` characters before it and the first ``WIDTH`` after it,
joined without a separator and with the separators a writer would have put there
(``JOINERS``). Only findings that cross a boundary are kept, so this view never
reports what the segments alone would not have let through, and never an identifier
that lies wholly inside one place.

A boundary is plausible when a value could continue across it: the characters on
both sides are value characters (letters, digits, ``-+=_/%@``), not the end of a
sentence, a colon or a bracket. In a JSON-shaped text (tool arguments) the edges are
its first and last values, so ``{"q": "900101"}`` then ``{"q": "1234568"}`` joins the
two values. Inside one text, a line break is a boundary only between two runs of
value characters long enough to be parts of a key or an identifier (``LINE_RUN``), and
is joined without a separator: a column of short numbers is not one value.

Cost: windows that meet are merged, so the view holds at most ``2 * WIDTH`` characters
per boundary and never more than the texts themselves per joiner; a request whose
boundaries are all sentence ends or brackets adds no scan at all.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

__all__ = ["JOINERS", "LINE_RUN", "WIDTH", "Fragment", "JoinedView", "joined_view"]

#: characters read on each side of a boundary: the longest identifier or key with room
WIDTH = 72
#: what a writer puts between the parts of a value cut at a boundary between places
JOINERS: tuple[str, ...] = ("", "-", " ")
#: a line break inside one text joins two runs of value characters at least this long
LINE_RUN = 4

_VALUE_PUNCTUATION = frozenset("-+=_/%@")
# the key and opening quote of a JSON text's first value, its closing quote and brackets
_JSON_HEAD = re.compile(r'\s*[\[{]\s*(?:"[^"\\]{0,64}"\s*:\s*)?"?')
_JSON_TAIL = re.compile(r'"?\s*[\]}]+\s*$')
_RUN_BEFORE = re.compile(rf"[\w+=/%-]{{{LINE_RUN}}}")
_RUN_AFTER = _RUN_BEFORE
_BLANK = " \t\r"


def _value_char(char: str) -> bool:
    return char.isalnum() or char in _VALUE_PUNCTUATION


@dataclass(frozen=True, slots=True)
class Fragment:
    """``texts[segment][start:end]``, found at ``at`` in the joined text."""

    segment: int
    start: int
    end: int
    at: int


@dataclass(frozen=True, slots=True)
class _Piece:
    """A stretch of one text between boundaries (a text, or a line of it)."""

    segment: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class JoinedView:
    """The joined windows of every joiner, one text; fragments in text order."""

    text: str
    fragments: tuple[Fragment, ...]
    ats: tuple[int, ...]  # each fragment's ``at``, for bisection

    def parts(self, start: int, end: int) -> list[tuple[int, int, int]] | None:
        """``(segment, start, end)`` of a span's parts, one per text, or None.

        None when the span does not cross a boundary: it lies in one fragment (what the
        plain scan reads) or only touches a joiner.
        """
        index = bisect_right(self.ats, start) - 1
        touched: list[Fragment] = []
        for fragment in self.fragments[max(index, 0) :]:
            if fragment.at >= end:
                break
            if fragment.at + fragment.end - fragment.start > start:
                touched.append(fragment)
        if len(touched) < 2:
            return None
        parts: dict[int, tuple[int, int]] = {}
        for fragment in touched:
            low = fragment.start + max(start, fragment.at) - fragment.at
            high = (
                fragment.start
                + min(end, fragment.at + fragment.end - fragment.start)
                - (fragment.at)
            )
            if fragment.segment in parts:  # a line break inside one text
                first, _ = parts[fragment.segment]
                parts[fragment.segment] = (first, high)
            else:
                parts[fragment.segment] = (low, high)
        return [(segment, low, high) for segment, (low, high) in parts.items()]


def _edges(text: str) -> tuple[int, int]:
    """Where a text's first value starts and its last value ends (JSON punctuation off)."""
    head, tail = len(text) - len(text.lstrip()), len(text.rstrip())
    if text[head : head + 1] in ("{", "[") and text[tail - 1 : tail] in ("}", "]"):
        opening = _JSON_HEAD.match(text, head)
        closing = _JSON_TAIL.search(text, head, tail)
        if opening and closing and opening.end() <= closing.start():
            return opening.end(), closing.start()
    return head, tail


def _pieces(texts: Sequence[str]) -> list[tuple[_Piece, bool]]:
    """Every text, cut at its plausible line breaks; the flag: a line of the previous text."""
    pieces: list[tuple[_Piece, bool]] = []
    for segment, text in enumerate(texts):
        start, end = _edges(text)
        if start >= end:
            continue
        cursor = start
        newline = text.find("\n", start, end)
        while newline >= 0:
            left, right = newline, newline + 1
            while left > cursor and text[left - 1] in _BLANK:
                left -= 1
            while right < end and text[right] in _BLANK:
                right += 1
            if (
                left - LINE_RUN >= cursor
                and _RUN_BEFORE.fullmatch(text, left - LINE_RUN, left)
                and _RUN_AFTER.match(text, right, min(end, right + LINE_RUN))
            ):
                pieces.append((_Piece(segment, cursor, left), cursor != start))
                cursor = right
            newline = text.find("\n", right, end)
        pieces.append((_Piece(segment, cursor, end), cursor != start))
    return pieces


def joined_view(texts: Sequence[str], separator: str, width: int = WIDTH) -> JoinedView | None:
    """The windows around every plausible boundary of ``texts``, or None when there is none.

    ``separator`` is what no pattern can cross; it stands between unrelated windows and
    between the copies made with each joiner.
    """
    pieces = _pieces(texts)
    # chains of (fragment start, fragment end, piece, joined to the previous across a text)
    chains: list[list[tuple[int, int, _Piece, bool]]] = []
    chain: list[tuple[int, int, _Piece, bool]] = []
    for (left, _), (right, is_line) in pairwise(pieces):
        left_text, right_text = texts[left.segment], texts[right.segment]
        if not (_value_char(left_text[left.end - 1]) and _value_char(right_text[right.start])):
            continue
        tail_start = max(left.start, left.end - width)
        if chain and chain[-1][2] == left and chain[-1][1] >= tail_start:
            start, _, piece, crossed = chain[-1]
            chain[-1] = (start, left.end, piece, crossed)
        else:
            if len(chain) > 1:
                chains.append(chain)
            chain = [(tail_start, left.end, left, False)]
        chain.append((right.start, min(right.end, right.start + width), right, not is_line))
    if len(chain) > 1:
        chains.append(chain)
    if not chains:
        return None
    out: list[str] = []
    fragments: list[Fragment] = []
    position = 0
    for joiner in JOINERS:
        for links in chains:
            if joiner and not any(crossed for *_, crossed in links):
                continue  # line breaks are only ever closed up
            if out:
                out.append(separator)
                position += len(separator)
            for number, (start, end, piece, crossed) in enumerate(links):
                if number and crossed and joiner:
                    out.append(joiner)
                    position += len(joiner)
                fragments.append(Fragment(piece.segment, start, end, position))
                out.append(texts[piece.segment][start:end])
                position += end - start
    return JoinedView("".join(out), tuple(fragments), tuple(f.at for f in fragments))
