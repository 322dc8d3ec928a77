"""Charts of the audit log: decisions over time, and counts by rule and by entity type.

Three counts of the admin API's stats (``audit.stats``: auditors and viewers),
run side by side with the filters of the search, each one admin record. The
search page links here with its filters rather than drawing the charts itself,
so a search costs what it did.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.responses import Response

from gateway.admin.audit import FILTERS
from gateway.console.charts import DECISIONS, bars_by_key, columns_over_time
from gateway.console.web import Page

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["BY_KEY", "charts"]

#: the bar charts beside the one over time: (title key, stats dimension)
BY_KEY = (("charts.by_rule", "rule"), ("charts.by_entity", "entity"))
_PERIODS = {"day": 10, "hour": 16}  # how much of a bucket's start its label keeps


async def charts(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    params = page.request.query_params
    filters = {n: params[n].strip() for n in (*FILTERS, "start", "end") if params.get(n, "")}
    if "start" not in params:
        filters["start"] = "7d"  # a week unless asked; an empty field means "from the start"
    per = params.get("per", "day")
    values: dict[str, Any] = {"filters": filters, "per": per, "periods": tuple(_PERIODS)}
    if per not in _PERIODS:
        return page.render("charts.html", 400, problem="per: day | hour", **values)
    base = filters | {"tz": page.zone_name}
    queries = [base | {"by": "decision", "per": per}] + [
        base | {"by": by, "per": "all"} for _, by in BY_KEY
    ]
    replies = await asyncio.gather(*(
        console.api.call(page.principal, "GET", "/audit/stats", query=q, client=page.client)
        for q in queries
    ))  # fmt: skip
    failed = next((r for r in replies if not r.ok), None)
    if failed is not None:
        return page.render("charts.html", failed.status, problem=failed.error(page.language),
                           **values)  # fmt: skip
    cut = _PERIODS[per]
    over_time = columns_over_time(
        (str(b["start"])[:cut], b["keys"]["decision"] or "—", b["count"])
        for b in replies[0].data["buckets"]
    )
    by_key = []
    for (title, by), reply in zip(BY_KEY, replies[1:], strict=True):
        chart = bars_by_key([(t["keys"][by] or "—", t["count"]) for t in reply.data["totals"]])
        # each key's row leads to the search for it ("—": none recorded, nothing to search)
        links = [None if key == "—" else urlencode(filters | {by: key}) for key, _ in chart.rows]
        by_key.append((title, by, chart, links))
    return page.render("charts.html", problem=None, over_time=over_time, by_key=by_key,
                       decisions=DECISIONS, search=urlencode(filters), **values)  # fmt: skip
