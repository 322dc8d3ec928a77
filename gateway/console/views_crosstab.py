"""Cross-tabs: how many requests per pair of dimensions (user × provider, rule × day…).

"Which users sent resident numbers last week, and to which providers" is one
table: rows ``user``, columns ``provider``, filter ``entity=KR_RRN``, start
``7d``. The counts are the admin API's stats (``audit.stats``), so viewers may
see them too; each is one admin record, like any count.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.responses import Response

from gateway.admin.audit import FILTERS
from gateway.audit.query import STATS_DIMENSIONS
from gateway.console.web import Page

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["COLUMNS", "crosstab", "pivot"]

#: a column may also be a time bucket
COLUMNS = (*STATS_DIMENSIONS, "day", "hour")
MAX_ROWS, MAX_COLUMNS = 100, 24


def pivot(
    cells: list[tuple[str, str, int]],
) -> tuple[list[str], list[tuple[str, list[int], int]], list[int], int]:
    """(columns, rows with their cells and total, column totals, grand total), largest first;
    the tail past ``MAX_ROWS`` / ``MAX_COLUMNS`` is summed into "…"."""
    by_row: Counter[str] = Counter()
    by_column: Counter[str] = Counter()
    table: Counter[tuple[str, str]] = Counter()
    for row, column, n in cells:
        by_row[row] += n
        by_column[column] += n
        table[(row, column)] += n
    columns = [c for c, _ in by_column.most_common(MAX_COLUMNS)]
    if columns and all(_is_time(c) for c in columns):
        columns.sort()
    rows = []
    for row, total in by_row.most_common(MAX_ROWS):
        rows.append((row, [table[(row, c)] for c in columns], total))
    return columns, rows, [by_column[c] for c in columns], sum(by_row.values())


def _is_time(label: str) -> bool:
    return label[:4].isdigit() and label[4:5] == "-"


async def crosstab(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    params = page.request.query_params
    rows_by, columns_by = params.get("rows", "user"), params.get("cols", "provider")
    filters = {n: params[n].strip() for n in (*FILTERS, "start", "end") if params.get(n, "")}
    if "start" not in params:
        filters["start"] = "7d"  # a week unless asked; an empty field means "from the start"
    values: dict[str, Any] = {
        "rows_by": rows_by,
        "cols_by": columns_by,
        "filters": filters,
        "dimensions": STATS_DIMENSIONS,
        "columns_choice": COLUMNS,
    }
    if rows_by not in STATS_DIMENSIONS or columns_by not in COLUMNS or rows_by == columns_by:
        return page.render("crosstab.html", 400, problem="rows / cols", table=None, **values)
    timed = columns_by in ("day", "hour")
    query = filters | {
        "by": rows_by if timed else f"{rows_by},{columns_by}",
        "per": columns_by if timed else "all",
        "tz": page.zone_name,
    }
    reply = await console.api.call(
        page.principal, "GET", "/audit/stats", query=query, client=page.client
    )
    if not reply.ok:
        problem = reply.error(page.language)
        return page.render("crosstab.html", reply.status, problem=problem, table=None, **values)
    cells = [
        (
            b["keys"][rows_by] or "—",
            str(b["start"])[: 10 if columns_by == "day" else 16] if timed
            else b["keys"][columns_by] or "—",
            b["count"],
        )
        for b in reply.data["buckets"]
    ]  # fmt: skip
    return page.render("crosstab.html", problem=None, table=pivot(cells), **values)
