"""``/admin/v1/audit/export`` and ``/admin/v1/audit/verify``: what an auditor takes away.

Export streams page by page (constant memory, any size) as JSON lines or CSV
for Excel (``encoding=utf-8-sig`` by default, ``cp949``, ``utf-8``), times in
the review zone. The first page is read before the answer starts, so a store
that can't be read is a 503, not an empty file. Verify runs the same check as
``haetae audit verify`` (chain, signatures, witness) and answers with its
report: 200 whatever it found, since the report is the answer.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from gateway.admin.audit import FILTERS, parse_filter, parse_zone
from gateway.admin.journal import AdminCall, requires
from gateway.audit.export import CSV_ENCODINGS, csv_lines, encode_lines, matching
from gateway.audit.verify_store import verify_store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from gateway.audit.chain import Witness
    from gateway.audit.record import AuditRecord
    from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["audit_review_router"]

_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


def _unreadable(exc: Exception) -> HTTPException:
    return HTTPException(503, f"the audit store cannot be read ({type(exc).__name__})")


def audit_review_router(
    store: SQLAuditStore,
    *,
    public_keys: list[Ed25519PublicKey],
    witness: Witness | None,
    zone: tzinfo = UTC,
) -> APIRouter:
    router = APIRouter()
    export_params = {*FILTERS, "start", "end", "tz", "format", "encoding"}

    @router.get("/audit/export")
    async def export(
        request: Request, call: Annotated[AdminCall, requires("audit.read")]
    ) -> StreamingResponse:
        params = dict(request.query_params)
        async with call.recorded():  # who exported what: the query, never the records
            call.details["query"] = {
                name: (value[:200] if name in export_params else "…")
                for name, value in sorted(params.items())
            }
            return await asyncio.to_thread(_export, params)

    def _export(params: dict[str, str]) -> StreamingResponse:
        extra = sorted(set(params) - export_params)
        if extra:
            allowed = ", ".join(sorted(export_params))
            raise HTTPException(400, f"unknown parameter {extra[0]!r}; allowed: {allowed}")
        kind, encoding = params.get("format", "csv"), params.get("encoding", "utf-8-sig")
        if kind not in _MEDIA:
            raise HTTPException(400, "format must be 'csv' (for spreadsheets) or 'jsonl'")
        if encoding not in CSV_ENCODINGS:
            raise HTTPException(400, f"encoding must be one of {', '.join(CSV_ENCODINGS)}")
        local = parse_zone(params, zone)
        records = matching(store, parse_filter(params, local))
        try:
            first = list(itertools.islice(records, 1))  # a dead store is a 503, not a 200
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        except Exception as exc:
            raise _unreadable(exc) from None
        rows = itertools.chain(first, records)
        if kind == "csv":
            body = encode_lines(csv_lines(rows, local), encoding)
            charset = "utf-8" if encoding.startswith("utf-8") else encoding
            media = f"text/csv; charset={charset}"
        else:
            body, media = _jsonl(rows), _MEDIA["jsonl"]
        headers = {"content-disposition": f'attachment; filename="haetae-audit.{kind}"'}
        return StreamingResponse(body, media_type=media, headers=headers)

    @router.get("/audit/verify")
    async def verify(
        request: Request, call: Annotated[AdminCall, requires("audit.verify")]
    ) -> dict[str, Any]:
        async with call.recorded():
            if request.query_params:
                raise HTTPException(400, "verify takes no parameters")
            return await asyncio.to_thread(_verify)

    def _verify() -> dict[str, Any]:
        try:
            result = verify_store(store, public_keys, witness)
        except Exception as exc:
            raise _unreadable(exc) from None
        return result.as_dict(witness)

    return router


def _jsonl(records: Iterator[AuditRecord]) -> Iterator[bytes]:
    import orjson

    for record in records:
        yield orjson.dumps(record.to_dict()) + b"\n"
