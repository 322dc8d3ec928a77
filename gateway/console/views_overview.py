"""The overview: what the gateway decided over the last week, and this replica's health.

Counts come from the admin API's stats (``audit.stats``: viewers and auditors
may see them); each count is one admin record, as any read of the log is.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.responses import Response

from gateway.console.views_health import replica_report
from gateway.console.web import Page

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["DAYS", "Bar", "overview", "stacked_bars"]

DAYS = 7
#: (title key, by, extra filters)
TOPS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("overview.top_rules", "rule", {}),
    ("overview.entities", "entity", {}),
    ("overview.providers", "provider", {}),
    ("overview.users", "user", {}),
    ("overview.blocked", "user", {"decision": "block"}),
)
_TOP = 10
#: the order of the chart's stack and the table's columns (policy actions, then error)
DECISIONS = ("allow", "warn", "redact", "pseudonymize", "mask", "hash", "block", "error")


@dataclass(frozen=True, slots=True)
class Bar:
    """One rectangle of the chart, in the SVG's own units."""

    x: float
    y: float
    width: float
    height: float
    kind: str  # a decision: its CSS class colours it
    label: str  # the accessible text: day, decision, count


async def overview(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    days: list[dict[str, Any]] = []
    tops: list[tuple[str, list[tuple[str, int]]]] = []
    problem = None
    if page.may("audit.stats"):
        start = datetime.now(page.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        since = (start - timedelta(days=DAYS - 1)).isoformat()
        base = {"start": since, "tz": page.zone_name}
        calls = [
            console.api.call(page.principal, "GET", "/audit/stats",
                             query=base | {"by": "decision", "per": "day"}, client=page.client)
        ] + [
            console.api.call(page.principal, "GET", "/audit/stats",
                             query=base | extra | {"by": by, "per": "all", "top": str(_TOP)},
                             client=page.client)
            for _, by, extra in TOPS
        ]  # fmt: skip
        replies = await asyncio.gather(*calls)
        failed = next((r for r in replies if not r.ok), None)
        if failed is not None:
            problem = failed.error(page.language)
        else:
            days = _per_day(replies[0].data["buckets"])
            tops = [
                (title, [(t["keys"][by] or "—", t["count"]) for t in reply.data["totals"][:_TOP]])
                for (title, by, _), reply in zip(TOPS, replies[1:], strict=True)
            ]
    width, height, bars = stacked_bars(days)
    seen = {kind for day in days for kind in day["counts"]} | {"allow", "block"}
    return page.render(
        "overview.html",
        days=days,
        decisions=[d for d in DECISIONS if d in seen] + sorted(seen - set(DECISIONS)),
        tops=tops,
        chart_width=width,
        chart_height=height,
        bars=bars,
        problem=problem,
        health=dict(console.health()),
        replicas=await replica_report(console),
    )


def _per_day(buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_day: dict[str, dict[str, int]] = defaultdict(dict)
    for bucket in buckets:
        day = str(bucket["start"])[:10]
        by_day[day][bucket["keys"]["decision"] or "—"] = bucket["count"]
    return [{"day": day, "counts": counts} for day, counts in sorted(by_day.items())]


def _stack_order(kind: str) -> tuple[int, str]:
    return (DECISIONS.index(kind) if kind in DECISIONS else len(DECISIONS), kind)


def stacked_bars(days: list[dict[str, Any]]) -> tuple[int, int, list[Bar]]:
    """The chart of decisions per day: one stacked column per day, drawn server-side."""
    width, height, gap = 640, 200, 8
    most = max((sum(d["counts"].values()) for d in days), default=0)
    if not days or most == 0:
        return width, height, []
    column = min(72.0, (width - gap * (len(days) + 1)) / len(days))
    bars: list[Bar] = []
    for index, day in enumerate(days):
        x = gap + index * (column + gap)
        top = float(height)
        for kind, n in sorted(day["counts"].items(), key=lambda item: _stack_order(item[0])):
            tall = height * n / most
            top -= tall
            label = f"{day['day']} {kind}: {n}"
            bars.append(Bar(round(x, 1), round(top, 1), round(column, 1), round(tall, 1),
                            kind if kind in DECISIONS else "other", label))  # fmt: skip
    return width, height, bars
