"""Keys and identity: gateway keys (list, issue, revoke) and who is who.

Every read and change is a call of ``/admin/v1/keys`` or ``/admin/v1/identities``
as the signed-in person, so the API checks the role (``keys.read`` to look,
``keys.manage`` to issue or revoke) and writes the admin record. A key just
issued is shown on the answer to that POST alone: it is in no redirect, no
session and no later page (the page is ``no-store`` like every console page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import orjson
from starlette.datastructures import FormData
from starlette.responses import Response

from gateway.console.web import Page

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["create", "identities", "keys", "revoke"]


async def keys(console: Console, page: Page, _form: FormData | None) -> Response:
    return await _keys_page(console, page)


async def _keys_page(console: Console, page: Page, status: int = 200, **shown: object) -> Response:
    assert page.principal is not None
    reply = await console.api.call(page.principal, "GET", "/keys", client=page.client)
    if not reply.ok:
        return page.error(reply.status, reply.error(page.language))
    return page.render(
        "keys.html", status, enabled=reply.data["enabled"], keys=reply.data["keys"], **shown
    )


async def create(console: Console, page: Page, form: FormData | None) -> Response:
    assert page.principal is not None and form is not None
    groups = [g.strip() for g in str(form.get("groups", "")).split(",") if g.strip()]
    body = {"user": str(form.get("user", "")), "groups": groups, "note": str(form.get("note", ""))}
    reply = await console.api.call(
        page.principal, "POST", "/keys", body=orjson.dumps(body), client=page.client
    )
    if not reply.ok:
        return await _keys_page(console, page, reply.status, problem=reply.error(page.language))
    return await _keys_page(console, page, 201, issued=reply.data)


async def revoke(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    key_id = page.request.path_params["key_id"]
    reply = await console.api.call(
        page.principal, "POST", f"/keys/{quote(key_id, safe='')}/revoke", client=page.client
    )
    if not reply.ok:
        return await _keys_page(console, page, reply.status, problem=reply.error(page.language))
    return page.redirect("/console/keys", "done.key_revoked")


async def identities(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    reply = await console.api.call(page.principal, "GET", "/identities", client=page.client)
    if not reply.ok:
        return page.error(reply.status, reply.error(page.language))
    return page.render("identities.html", who=reply.data)
