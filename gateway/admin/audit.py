"""``/admin/v1/audit``: search the decision log and count it, for reviewers.

Query parameters are parsed here rather than by FastAPI's validation so that a
mistake gets the admin API's one error shape and a sentence that says what to
send instead. Handlers are plain functions: FastAPI runs them on its thread
pool, so a slow database never blocks the gateway's event loop.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from gateway.audit.query import BUCKETS, DIRECTIONS, STATS_DIMENSIONS, AuditFilter, parse_time
from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["MAX_PAGE", "audit_router"]

MAX_PAGE = 1000
_FILTERS = ("user", "group", "provider", "jurisdiction", "decision", "rule", "entity")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def _filter(params: dict[str, str]) -> AuditFilter:
    values: dict[str, Any] = {name: params.get(name) or None for name in _FILTERS}
    direction = params.get("direction") or None
    if direction not in (None, *DIRECTIONS):
        raise HTTPException(400, f"direction must be one of {', '.join(DIRECTIONS)}")
    values["direction"] = direction
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


def audit_router(store: SQLAuditStore) -> APIRouter:
    router = APIRouter()
    search_params = {*_FILTERS, "direction", "start", "end", "limit", "cursor", "order"}
    stats_params = {*_FILTERS, "direction", "start", "end", "by", "per"}

    @router.get("/audit")
    def search(request: Request) -> dict[str, Any]:
        params = dict(request.query_params)
        _unknown(params, search_params)
        order = params.get("order", "desc")
        if order not in ("desc", "asc"):
            raise HTTPException(400, "order must be 'desc' (newest first) or 'asc'")
        where, limit = _filter(params), _limit(params.get("limit"))
        try:
            page = store.search(
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
        return {"records": [r.to_dict() for r in page.records], "next_cursor": page.next_cursor}

    @router.get("/audit/stats")
    def stats(request: Request) -> dict[str, Any]:
        params = dict(request.query_params)
        _unknown(params, stats_params)
        by, per = params.get("by", "decision"), params.get("per", "hour")
        if by not in STATS_DIMENSIONS:
            raise HTTPException(400, f"by must be one of {', '.join(STATS_DIMENSIONS)}")
        if per not in BUCKETS:
            raise HTTPException(400, f"per must be one of {', '.join(BUCKETS)}")
        where = _filter(params)
        try:
            rows = store.stats(where, by=by, per=per)
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
