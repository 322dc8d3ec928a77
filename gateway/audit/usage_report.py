"""Usage from the audit log: requests, tokens and cost by user, group, provider, model, day.

A forwarded request leaves an opening and a completion (``phases.py``): it is
counted once, by its opening (or its refusal), while its tokens and cost are
read from its completion (``usage``, ``details.cost``), which repeats who and
where. A request in several groups counts once in each; one in none is under
the group null. Days are local to the reviewer's zone, cut where the zone's
offset changes as ``review.count`` does. Costs that are unknown (no usage
reported, or no price for the model) are not summed; ``unpriced`` counts them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, tzinfo
from typing import Any, Protocol

from gateway.audit.admin_event import ADMIN_DECISION
from gateway.audit.phases import COMPLETE
from gateway.audit.query import AuditFilter, Dialect, where_sql
from gateway.audit.timezone import (
    fixed_offset,
    local_bucket_start,
    local_iso,
    offset_at,
    offset_spans,
)


class UsageSource(Protocol):
    """What the report reads: a SQL audit store (``SQLAuditStore``)."""

    def usage(self, where: AuditFilter, by: tuple[str, ...], offset: int = 0) -> list[Any]: ...
    def time_range(self, where: AuditFilter) -> tuple[int, float, float] | None: ...


__all__ = ["METRICS", "USAGE_DIMENSIONS", "UsageRow", "parse_usage_dimensions", "usage_report"]

USAGE_DIMENSIONS = ("user", "group", "provider", "model", "day")
METRICS = (
    "requests",
    "limited",
    "blocked",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cost_usd",
    "unpriced",
)
_DAY = 86400


@dataclass(slots=True)
class UsageRow:
    keys: dict[str, str | None]
    requests: int = 0
    limited: int = 0
    blocked: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: float = 0.0
    #: completions whose cost is unknown (no usage reported, or no price for the model)
    unpriced: int = 0

    def add(self, other: UsageRow) -> None:
        for name in METRICS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"keys": dict(self.keys)}
        found.update((name, getattr(self, name)) for name in METRICS)
        found["cost_usd"] = round(self.cost_usd, 6)
        return found


def parse_usage_dimensions(by: str) -> tuple[str, ...]:
    """``"user,day"`` → ``("user", "day")``; ValueError names what is allowed."""
    names = tuple(n.strip() for n in by.split(",") if n.strip())
    if not names or len(set(names)) != len(names):
        raise ValueError(f"by needs distinct dimensions from {', '.join(USAGE_DIMENSIONS)}")
    for name in names:
        if name not in USAGE_DIMENSIONS:
            raise ValueError(
                f"cannot report usage by {name!r}; choose from {', '.join(USAGE_DIMENSIONS)}"
            )
    return names


def _number(d: Dialect, column: str, *path: str) -> str:
    text = d.json_path.format(col=column, dotted=".".join(path), commas=",".join(path))
    return f"CAST({text} AS DOUBLE PRECISION)"


def usage_sql(
    f: AuditFilter, d: Dialect, by: tuple[str, ...], offset: int = 0
) -> tuple[str, list[object]]:
    """One row per key combination (and local day, ``offset`` seconds east of UTC)."""
    clauses, params = where_sql(replace(f, decision=None), d)
    clauses.append(f"decision <> '{ADMIN_DECISION}'")
    source = "audit_records"
    keys: list[str] = []
    for name in by:
        if name == "group":
            source += " " + d.array_left_join.format(col="groups")
            keys.append("g.value")
        elif name == "day":
            shift = int(offset)  # from the zone database, never caller text
            day = d.bucket.format(seconds=_DAY).replace("time", f"(time + {shift})")
            keys.append(f"({day}) - {shift}")
        else:
            keys.append('"user"' if name == "user" else name)
    done = f"decision = '{COMPLETE}'"
    cost = _number(d, "details", "cost", "amount")
    sums = [
        f"SUM(CASE WHEN {done} THEN 0 ELSE 1 END)",
        "SUM(CASE WHEN decision = 'limited' THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN decision = 'block' THEN 1 ELSE 0 END)",
        *(
            f"COALESCE(SUM(CASE WHEN {done} THEN {_number(d, 'usage', k)} END), 0)"
            for k in ("input_tokens", "output_tokens", "cached_input_tokens")
        ),
        f"COALESCE(SUM(CASE WHEN {done} THEN {cost} END), 0)",
        f"SUM(CASE WHEN {done} AND {cost} IS NULL THEN 1 ELSE 0 END)",
    ]
    selected = ", ".join([*(f"{k} AS k{i}" for i, k in enumerate(keys)), *sums])
    groups = ", ".join(str(i + 1) for i in range(len(keys)))
    where = f" WHERE {' AND '.join(clauses)}"
    sql = f"SELECT {selected} FROM {source}{where} GROUP BY {groups} ORDER BY {groups}"
    return sql, params


def _rows(
    raw: Iterable[tuple[Any, ...]], by: tuple[str, ...], zone: tzinfo, offset: int
) -> list[UsageRow]:
    rows = []
    for found in raw:
        values, numbers = found[: len(by)], found[len(by) :]
        keys: dict[str, str | None] = {}
        for name, value in zip(by, values, strict=True):
            if name == "day":
                start = local_bucket_start(float(value), offset, zone)
                keys[name] = local_iso(start, zone, "seconds")[:10]
            else:
                keys[name] = None if value is None else str(value)
        row = UsageRow(keys)
        for name, number in zip(METRICS, numbers, strict=True):
            setattr(row, name, float(number or 0) if name == "cost_usd" else int(number or 0))
        rows.append(row)
    return rows


def usage_report(
    store: UsageSource, where: AuditFilter, by: tuple[str, ...], zone: tzinfo = UTC
) -> list[UsageRow]:
    """The report's rows, sorted by their keys; days in ``zone``."""
    if "day" not in by or fixed_offset(zone):
        offset = offset_at(time.time(), zone)
        return _rows(store.usage(where, by, offset), by, zone, offset)
    found = store.time_range(replace(where, decision=None))
    if found is None:
        return []
    _, first, last = found
    start = where.start if where.start is not None else first
    end = where.end if where.end is not None else last + 1
    merged: dict[tuple[str | None, ...], UsageRow] = {}
    for piece_start, piece_end, offset in offset_spans(start, end, zone):
        piece = replace(where, start=piece_start, end=piece_end)
        for row in _rows(store.usage(piece, by, offset), by, zone, offset):
            key = tuple(row.keys[name] for name in by)
            if key in merged:
                merged[key].add(row)
            else:
                merged[key] = row
    return [merged[key] for key in sorted(merged, key=lambda k: [v or "" for v in k])]
