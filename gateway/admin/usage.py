"""``/admin/v1/usage``: requests, tokens and cost by user, group, provider, model and day.

Read from the audit store on a worker thread (``audit/usage_report.py``), in
the configured time zone unless ``tz=`` names another. Counts only, never
records: it needs ``audit.stats``, and every read is an admin record of the
query, written before the answer is sent.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request

from gateway.admin.audit import parse_zone, recorded_query, refuse_unknown
from gateway.admin.journal import AdminCall, requires
from gateway.audit.query import AuditFilter, parse_time
from gateway.audit.sqlstore import SQLAuditStore
from gateway.audit.usage_report import USAGE_DIMENSIONS, parse_usage_dimensions, usage_report

__all__ = ["USAGE_PARAMS", "usage_router"]

USAGE_PARAMS = frozenset({"by", "start", "end", "tz", "user", "group", "provider"})


def usage_router(store: SQLAuditStore, zone: tzinfo = UTC) -> APIRouter:
    router = APIRouter()

    @router.get("/usage")
    async def usage(
        request: Request, call: Annotated[AdminCall, requires("audit.stats")]
    ) -> dict[str, Any]:
        params = dict(request.query_params)
        async with call.recorded():
            call.details["query"] = recorded_query(params, USAGE_PARAMS)
            return await asyncio.to_thread(_report, params)

    def _report(params: dict[str, str]) -> dict[str, Any]:
        refuse_unknown(params, USAGE_PARAMS)
        try:
            by = parse_usage_dimensions(params.get("by", "user"))
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        local = parse_zone(params, zone)
        bounds: dict[str, float | None] = {"start": None, "end": None}
        for name in ("start", "end"):
            if params.get(name):
                try:
                    bounds[name] = parse_time(params[name], local)
                except ValueError as exc:
                    raise HTTPException(400, f"{name}: {exc}") from None
        where = AuditFilter(
            user=params.get("user") or None,
            group=params.get("group") or None,
            provider=params.get("provider") or None,
            start=bounds["start"],
            end=bounds["end"],
        )
        try:
            rows = usage_report(store, where, by, local)
        except Exception as exc:
            raise HTTPException(
                503, f"the audit store cannot be read ({type(exc).__name__})"
            ) from None
        return {
            "by": ",".join(by),
            "dimensions": list(USAGE_DIMENSIONS),
            "tz": str(local),
            "currency": "USD",
            "rows": [row.to_dict() for row in rows],
        }

    return router
