"""``/admin/v1/audit``: search the decision log and count it, for reviewers.

Query parameters are parsed here rather than by FastAPI's validation so that a
mistake gets the admin API's one error shape and a sentence that says what to
send instead. The store is read on a worker thread, so a slow database never
blocks the gateway's event loop. Every read is itself an admin record (the
query, never the results), written before the results are sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, tzinfo
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from gateway.admin.journal import AdminCall, requires
from gateway.audit.query import (
    AMONG_COLUMNS,
    BUCKETS,
    DIRECTIONS,
    STATS_DIMENSIONS,
    AuditFilter,
    parse_dimensions,
    parse_time,
)
from gateway.audit.review import Counts, count
from gateway.audit.sqlstore import SQLAuditStore
from gateway.audit.timezone import local_iso, resolve_zone

__all__ = [
    "FILTERS",
    "MAX_PAGE",
    "audit_router",
    "parse_filter",
    "parse_zone",
    "recorded_query",
    "refuse_unknown",
]

MAX_PAGE = 1000
FILTERS = (
    "user", "group", "provider", "jurisdiction", "decision", "rule", "entity", "fingerprint",
)  # fmt: skip


def parse_zone(params: dict[str, str], default: tzinfo) -> tzinfo:
    """``tz=Asia/Seoul``, else the configured ``audit.timezone``."""
    if not params.get("tz"):
        return default
    try:
        return resolve_zone(params["tz"])
    except ValueError as exc:
        raise HTTPException(400, f"tz: {exc}") from None


def parse_filter(params: dict[str, str], zone: tzinfo = UTC) -> AuditFilter:
    """The filters; ``start``/``end`` without an offset are read in ``zone``."""
    values: dict[str, Any] = {name: params.get(name) or None for name in FILTERS}
    direction = params.get("direction") or None
    if direction not in (None, *DIRECTIONS):
        raise HTTPException(400, f"direction must be one of {', '.join(DIRECTIONS)}")
    values["direction"] = direction
    for name in ("start", "end"):
        if params.get(name):
            try:
                values[name] = parse_time(params[name], zone)
            except ValueError as exc:
                raise HTTPException(400, f"{name}: {exc}") from None
    return AuditFilter(**values)


def _limit(text: str | None) -> int:
    if text is None:
        return 50
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise HTTPException(400, f"limit must be a whole number from 1 to {MAX_PAGE}")
    return int(text)


def refuse_unknown(params: dict[str, str], allowed: set[str] | frozenset[str]) -> None:
    """400 naming the first parameter the endpoint does not take, and what it does."""
    extra = sorted(set(params) - allowed)
    if extra:
        raise HTTPException(
            400, f"unknown parameter {extra[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )


def recorded_query(params: dict[str, str], allowed: set[str] | frozenset[str]) -> dict[str, str]:
    """The query as the record keeps it: known parameters, values cut short; an
    unknown parameter is named but its value is not kept (it could be anything)."""
    return {
        name: (value[:200] if name in allowed else "…") for name, value in sorted(params.items())
    }


def _json(body: dict[str, Any]) -> Response:
    """orjson straight from the plain types: FastAPI's own encoding walks every value
    in Python first, most of the time of a large count or page."""
    return Response(orjson.dumps(body), media_type="application/json")


def audit_router(store: SQLAuditStore, zone: tzinfo = UTC) -> APIRouter:
    """Search and counts; ``zone`` (``audit.timezone``) reads dates and cuts day buckets."""
    router = APIRouter()
    search_params = {
        *FILTERS,
        "direction",
        "start",
        "end",
        "limit",
        "cursor",
        "order",
        "tz",
        "total",
    }
    stats_params = {*FILTERS, "direction", "start", "end", "by", "per", "tz", "top"}

    @router.get("/audit")
    async def search(
        request: Request, call: Annotated[AdminCall, requires("audit.read")]
    ) -> Response:
        params = dict(request.query_params)
        async with call.recorded():
            call.details["query"] = recorded_query(params, search_params)
            return _json(await asyncio.to_thread(_search, params))

    def _search(params: dict[str, str]) -> dict[str, Any]:
        refuse_unknown(params, search_params)
        order = params.get("order", "desc")
        if order not in ("desc", "asc"):
            raise HTTPException(400, "order must be 'desc' (newest first) or 'asc'")
        if params.get("total", "false") not in ("true", "false"):
            raise HTTPException(400, "total must be 'true' (count every match) or 'false'")
        where = parse_filter(params, parse_zone(params, zone))
        limit = _limit(params.get("limit"))
        try:
            page = store.search(
                where,
                limit=limit,
                cursor=params.get("cursor") or None,
                order="asc" if order == "asc" else "desc",
            )
            found = store.count(where) if params.get("total") == "true" else None
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        except Exception as exc:
            raise HTTPException(
                503, f"the audit store cannot be read ({type(exc).__name__})"
            ) from None
        body: dict[str, Any] = {
            "records": [r.to_dict() for r in page.records],
            "next_cursor": page.next_cursor,
        }
        if params.get("total") == "true":
            body["total"] = found or 0
        return body

    @router.get("/audit/stats")
    async def stats(
        request: Request, call: Annotated[AdminCall, requires("audit.stats")]
    ) -> Response:
        params = dict(request.query_params)
        async with call.recorded():
            call.details["query"] = recorded_query(params, stats_params)
            return _json(await asyncio.to_thread(_stats, params))

    def _stats(params: dict[str, str]) -> dict[str, Any]:
        refuse_unknown(params, stats_params)
        by, per = params.get("by", "decision"), params.get("per", "hour")
        if per not in BUCKETS:
            raise HTTPException(400, f"per must be one of {', '.join(BUCKETS)}")
        top = params.get("top")
        if top is not None and not (top.isdigit() and 1 <= int(top) <= MAX_PAGE):
            raise HTTPException(400, f"top must be a whole number from 1 to {MAX_PAGE}")
        local = parse_zone(params, zone)
        where = parse_filter(params, local)
        try:
            counts, kept_values, found, records = _top_counts(where, by, per, local, int(top or 0))
        except ValueError as exc:
            raise HTTPException(
                400, f"by must be one of {', '.join(STATS_DIMENSIONS)}, or several: {exc}"
            ) from None
        except Exception as exc:
            raise HTTPException(
                503, f"the audit store cannot be read ({type(exc).__name__})"
            ) from None
        if top:  # the kept values' rows, their totals summed and sorted alone
            kept = {key for key, _ in kept_values}
            counts = replace(counts, rows=[r for r in counts.rows if r.keys[0] in kept])
        rows, totals = counts.rows, counts.totals()
        return {
            "by": ",".join(counts.by),
            "per": per,
            "tz": str(local),
            "values": found,
            "buckets": [
                {
                    "start": local_iso(r.bucket, local, "seconds") if per != "all" else None,
                    "key": r.key,
                    "keys": dict(zip(counts.by, r.keys, strict=True)),
                    "count": r.count,
                }
                for r in rows
            ],
            "totals": [
                {"keys": dict(zip(counts.by, keys, strict=True)), "count": n} for keys, n in totals
            ],
            "total": records,
        }

    def _top_counts(
        where: AuditFilter, by: str, per: str, local: tzinfo, top: int
    ) -> tuple[Counts, list[tuple[str | None, int]], int, int]:
        """The counts, the top values of the first dimension (most first; all without
        ``top``), how many values it has, and the record total.

        ``top``: only the values of the first dimension with the most records, so a page
        that shows fifty users is not sent five thousand. Counted in two steps when the
        first dimension is a column with an index: its values alone first (from the
        counts kept beside the records where they can answer), then every dimension for
        the top ones only. A week of (user, provider) pairs is about as many as its
        records; fifty users' pairs are a few hundred.
        """
        dimensions = parse_dimensions(by)
        if top and len(dimensions) > 1 and dimensions[0] in AMONG_COLUMNS:
            first = count(store, where, by=dimensions[0], per="all", zone=local)
            values, found = first.first_totals(top)
            among = (dimensions[0], tuple(key for key, _ in values))
            counts = count(store, replace(where, among=among), by=dimensions, per=per, zone=local)
            return counts, values, found, first.records
        counts = count(store, where, by=dimensions, per=per, zone=local)
        values, found = counts.first_totals(top or None)
        return counts, values, found, counts.records

    return router
