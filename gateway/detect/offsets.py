"""A rewritten view of a text and the way back: the offset map every normalization step shares.

Each step of ``normalize`` describes what it undoes as *edits* of the original text:
``(start, end, parts)`` replaces ``text[start:end]`` by the characters of ``parts``, each
``(offset, char)`` saying which source character (``start + offset``) it stands for. One
``apply`` turns the edits into a ``NormalizedText``, whose breakpoints map any span of the
view back to the original characters it came from, the whole disguise included: a digit
spelled ``%39`` or ``nine`` maps back to all three or four characters, so a redaction of
the finding leaves nothing of the value behind.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

__all__ = ["Edit", "NormalizedText", "apply_edits", "merge_edits", "rewrite"]

#: (start, end, [(source offset from start, replacement)]): replaces text[start:end].
Edit = tuple[int, int, list[tuple[int, str]]]

# A breakpoint whose characters are copied one for one from the original.
_COPIED = -1


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """The view the recognizers scan, and the way back to the original."""

    text: str
    # Breakpoints: from view offset _view_starts[i], the view holds either a copy of the
    # original from _origins[i] on (_ends[i] == _COPIED), or one replacement standing for
    # original[_origins[i]:_ends[i]]. Empty when nothing changed.
    _view_starts: tuple[int, ...] = ()
    _origins: tuple[int, ...] = ()
    _ends: tuple[int, ...] = ()
    #: False when a cheap look ruled out digit groups and base64 blobs in the text.
    shaped: bool = True

    @property
    def changed(self) -> bool:
        return bool(self._view_starts)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of the view back to the original text.

        The span grows to whole source pieces: a view character decoded from ``%39`` maps
        back to all of ``%39``, at either end of the span.
        """
        if not self._view_starts:
            return start, end
        if end <= start:
            origin = self._locate(start)[0]
            return origin, origin
        return self._locate(start)[0], self._locate(end - 1)[1]

    def _locate(self, position: int) -> tuple[int, int]:
        """The original span of the view character at ``position``."""
        index = bisect_right(self._view_starts, position) - 1
        if index < 0:
            return position, position + 1
        end = self._ends[index]
        if end == _COPIED:
            origin = self._origins[index] + (position - self._view_starts[index])
            return origin, origin + 1
        return self._origins[index], end


def apply_edits(text: str, edits: list[Edit], shaped: bool = True) -> NormalizedText:
    """The view of ``text`` with ``edits`` (sorted, non-overlapping) applied."""
    pieces: list[str] = []
    view_starts: list[int] = []
    origins: list[int] = []
    ends: list[int] = []
    view_len = 0
    cursor = 0
    for start, end, replacement in edits:
        if start > cursor:
            view_starts.append(view_len)
            origins.append(cursor)
            ends.append(_COPIED)
            pieces.append(text[cursor:start])
            view_len += start - cursor
        for index, (offset, char) in enumerate(replacement):
            # A part stands for the source up to the next part's source (or the edit's end).
            following = replacement[index + 1][0] if index + 1 < len(replacement) else end - start
            view_starts.append(view_len)
            origins.append(start + offset)
            ends.append(start + max(following, offset + 1))
            pieces.append(char)
            view_len += len(char)
        cursor = end
    if cursor < len(text):
        view_starts.append(view_len)
        origins.append(cursor)
        ends.append(_COPIED)
        pieces.append(text[cursor:])
    if edits and not view_starts:
        # Everything was removed (a text of zero-width characters): still a changed view.
        view_starts.append(0)
        origins.append(0)
        ends.append(len(text))
    return NormalizedText(
        "".join(pieces), tuple(view_starts), tuple(origins), tuple(ends), shaped=shaped
    )


def merge_edits(edits: list[Edit], more: list[Edit]) -> list[Edit]:
    """Both lists' edits in order; an edit overlapping an earlier one is dropped."""
    merged: list[Edit] = []
    for edit in sorted([*edits, *more], key=lambda e: (e[0], -e[1])):
        if merged and edit[0] < merged[-1][1]:
            continue
        merged.append(edit)
    return merged


def rewrite(view: NormalizedText, start: int, end: int, parts: list[tuple[int, str]]) -> Edit:
    """An edit of the original replacing view[start:end] by parts (view offset, char).

    Lets a step find its spans on the view the earlier steps made (``９ ０ ０`` folded before
    it is closed up) and still describe its edit in original offsets.
    """
    origin_start, origin_end = view.original_span(start, end)
    return (
        origin_start,
        origin_end,
        [(view.original_span(i, i + 1)[0] - origin_start, char) for i, char in parts],
    )
