"""Sealed evidence for incident responders, under ``/admin/v1/evidence``.

``evidence.read`` is the ``incident_responder``'s alone (``roles.py``). The
answer lists the records of a search that carry sealed evidence, each with its
sealed value as the store keeps it (``v1.`` + base64url of the ephemeral X25519
key, nonce and AES-GCM ciphertext; ``gateway/audit/evidence.py``). The server
cannot open it and does not try: the responder opens it with the private key,
in the browser (the console's evidence page) or offline (``haetae audit
evidence``). Each listing is an admin record with its query, like a search.
"""

from __future__ import annotations

import asyncio
from datetime import tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request

from gateway.admin.audit import (
    FILTERS,
    parse_filter,
    parse_zone,
    recorded_query,
    refuse_unknown,
)
from gateway.admin.journal import AdminCall, requires
from gateway.audit.record import AuditRecord
from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["evidence_router"]

_PARAMS = frozenset({*FILTERS, "start", "end", "limit", "cursor", "tz", "request_id"})
_MAX = 200


def evidence_router(store: SQLAuditStore, zone: tzinfo, sealing: bool) -> APIRouter:
    """``sealing``: whether this gateway seals evidence now (older records may have some)."""
    router = APIRouter()

    @router.get("/evidence")
    async def evidence(
        request: Request, call: Annotated[AdminCall, requires("evidence.read")]
    ) -> dict[str, Any]:
        params = dict(request.query_params)
        async with call.recorded():
            call.details["query"] = recorded_query(params, _PARAMS)
            return await asyncio.to_thread(_list, params)

    def _list(params: dict[str, str]) -> dict[str, Any]:
        refuse_unknown(params, _PARAMS)
        search = {k: v for k, v in params.items() if k != "request_id"}
        where = parse_filter(search, parse_zone(search, zone))
        try:
            limit = int(params.get("limit", "50"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= _MAX:
            raise HTTPException(400, f"limit must be a whole number from 1 to {_MAX}")
        try:
            page = store.search(where, limit=limit, cursor=params.get("cursor") or None)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        wanted = params.get("request_id")
        items = [
            _item(r)
            for r in page.records
            if r.evidence is not None and (not wanted or r.request_id == wanted)
        ]
        return {
            "sealing": sealing,
            "searched": len(page.records),
            "items": items,
            "next_cursor": page.next_cursor,
        }

    return router


def _item(record: AuditRecord) -> dict[str, Any]:
    """What a responder needs to pick a record and open it: never a value, only the seal."""
    return {
        "record_id": record.record_id,  # the seal's associated data: needed to open it
        "request_id": record.request_id,
        "time": record.time,
        "user": record.user,
        "provider": record.provider,
        "decision": record.decision,
        "rules": list(record.rule_ids),
        "entities": dict(record.entities),
        "evidence": record.evidence,
    }
