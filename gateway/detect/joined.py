"""The joined view: values cut at a boundary between places, read as one text.

An insider can split a value across two messages, two content parts, a name and a
text, two tool calls' arguments, or two lines (``900101`` here, ``1234568`` there).
Each place alone holds no identifier, so the engine also reads, for every plausible
boundary, a window on each side of it, joined without a separator and with the
separator a writer would have put there (``JOINERS``: closed up, or a space between two
digit groups, which every recognizer of grouped digits reads as a group separator).
Only findings that cross a boundary are kept: this view never reports an identifier
that lies wholly inside one place (the plain scan's business).

A boundary is plausible when a value could continue across it: the characters on
both sides are value characters (letters, digits, ``-+=_/%@``), not the end of a
sentence, a colon or a bracket, and the runs of value characters meeting there hold a
digit (or an ``@``): words meeting words cut no identifier. In a JSON-shaped text (tool
arguments) the edges are its first and last values, so ``{"q": "900101"}`` then
``{"q": "1234568"}`` joins the
two values. Inside one text, a line break is a boundary only when one of its two lines
holds nothing but a short value part with a digit (``AKIAZ3MHQ4RB`` then
``5TX7LD2Q`` on the next line): prose, logs and code lines never join.

Cost: the window before a boundary is at most ``WIDTH`` characters (the value's first
part and the context words before it), the one after it only the rest of the value (its
run of non-blank characters and the digit groups that follow), windows that meet are
merged, and only digit groups get a second copy (with a space). Boundaries are found
by two regular-expression passes over the texts as the engine joins them anyway, so a
request whose boundaries are all sentence ends or words costs those passes only.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "JOINERS",
    "NEAR",
    "WIDTH",
    "Fragment",
    "JoinedView",
    "JoinedViewTooLarge",
    "joined_view",
    "view_allowance",
]

#: characters read before a boundary: the longest identifier's first part and context
WIDTH = 40
#: how far from a boundary the runs of value characters meeting there are looked at
NEAR = 16
#: what a writer puts between the parts of a value cut at a boundary between places
JOINERS: tuple[str, ...] = ("", " ")

#: ``(segment, start, end, at)``: ``texts[segment][start:end]``, found at ``at`` in the view
Fragment = tuple[int, int, int, int]
#: a fragment in the making: ``(segment, start, end, how it joins the previous one)``
_Link = tuple[int, int, int, int]
_LINE, _TEXT, _DIGITS = 0, 1, 2

_VALUE = r"[\w+=/%@-]"
_RUN_REVERSED = re.compile(rf"{_VALUE}+")
_RUN_AFTER = re.compile(rf"{_VALUE}+")
# a JSON text's opening bracket, first key and quote: tool arguments join by their values
_OPENING = re.compile(r"""[\[{]\s*(?:"[^"\\\n]{0,64}"\s*:\s*)?["']?[ \t]*""")
_CLOSERS = " \t\r\n\"'}]"
_VALUE_PUNCTUATION = "-+=_/%@"
_EDGE = 80  # how far from a text's end its last value is looked for
_LONG = WIDTH + 8  # a line longer than this (blanks and all) is no value part on its own
_SHORT = 4  # a piece this short without letters is read with the boundaries on both sides
_VALUE_LINE = re.compile(rf"{_VALUE}+(?: {_VALUE}+)*")
_DIGIT = re.compile(r"\d")
# a digit of any script (superscript, subscript and circled ones too) or the @ of an address
_NUMERIC = re.compile(r"[\d@\u00b2\u00b3\u00b9\u2070-\u2089\u2460-\u24ff\u2776-\u2793]")
_REST = re.compile(r"\S*(?:[ \t]+\d\S*)*")
# a value's digit groups before a boundary (``4532 0151``), blanks between them, matched
# on the text before the boundary reversed: a match from its start, never a search
_GROUPS_REVERSED = re.compile(r"\S+(?:[ \t]\S*\d\S*)*")
#: the fewest characters (blanks aside) of a value read joined
_SHORTEST = 9
# the value's first part before a boundary (its digit groups) and the one word before it,
# reversed as above
_TAIL_REVERSED = re.compile(r"\S*(?:[ \t]+\S*\d\S*)*(?:[ \t]+\S{1,24})?")


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
        index = max(bisect_right(self.ats, start) - 1, 0)
        parts: dict[int, tuple[int, int]] = {}
        touched = 0
        for segment, low, high, at in self.fragments[index:]:
            if at >= end:
                break
            if at + high - low <= start:
                continue
            touched += 1
            first = low + max(start, at) - at
            last = low + min(end, at + high - low) - at
            if segment in parts:  # a line break inside one text
                first = parts[segment][0]
            parts[segment] = (first, last)
        if touched < 2:
            return None
        return [(segment, first, last) for segment, (first, last) in parts.items()]


def _value_line(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (one line, blanks trimmed) is a value part on its own:
    short, value characters and single spaces only, with a digit (``AKIAZ3MH``, ``4532 0``)."""
    return (
        end - start <= WIDTH
        and _VALUE_LINE.fullmatch(text, start, end) is not None
        and _DIGIT.search(text, start, end) is not None
    )


def _line_joins(text: str, start: int, left: int, right: int, end: int) -> bool:
    """Whether a line break (``text[left:right]``, blanks included) may cut a value.

    One of its two lines holds nothing but a value part: a key or a number continued on
    (or begun on) a line of its own, or written in a narrow column. Prose, logs and
    code (long lines, brackets, colons) never join.
    """
    line_start = text.rfind("\n", start, left) + 1
    while text[line_start] in " \t":
        line_start += 1
    if _value_line(text, max(line_start, start), left):
        return True
    line_end = text.find("\n", right, end)
    line_end = end if line_end < 0 else line_end
    while line_end > right and text[line_end - 1] in " \t\r":
        line_end -= 1
    return _value_line(text, right, line_end)


def _value_char(char: str) -> bool:
    return char.isalnum() or char in _VALUE_PUNCTUATION


def _numeric_runs(before: str, after: str) -> bool:
    """Whether the runs of value characters meeting at a boundary are there, hold a digit
    or an ``@`` (words meeting words cut no identifier, and rarely a key), and may together
    hold an identifier: ``room 4411`` | ``12 lines`` cannot (8 characters; the shortest read
    joined has 9, a passport number or a Seoul landline).

    A run that fills its window may go on beyond it (a value cut in many short parts), and
    an ``@`` may be a short e-mail address: both are read. Runs before the boundary are
    matched on the text reversed, so that no pattern searches.
    """
    backwards = before[::-1]
    run_before = _RUN_REVERSED.match(backwards)
    run_after = _RUN_AFTER.match(after)
    if not (run_before and run_after):
        return False
    first, second = run_before.group(), run_after.group()
    if not (_NUMERIC.search(first) or _NUMERIC.search(second)):
        return False  # most boundaries between prose and numbers
    if "@" in first or "@" in second:
        return True
    if _word_meets_number(first, second, run_before.end() < len(before), run_after.end()):
        return False
    # the values meeting there, digit groups and all (``4532 0151`` | ``1283 0366``)
    head = _GROUPS_REVERSED.match(backwards)
    rest = _REST.match(after)
    if head is None or rest is None or head.end() == len(before) or rest.end() == len(after):
        return True
    size = head.end() - head.group().count(" ") + rest.end() - rest.group().count(" ")
    return size >= _SHORTEST


def _word_meets_number(first: str, second: str, whole_before: bool, after_end: int) -> bool:
    """A number next to a lower-case word (``room 4411`` | ``items``, ``4411`` | ``rows``),
    each whole: prose. No identifier has a run of lower-case letters that stops at a word's
    end, and a key's part is no dictionary word standing alone."""
    word_after = second.isascii() and second.isalpha() and second.islower()
    word_before = first.isascii() and first.isalpha() and first.islower()
    return (
        whole_before
        and after_end < NEAR
        and ((first.isdigit() and word_after) or (word_before and second.isdigit()))
    )


def _text_cuts(texts: Sequence[str], starts: Sequence[int]) -> list[tuple[int, int, int]]:
    """The plausible boundaries between consecutive texts (blank texts are stepped over).

    Most texts end with a sentence's punctuation, which no value continues: that is
    found from the last character alone, so an ordinary conversation costs a few string
    operations per message.
    """
    cuts: list[tuple[int, int, int]] = []
    previous: tuple[int, str] | None = None  # where the last value ended, and its text
    for segment, text in enumerate(texts):
        if not text:
            continue
        if previous is not None:
            head = _head(text)
            if head >= len(text):
                continue  # blank: the texts around it still meet
            left, before = previous
            after = text[head : head + NEAR]
            if _numeric_runs(before, after):
                digits = before[-1].isdigit() and after[0].isdigit()
                cuts.append((left, starts[segment] + head, _DIGITS if digits else _TEXT))
        last = text[-1]
        if _value_char(last):
            previous = (starts[segment] + len(text), text[-NEAR:])
        elif last in _CLOSERS:
            tail = text[-_EDGE:].rstrip(_CLOSERS)
            end = len(text) - len(text[-_EDGE:]) + len(tail)
            if not tail:
                continue  # blank: the texts around it still meet
            previous = (starts[segment] + end, tail[-NEAR:]) if tail else None
        else:
            previous = None
    return cuts


def _head(text: str) -> int:
    """Where a text's first value starts: blanks, a quote, a JSON text's key stepped over."""
    head = len(text) - len(text[:_EDGE].lstrip())
    if head < len(text) and text[head] in "[{":
        opening = _OPENING.match(text, head, head + _EDGE)
        head = opening.end() if opening else head
    elif head < len(text) and text[head] in "\"'":
        head += 1
    return head


def _line_cuts(texts: Sequence[str], starts: Sequence[int]) -> list[tuple[int, int, int]]:
    """The plausible line breaks inside texts (``_line_joins``).

    One of the two lines must be short, which is known from where the line breaks
    are: a log or code text of long lines costs one ``find`` per line.
    """
    cuts: list[tuple[int, int, int]] = []
    for segment, text in enumerate(texts):
        line_start = 0
        newline = text.find("\n")
        while newline >= 0:
            following = text.find("\n", newline + 1)
            line_end = len(text) if following < 0 else following
            if newline - line_start <= _LONG or line_end - newline <= _LONG:
                cut = _line_cut(text, newline)
                if cut is not None:
                    cuts.append((starts[segment] + cut[0], starts[segment] + cut[1], _LINE))
            line_start, newline = newline + 1, following
    return cuts


def _line_cut(text: str, newline: int) -> tuple[int, int] | None:
    """The break at ``newline`` with its blanks, if it may cut a value."""
    left, right = newline, newline + 1
    while left > 0 and text[left - 1] in " \t\r":
        left -= 1
    while right < len(text) and text[right] in " \t":
        right += 1
    if (
        left > 0
        and right < len(text)
        and _value_char(text[left - 1])
        and _value_char(text[right])
        and _line_joins(text, 0, left, right, len(text))
        and _numeric_runs(text[max(0, left - NEAR) : left], text[right : right + NEAR])
    ):
        return left, right
    return None


def view_allowance(chars: int) -> int:
    """The most characters the gateway lets the joined view add to a request of ``chars``.

    Half the request, and 512 for a short one (two parts of one value need ~60): the
    view's characters cost about what the request's own do, so with the boundary search
    a request's scan stays within ~1.5× of its plain scan. A request whose boundaries
    need more (hundreds of parts that meet digit to digit) is refused, not cut short.
    """
    return chars // 2 + 512


def joined_view(
    texts: Sequence[str], separator: str, width: int = WIDTH, limit: int | None = None
) -> JoinedView | None:
    """The windows around every plausible boundary of ``texts``, or None when there is none.

    ``separator`` is what no pattern can cross (it contains no value character); it
    stands between unrelated windows and between the copies made with each joiner.
    ``limit``: ``JoinedViewTooLarge`` as soon as the view grows past it (None: no limit).
    """
    lines = any("\n" in text for text in texts)
    if len(texts) < 2 and not lines:
        return None
    starts: list[int] = []
    position = 0
    for text in texts:
        starts.append(position)
        position += len(text) + len(separator)
    joined = separator.join(texts)
    cuts = _text_cuts(texts, starts)
    if lines:
        cuts = sorted(cuts + _line_cuts(texts, starts))
    # one chain of windows per boundary: neighbouring boundaries are read apart, so a
    # word before a value on the previous line is not glued to it
    chains: list[list[_Link]] = []
    least = 0
    piece_start = 0  # in joined: where the text (or line) left of the boundary begins
    for number, (left, right, kind) in enumerate(cuts):
        segment = bisect_right(starts, left - 1) - 1
        base = starts[segment]
        piece_start = max(piece_start, base)
        reach = max(piece_start, left - width)
        window = _TAIL_REVERSED.match(joined[reach:left][::-1])
        tail = left - window.end() if window else left  # it always matches
        previous = cuts[number - 1] if number else None
        if (
            previous is not None
            and previous[1] == piece_start
            and left - piece_start <= _SHORT
            and not any(char.isalpha() for char in joined[piece_start:left])
        ):
            # a short piece between two boundaries (a lone separator, a digit or two):
            # read with the boundary before it, ``900101`` | ``-`` | ``1234568``
            # (and on its own: it may be the value's first part, ``4`` | ``532 0151 …``)
            heads = [
                [*chains[-1][:-1], (segment, piece_start - base, left - base, previous[2])],
                [(segment, tail - base, left - base, _LINE)],
            ]
        else:
            heads = [[(segment, tail - base, left - base, _LINE)]]
        segment = bisect_right(starts, right) - 1
        text_end = starts[segment] + len(texts[segment])
        rest = _REST.match(joined, right, min(text_end, right + width))
        stop = rest.end() if rest and rest.end() > right else right + 1
        after = (segment, right - starts[segment], stop - starts[segment], kind)
        chains.extend([*head, after] for head in heads)
        if limit is not None:
            # what the view will hold, separators aside: a request that cannot fit is
            # refused before its windows are written out (digit groups get two copies)
            for head in heads:
                copies = 2 if any(how == _DIGITS for *_, how in (*head, after)) else 1
                least += copies * (stop - right + sum(end - start for _, start, end, _ in head))
            if least > limit:
                raise JoinedViewTooLarge(least)
        piece_start = right
    if not chains:
        return None
    return _render(texts, chains, separator, limit)


def _render(
    texts: Sequence[str], chains: list[list[_Link]], separator: str, limit: int | None
) -> JoinedView:
    """One copy of every chain per joiner; digit groups alone get a joiner other than ''."""
    out: list[str] = []
    fragments: list[Fragment] = []
    position = 0
    for joiner in JOINERS:
        for links in chains:
            if joiner and not any(how == _DIGITS for *_, how in links):
                continue
            if out:
                out.append(separator)
                position += len(separator)
            for number, (segment, start, end, how) in enumerate(links):
                if number and how == _DIGITS and joiner:
                    out.append(joiner)
                    position += len(joiner)
                fragments.append((segment, start, end, position))
                out.append(texts[segment][start:end])
                position += end - start
            if limit is not None and position > limit:
                raise JoinedViewTooLarge(position)
    return JoinedView("".join(out), tuple(fragments), tuple(f[3] for f in fragments))


class JoinedViewTooLarge(ValueError):
    """The joined view of a request would exceed the scan budget the caller gave.

    The view reads each boundary between places (about 330 characters at most), so a
    request of many tiny parts could make it far larger than the request; the caller
    refuses such a request as uninspectable rather than skip boundaries unread.
    """
