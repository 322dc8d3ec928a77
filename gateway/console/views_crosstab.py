"""Cross-tabs: how many requests per pair of dimensions (user × provider, rule × day…).

"Which users sent resident numbers last week, and to which providers" is one
table: rows ``user``, columns ``provider``, filter ``entity=KR_RRN``, start
``7d``. The counts are the admin API's stats (``audit.stats``), so viewers may
see them too; each is one admin record, like any count.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.responses import Response

from gateway.admin.audit import FILTERS
from gateway.audit.query import AMONG_COLUMNS, STATS_DIMENSIONS
from gateway.console.web import Page

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["COLUMNS", "crosstab", "pivot", "top_table"]

#: a column may also be a time bucket
COLUMNS = (*STATS_DIMENSIONS, "day", "hour")
MAX_ROWS, MAX_COLUMNS = 100, 24
#: rows of a cross-tab by user, provider or decision unless ``top=`` asks for more
TOP, MAX_TOP = 50, 1000
#: (columns, rows with their cells and total, column totals, grand total)
Table = tuple[list[str], list[tuple[str, list[int], int]], list[int], int]


def pivot(cells: list[tuple[str, str, int]]) -> Table:
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
    top_text = params.get("top", str(TOP))
    top = int(top_text) if top_text.isdigit() and 1 <= int(top_text) <= MAX_TOP else 0
    values: dict[str, Any] = {
        "rows_by": rows_by,
        "cols_by": columns_by,
        "filters": filters,
        "dimensions": STATS_DIMENSIONS,
        "columns_choice": COLUMNS,
        "top": top or TOP,
        "others": None,
        "values": None,
        "more": None,
    }
    if (
        rows_by not in STATS_DIMENSIONS
        or columns_by not in COLUMNS
        or rows_by == columns_by
        or not top
    ):
        return page.render("crosstab.html", 400, problem="rows / cols / top", table=None, **values)
    timed = columns_by in ("day", "hour")
    if not timed and rows_by in AMONG_COLUMNS:
        return await _top_rows(console, page, values, top)
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


async def _top_rows(console: Console, page: Page, values: dict[str, Any], top: int) -> Response:
    """The ``top`` rows with the most records, then "the other N", and exact totals.

    Two counts, side by side: the pairs of the top rows only (``top=``: the API counts
    the rows' dimension first, then the pairs of those values), and the columns' own
    totals over every row, so the totals line and the other rows' line are exact."""
    assert page.principal is not None
    rows_by, columns_by, filters = values["rows_by"], values["cols_by"], values["filters"]
    base = filters | {"per": "all", "tz": page.zone_name}
    pairs, columns = await asyncio.gather(
        console.api.call(page.principal, "GET", "/audit/stats", client=page.client,
                         query=base | {"by": f"{rows_by},{columns_by}", "top": str(top)}),
        console.api.call(page.principal, "GET", "/audit/stats", client=page.client,
                         query=base | {"by": columns_by}),
    )  # fmt: skip
    failed = next((r for r in (pairs, columns) if not r.ok), None)
    if failed is not None:
        problem = failed.error(page.language)
        return page.render("crosstab.html", failed.status, problem=problem, table=None, **values)
    cells = [
        (b["keys"][rows_by] or "—", b["keys"][columns_by] or "—", b["count"])
        for b in pairs.data["buckets"]
    ]
    column_totals = [(t["keys"][columns_by] or "—", t["count"]) for t in columns.data["totals"]]
    table, others = top_table(cells, column_totals)
    shown, found = len(table[1]), int(pairs.data["values"])
    values |= {"others": others if found > shown else None, "values": found}
    if found > shown and top < MAX_TOP:
        more = {"rows": rows_by, "cols": columns_by, "start": "", **filters}  # same period
        more["top"] = str(min(MAX_TOP, top * 4))
        values["more"] = more
    return page.render("crosstab.html", problem=None, table=table, **values)


def top_table(
    cells: list[tuple[str, str, int]], column_totals: list[tuple[str, int]]
) -> tuple[Table, tuple[list[int], int]]:
    """The top rows' table with the columns' totals over every row, and the line of the
    rows not shown (each column's total less the shown rows' cells): exact when each
    record is in one row, as it is for the dimensions counted this way."""
    by_column = dict(column_totals)
    columns = [c for c, _ in column_totals[:MAX_COLUMNS]]
    table: Counter[tuple[str, str]] = Counter()
    by_row: Counter[str] = Counter()
    for row, column, n in cells:
        table[(row, column)] += n
        by_row[row] += n
    rows = [
        (row, [table[(row, c)] for c in columns], total)
        for row, total in sorted(by_row.items(), key=lambda item: (-item[1], item[0]))
    ]
    total = sum(by_column.values())
    others = [by_column[c] - sum(table[(row, c)] for row in by_row) for c in columns]
    return (columns, rows, [by_column[c] for c in columns], total), (
        others,
        total - sum(by_row.values()),
    )
