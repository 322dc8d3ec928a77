"""The evidence page: sealed items by record, opened in the responder's browser.

The list comes from ``/admin/v1/evidence`` (``evidence.read``: incident
responders only), one admin record per listing. The page carries each sealed
value and its record id; ``static/evidence.js`` opens them with WebCrypto
(X25519, HKDF-SHA256, AES-256-GCM) using a private key the responder pastes or
picks on the page. The key field has no ``name`` and sits in no form, so no
submission can carry it; the script sends nothing anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.responses import Response

from gateway.admin.audit import FILTERS
from gateway.console.web import Page

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["FIELDS", "evidence"]

FIELDS = (*FILTERS, "start", "end", "request_id", "limit", "cursor")


async def evidence(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    params = page.request.query_params
    query = {n: params[n].strip() for n in FIELDS if params.get(n, "").strip()}
    query.setdefault("limit", "200")
    reply = await console.api.call(
        page.principal, "GET", "/evidence", query=query | {"tz": page.zone_name},
        client=page.client,
    )  # fmt: skip
    filters = {k: v for k, v in query.items() if k not in ("cursor", "limit")}
    if not reply.ok:
        if reply.status == 403:
            return page.error(403, reply.error(page.language))
        return page.render("evidence.html", reply.status, filters=filters, listing=None,
                           problem=reply.error(page.language), next_query=None)  # fmt: skip
    next_query = None
    if reply.data.get("next_cursor"):
        next_query = filters | {"cursor": reply.data["next_cursor"], "limit": query["limit"]}
    return page.render("evidence.html", filters=filters, listing=reply.data, problem=None,
                       next_query=next_query)  # fmt: skip
