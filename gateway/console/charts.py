"""Charts drawn on the server as SVG shapes: stacked columns over time, bars by key.

No script and no inline style (the Content-Security-Policy allows neither): the
template writes these shapes into an ``<svg>`` whose colours come from the
stylesheet's classes. Each shape carries its own ``<title>`` (day, key, count),
and every chart is followed by a table of the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["DECISIONS", "BarChart", "ColumnChart", "Shape", "bars_by_key", "columns_over_time"]

#: the order of a stack and of the table's columns (policy actions, then error)
DECISIONS = ("allow", "warn", "redact", "pseudonymize", "mask", "hash", "block", "error")
_LABEL_EVERY_MAX = 8  # at most this many time labels under the columns
_MAX_COLUMNS = 24 * 62  # beyond this, buckets are drawn as they come (no empty ones added)


@dataclass(frozen=True, slots=True)
class Shape:
    """One rectangle, in the SVG's own units; ``kind`` is its CSS class suffix."""

    x: float
    y: float
    width: float
    height: float
    kind: str
    label: str


@dataclass(slots=True)
class ColumnChart:
    """Stacked columns, one per time bucket, with the numbers for the table beneath."""

    width: int
    height: int
    bars: list[Shape] = field(default_factory=list)
    #: (x of the label's middle, text) under some columns
    ticks: list[tuple[float, str]] = field(default_factory=list)
    most: int = 0
    times: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(sum(by_kind.values()) for by_kind in self.counts.values())


@dataclass(slots=True)
class BarChart:
    """Horizontal bars, largest first: (key, count) rows and their shapes."""

    width: int
    height: int
    rows: list[tuple[str, int]]
    bars: list[Shape] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.rows)


def _kind_order(kind: str) -> tuple[int, str]:
    return (DECISIONS.index(kind) if kind in DECISIONS else len(DECISIONS), kind)


def columns_over_time(
    buckets: Iterable[tuple[str, str, int]], width: int = 720, height: int = 220
) -> ColumnChart:
    """``buckets``: (time label, decision, count); one stacked column per time label."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for when, kind, n in buckets:
        counts[when][kind] = counts[when].get(kind, 0) + n
    times = _filled(sorted(counts))
    kinds = sorted({k for by_kind in counts.values() for k in by_kind}, key=_kind_order)
    chart = ColumnChart(width, height, times=times, kinds=kinds,
                        counts={when: counts.get(when, {}) for when in times})  # fmt: skip
    plot = height - 24  # room for the time labels
    chart.most = max((sum(c.values()) for c in counts.values()), default=0)
    if not times or chart.most == 0:
        return chart
    gap = 4.0 if len(times) > 30 else 8.0
    column = max(1.0, min(72.0, (width - gap * (len(times) + 1)) / len(times)))
    every = max(1, -(-len(times) // _LABEL_EVERY_MAX))
    for index, when in enumerate(times):
        x = gap + index * (column + gap)
        top = float(plot)
        for kind in sorted(counts[when], key=_kind_order):
            n = counts[when][kind]
            tall = plot * n / chart.most
            top -= tall
            css = kind if kind in DECISIONS else "other"
            shape = Shape(round(x, 1), round(top, 1), round(column, 1), round(tall, 1), css,
                          f"{when} {kind}: {n}")  # fmt: skip
            chart.bars.append(shape)
        if index % every == 0:
            chart.ticks.append((round(x + column / 2, 1), when))
    return chart


def _filled(times: list[str]) -> list[str]:
    """Every day (``YYYY-MM-DD``) or hour (``YYYY-MM-DDTHH:MM``) from the first to the last,
    so an empty one shows as a gap rather than vanishing; other labels as they are."""
    if len(times) < 2 or len({len(t) for t in times}) != 1 or len(times[0]) not in (10, 16):
        return times
    step = timedelta(days=1) if len(times[0]) == 10 else timedelta(hours=1)
    try:
        first, last = datetime.fromisoformat(times[0]), datetime.fromisoformat(times[-1])
    except ValueError:
        return times
    if (last - first) / step > _MAX_COLUMNS:
        return times
    shape = "%Y-%m-%d" if len(times[0]) == 10 else "%Y-%m-%dT%H:%M"
    every = []
    while first <= last:
        every.append(first.strftime(shape))
        first += step
    return sorted(set(every) | set(times))


def bars_by_key(
    rows: Sequence[tuple[str, int]], limit: int = 15, width: int = 720, row_height: int = 22
) -> BarChart:
    """The ``limit`` largest rows as bars; the label column takes the left third."""
    shown = sorted(rows, key=lambda row: (-row[1], row[0]))[:limit]
    chart = BarChart(width, max(row_height, row_height * len(shown)), shown)
    most = max((n for _, n in shown), default=0)
    if most == 0:
        return chart
    left, room = width // 3, width - width // 3 - 60  # and the count after the bar
    for index, (key, n) in enumerate(shown):
        long = room * n / most
        chart.bars.append(Shape(float(left), float(index * row_height + 3), round(long, 1),
                                float(row_height - 6), "bar", f"{key}: {n}"))  # fmt: skip
    return chart
