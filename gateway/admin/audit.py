"""``/admin/v1/audit``: search the decision log and count it, for reviewers.

Query parameters are parsed here rather than by FastAPI's validation so that a
mistake gets the admin API's one error shape and a sentence that says what to
send instead. The store is read on a worker thread, so a slow database never
blocks the gateway's event loop. Every read is itself an admin record (the
query, never the results), written before the results are sent.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request

from gateway.admin.journal import AdminCall, requires
from gateway.audit.query import BUCKETS, STATS_DIMENSIONS, AuditFilter, parse_time
from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["MAX_PAGE", "audit_router"]

MAX_PAGE = 1000
_FILTERS = ("user", "group", "provider", "jurisdiction", "decision", "rule", "entity")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def _filter(params: dict[str, str]) -> AuditFilter:
    values: dict[str, Any] = {name: params.get(name) or None for name in _FILTERS}
    for name in ("start", "end"):
        if params.get(name):
            try:
                values[name] = parse_time(params[name])
            except ValueError as exc:
                raise HTTPException(400, f"{name}: {exc}") from None
    return AuditFilter(**values)


def _limit(text: str | None) -> int:
    if text is None:
        return 50
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise HTTPException(400, f"limit must be a whole number from 1 to {MAX_PAGE}")
    return int(text)


def _unknown(params: dict[str, str], allowed: set[str]) -> None:
    extra = sorted(set(params) - allowed)
    if extra:
        raise HTTPException(
            400, f"unknown parameter {extra[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )


def _query(params: dict[str, str], allowed: set[str]) -> dict[str, str]:
    """The query as the record keeps it: known parameters, values cut short; an
    unknown parameter is named but its value is not kept (it could be anything)."""
    return {
        name: (value[:200] if name in allowed else "…") for name, value in sorted(params.items())
    }


def audit_router(store: SQLAuditStore) -> APIRouter:
    router = APIRouter()
    search_params = {*_FILTERS, "start", "end", "limit", "cursor", "order"}
    stats_params = {*_FILTERS, "start", "end", "by", "per"}

    @router.get("/audit")
    async def search(
        request: Request, call: Annotated[AdminCall, requires("audit.read")]
    ) -> dict[str, Any]:
        params = dict(request.query_params)
        async with call.recorded():
            call.details["query"] = _query(params, search_params)
            _unknown(params, search_params)
            order = params.get("order", "desc")
            if order not in ("desc", "asc"):
                raise HTTPException(400, "order must be 'desc' (newest first) or 'asc'")
            where, limit = _filter(params), _limit(params.get("limit"))
            try:
                page = await asyncio.to_thread(
                    store.search,
                    where,
                    limit=limit,
                    cursor=params.get("cursor") or None,
                    order="asc" if order == "asc" else "desc",
                )
            except ValueError as exc:
                raise HTTPException(400, str(exc)) from None
            except Exception as exc:
                raise HTTPException(
                    503, f"the audit store cannot be read ({type(exc).__name__})"
                ) from None
            call.details["returned"] = len(page.records)
        return {"records": [r.to_dict() for r in page.records], "next_cursor": page.next_cursor}

    @router.get("/audit/stats")
    async def stats(
        request: Request, call: Annotated[AdminCall, requires("audit.stats")]
    ) -> dict[str, Any]:
        params = dict(request.query_params)
        async with call.recorded():
            call.details["query"] = _query(params, stats_params)
            _unknown(params, stats_params)
            by, per = params.get("by", "decision"), params.get("per", "hour")
            if by not in STATS_DIMENSIONS:
                raise HTTPException(400, f"by must be one of {', '.join(STATS_DIMENSIONS)}")
            if per not in BUCKETS:
                raise HTTPException(400, f"per must be one of {', '.join(BUCKETS)}")
            where = _filter(params)
            try:
                rows = await asyncio.to_thread(store.stats, where, by=by, per=per)
            except Exception as exc:
                raise HTTPException(
                    503, f"the audit store cannot be read ({type(exc).__name__})"
                ) from None
        return {
            "by": by,
            "per": per,
            "buckets": [{"start": _iso(r.bucket), "key": r.key, "count": r.count} for r in rows],
        }

    return router
