"""Digit groups split by dots, spaces, tabs, line breaks or a mix: offered in the shapes
the recognizers know.

People regroup an identifier to slip it past a scanner: ``900101.1234568``,
``900101 - 1234568``, ``900101<TAB>1234568``, one group per line, ``9001 01-12 34568``.
The normalized view keeps such separators, because elsewhere they mean something (a dot in
an IP address or a decimal, a line break between two numbers of a list), so each run of
digit groups is offered in two separate views instead, and only findings on a rewritten run
that the plain view did not already have are kept (``engine._only_regrouped``):

1. groups joined by hyphens (``900101-1234568``, ``11-19-123456-78``; eight digits split by
   whitespace alone by one space, as a space-split run reads): the writer's group structure
   kept, for formats that have one (RRN, BRN, licences, accounts, phones, cards);
2. closed up (``9001011234568``), only for a run that mixes kinds of separator
   (``9001 01-12 34568``, ``4111 1111<TAB>1111-1111``) or is cut by plain dots
   (``9001.01.1234.568``): its groups were cut anywhere, and only the unseparated forms of
   the patterns (checksums, Luhn, a mobile prefix) accept it. A run with one kind of space,
   tab or spaced mark throughout keeps its groups: a table of numbers (``336<TAB>140<TAB>720
   …``) closed up would be a random long number, a card one time in a few dozen.

A line break joins two groups only (a value broken once across lines), never a column of
numbers.

Groups holding letters (IBAN, passport: ``S731 D512 9``, ``GB28.RUQP.1504…``) are closed
up in the first view. Only runs of at least nine digits (eight plus a letter; eight with a
separator other than one dot or space) are touched: versions and IPv4 addresses are not.
"""

from __future__ import annotations

import re

from gateway.detect.offsets import Edit, NormalizedText, apply_edits

__all__ = ["regroup_digits"]

_BEFORE = r"(?<![0-9A-Za-z_.,@/:+\-])"
_AFTER = r"(?![0-9A-Za-z_@]|[.,\-/:+][0-9A-Za-z])"
# Two to eight groups of digits (and capitals: IBAN, passport) split by one kind of
# separator, a dot or a single space, standing alone.
_GROUPED = re.compile(
    rf"{_BEFORE}[0-9A-Z]{{1,7}}(?P<sep>[. ])[0-9A-Z]{{1,7}}"
    rf"(?:(?P=sep)[0-9A-Z]{{1,7}}){{0,6}}{_AFTER}"
)
# Two to eight digit groups split by any separator: a hyphen, dot or middle dot with up to
# three spaces or tabs around it, a line break with the same, or one to three spaces/tabs.
# Every alternative is bounded and the groups are digits only, so a failed match costs a
# bounded number of steps from each start: linear overall.
_SEPARATOR = r"(?:[ \t]{0,3}[-.·\n][ \t]{0,3}|[ \t]{1,3})"
# No look-behind in front: a leading digit lets the engine skip ahead in C; the character
# before a match is checked in Python (``_NOT_BEFORE``).
_LOOSE = re.compile(rf"[0-9]{{1,8}}(?:{_SEPARATOR}[0-9]{{1,8}}){{1,7}}{_AFTER}")
_NOT_BEFORE = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.,@/:+-")
_SEPARATORS = re.compile(_SEPARATOR)
_GROUPED_PROBE = re.compile(r"[0-9][. ][0-9A-Z]{2}")
# Probes for a separator other than one plain hyphen, dot or space (a tab, spaces around a
# mark, two or more spaces), or two different plain ones in a row of groups (``9001 01-12``)
# that is not a date and time (``2024-05-01 12:00``: every log line has one). Each starts
# with the separator and looks back for the digit: led by a rarer character than a digit,
# the regex engine skips ahead in C over most of a log.
_NOT_TIME = r"(?![0-9]{0,8}:)"
_LOOSE_PROBES = (
    re.compile(r"\t(?:(?<=[0-9]\t)|(?<=[0-9] \t)|(?<=[0-9]  \t))[ \t]{0,3}[0-9]"),
    re.compile(
        r"[-.·](?:(?<=[0-9] [-.·])|(?<=[0-9]  [-.·])|(?<=[0-9]   [-.·])|(?<=[0-9]\t[-.·]))"
        r"[ \t]{0,3}[0-9]|[-.·](?<=[0-9][-.·])[ \t]{1,3}[0-9]"
    ),
    re.compile(r"  (?<=[0-9]  ) ?[0-9]"),
    re.compile(
        rf"-(?<=[0-9]-)[0-9]{{1,8}}[. ][0-9]{_NOT_TIME}"
        rf"|\.(?<=[0-9]\.)[0-9]{{1,8}}[- ][0-9]{_NOT_TIME}"
        rf"| (?<=[0-9] )[0-9]{{1,8}}[-.][0-9]{_NOT_TIME}"
    ),
)
# A line break between a number ending a line and one making up the next line alone (a value
# broken once across lines), not the date opening the next line of a log.
_BREAK_PROBE = re.compile(r"\n(?<=[0-9]\n)[ \t]{0,3}[0-9]{1,8}(?![0-9]|[-.·:/][0-9A-Za-z])")
# A run is at most 8 groups of 8 digits and 7 separators of 7 characters: the window around a
# probe hit that holds every run through it.
_REACH = 8 * 8 + 7 * 7
_IPV4_LIKE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
# Hyphen-joined groups are what the recognizers read already (and a hyphenated chain is
# not closed up: an ISBN or order number must not turn into a bare identifier).
_SIMPLE = frozenset("-. ")

Regrouped = tuple[NormalizedText, tuple[tuple[int, int], ...]]


def regroup_digits(view: NormalizedText) -> list[Regrouped]:
    """The hyphen-joined and closed-up views of ``view.text``'s digit-group runs.

    Each entry is a view over ``view.text`` and the rewritten runs' spans in ``view.text``;
    the list is empty when there is nothing to regroup.
    """
    text = view.text
    if not view.shaped:
        return []
    grouped = _GROUPED_PROBE.search(text) is not None
    hits = [hit for probe in (*_LOOSE_PROBES, _BREAK_PROBE) for hit in probe.finditer(text)]
    if not grouped and not hits:
        return []  # the usual case: nothing but plain separators, read as they are
    joined: dict[int, Edit] = {}
    closed: dict[int, Edit] = {}
    if grouped:
        for match in _GROUPED.finditer(text):
            _add_grouped(match, joined, closed)
    for match in _loose_runs(text, hits):
        start = match.start()
        if start not in joined and (start == 0 or text[start - 1] not in _NOT_BEFORE):
            _add_loose(match, joined, closed)
    views: list[Regrouped] = []
    for edits in (joined, closed):
        if edits:
            ordered = [edits[start] for start in sorted(edits)]
            runs = tuple((start, end) for start, end, _ in ordered)
            views.append((apply_edits(text, _disjoint(ordered)), runs))
    return views


def _loose_runs(text: str, hits: list[re.Match[str]]) -> list[re.Match[str]]:
    """Loose runs in windows around the probe hits only: a log has numbers everywhere."""
    runs: list[re.Match[str]] = []
    searched = 0
    for hit in sorted(hits, key=lambda found: found.start()):
        start, end = max(hit.start() - _REACH, searched), min(hit.end() + _REACH, len(text))
        if end <= searched:
            continue
        for match in _LOOSE.finditer(text, start, end):
            cut = match.end() == end < len(text)  # may run on past the window: not whole
            if not cut and (not runs or match.start() >= runs[-1].end()):
                runs.append(match)
        searched = end
    return runs


def _add_grouped(match: re.Match[str], joined: dict[int, Edit], closed: dict[int, Edit]) -> None:
    """A run with one kind of separator, a dot or a single space."""
    run = match.group()
    digits = sum(char.isdigit() for char in run)
    letters = len(run) - digits - run.count(match.group("sep"))
    if digits + letters < 9 or _IPV4_LIKE.fullmatch(run) or not run[-1].isdigit():
        return
    if letters and not (run[0].isalpha() and digits >= 7 and letters <= digits // 2):
        return
    start, end = match.span()
    joined[start] = (start, end, _joined(run, "" if letters else "-"))
    if not letters and match.group("sep") == ".":
        # Dots cut an identifier anywhere (``9001.01.1234.568``); tables are not written so.
        closed[start] = (start, end, _joined(run, ""))


def _add_loose(match: re.Match[str], joined: dict[int, Edit], closed: dict[int, Edit]) -> None:
    """A digit-only run with any separators; already-plain hyphenated runs are left alone."""
    run = match.group()
    # Eight digits: a 1588-xxxx number written "1588  4772" or with a tab is one.
    if sum(char.isdigit() for char in run) < 8 or _IPV4_LIKE.fullmatch(run):
        return
    separators = [found.group() for found in _SEPARATORS.finditer(run)]
    if len(set(separators)) == 1 and separators[0] in _SIMPLE:
        return  # one plain separator: read as it is, or regrouped by _GROUPED
    if len(separators) > 1 and any("\n" in separator for separator in separators):
        return  # one value broken across two lines, not a column of numbers
    start, end = match.span()
    kinds = {_kind(separator) for separator in separators}
    # Whitespace reads as one space would: eight digits stay ``1588 4772`` (a context word
    # is needed, as it always was), longer runs are hyphen-joined as _GROUPED joins them.
    short = sum(char.isdigit() for char in run) < 9
    joiner = " " if short and kinds <= {" ", "\t", "\n"} else "-"
    joined[start] = (start, end, _joined(run, joiner))
    if len(kinds) > 1:
        closed[start] = (start, end, _joined(run, ""))


def _kind(separator: str) -> str:
    """A separator's mark (hyphen, dot), else its first whitespace character (space, tab)."""
    mark = separator.strip(" \t")
    return mark or separator[0]


def _joined(run: str, joiner: str) -> list[tuple[int, str]]:
    """The run's letters and digits, each separator replaced by ``joiner``."""
    parts: list[tuple[int, str]] = []
    for index, char in enumerate(run):
        if char.isalnum():
            parts.append((index, char))
        elif joiner and index and run[index - 1].isalnum():
            parts.append((index, joiner))
    return parts


def _disjoint(edits: list[Edit]) -> list[Edit]:
    """``edits`` (sorted) without those overlapping an earlier one."""
    kept: list[Edit] = []
    for start, end, parts in edits:
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end, parts))
    return kept
