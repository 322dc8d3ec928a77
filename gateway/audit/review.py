"""Counting for reviewers: buckets in their time zone, cross-tabs and totals.

``SQLAuditStore.stats`` counts with one fixed shift from UTC. A zone with
daylight saving has two shifts a year, so the range is cut where the offset
changes (``offset_spans``), each piece counted with its own shift, and the
pieces' buckets merged by local start: a day that changes offset is one day.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING

from gateway.audit.query import UNNESTED as _UNNESTED
from gateway.audit.query import AuditFilter, StatsRow, parse_dimensions
from gateway.audit.timezone import fixed_offset, local_bucket_start, offset_at, offset_spans

if TYPE_CHECKING:
    from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["Counts", "count"]


@dataclass(frozen=True, slots=True)
class Counts:
    by: tuple[str, ...]
    per: str
    rows: list[StatsRow]
    #: records matched (each once, however many rules or entity types it has)
    records: int

    def totals(self) -> list[tuple[tuple[str | None, ...], int]]:
        """Per key combination over every bucket, most first."""
        summed: Counter[tuple[str | None, ...]] = Counter()
        for row in self.rows:
            summed[row.keys] += row.count
        return sorted(summed.items(), key=lambda item: (-item[1], [k or "" for k in item[0]]))

    def first_totals(self, top: int | None = None) -> tuple[list[tuple[str | None, int]], int]:
        """Per value of the first dimension over every bucket and other key, most first
        (the ``top`` ones only: a partial sort of 5,000 users for ten costs far less than
        sorting them all), and how many values there are."""
        summed: Counter[str | None] = Counter()
        for row in self.rows:
            summed[row.keys[0]] += row.count
        if top is None:
            return sorted(summed.items(), key=_most_first), len(summed)
        return heapq.nsmallest(top, summed.items(), key=_most_first), len(summed)


def _most_first(item: tuple[str | None, int]) -> tuple[int, str]:
    return -item[1], item[0] or ""


def count(
    store: SQLAuditStore,
    where: AuditFilter,
    *,
    by: str | tuple[str, ...],
    per: str,
    zone: tzinfo = UTC,
) -> Counts:
    """Counts per bucket (local to ``zone``) and key combination, with the record total.

    One query for UTC, ``per="all"`` or a zone without daylight saving (the
    total is then the rows' sum, or one more count when a dimension unnests
    lists); a zone with daylight saving first reads the range's bounds, then
    counts each piece of constant offset.
    """
    dimensions = parse_dimensions(by)
    if per == "all" or fixed_offset(zone):
        offset = 0 if per == "all" else offset_at(time.time(), zone)
        rows = store.stats(where, by=dimensions, per=per, offset=offset)
        if _UNNESTED.isdisjoint(dimensions):
            records = sum(row.count for row in rows)
        else:
            records = store.count(where)
        return Counts(dimensions, per, rows, records)
    found = store.time_range(where)
    if found is None:
        return Counts(dimensions, per, [], 0)
    records, first, last = found
    start = where.start if where.start is not None else first
    end = where.end if where.end is not None else last + 1
    merged: Counter[tuple[float, tuple[str | None, ...]]] = Counter()
    for piece_start, piece_end, offset in offset_spans(start, end, zone):
        piece = replace(where, start=piece_start, end=piece_end)
        for row in store.stats(piece, by=dimensions, per=per, offset=offset):
            merged[(local_bucket_start(row.bucket, offset, zone), row.keys)] += row.count
    rows = [
        StatsRow(bucket, keys[0], n, keys)
        for (bucket, keys), n in sorted(
            merged.items(), key=lambda item: (item[0][0], -item[1], [k or "" for k in item[0][1]])
        )
    ]
    return Counts(dimensions, per, rows, records)
