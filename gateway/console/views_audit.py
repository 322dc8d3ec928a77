"""The audit pages: search with every filter of the API, record detail, export.

A record is shown as the store keeps it: entity types, places, counts and keyed
fingerprints, never a matched value (the store has none). Sealed evidence is
only said to exist; it is opened offline with the responder's private key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.responses import Response

from gateway.admin.audit import FILTERS
from gateway.console.web import Page
from gateway.types import Receive, Scope, Send

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["SEARCH_FIELDS", "export", "search"]

#: what the search form sends on to the API (``tz`` is the page's zone)
SEARCH_FIELDS = (*FILTERS, "direction", "start", "end", "limit", "order", "cursor")
EXPORT_FORMATS = ("csv", "jsonl")


def _query(page: Page, names: tuple[str, ...]) -> dict[str, str]:
    params = page.request.query_params
    query = {name: params[name].strip() for name in names if params.get(name, "").strip()}
    return query | {"tz": page.zone_name}


async def search(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    query = _query(page, SEARCH_FIELDS)
    reply = await console.api.call(
        page.principal, "GET", "/audit", query=query | {"total": "true"}, client=page.client
    )
    filters = {k: v for k, v in query.items() if k not in ("cursor", "tz")}
    if not reply.ok:
        return page.render(
            "audit.html", reply.status, filters=filters, problem=reply.error(page.language),
            records=[], total=None, next_query=None, export_query=None,
        )  # fmt: skip
    next_query = None
    if reply.data.get("next_cursor"):
        next_query = {**filters, "cursor": reply.data["next_cursor"]}
    export_query = {k: v for k, v in filters.items() if k in (*FILTERS, "start", "end")}
    return page.render(
        "audit.html",
        filters=filters,
        problem=None,
        records=reply.data["records"],
        total=reply.data.get("total"),
        next_query=next_query,
        export_query=export_query,
    )


async def export(console: Console, page: Page, _form: FormData | None) -> Response:
    """Streamed from the API as it reads the store: any size, constant memory."""
    assert page.principal is not None
    kind = page.request.query_params.get("format", "csv")
    if kind not in EXPORT_FORMATS:
        return page.error(400, "format: csv | jsonl")
    query = _query(page, (*FILTERS, "start", "end")) | {"format": kind}
    if kind == "csv":
        query["encoding"] = "utf-8-sig"  # the byte-order mark makes Excel read Korean right
    principal = page.principal
    return _Streamed(lambda browser: console.api.stream(principal, "/audit/export", query, browser))


class _Streamed(Response):
    """A response whose whole ASGI exchange is the admin API's own (status, headers, body)."""

    def __init__(self, run: Callable[[tuple[Scope, Receive, Send]], Awaitable[None]]) -> None:
        super().__init__()
        self._run = run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._run((scope, receive, send))
