"""The policy pages: versions and history, a version's YAML, diff and approvals, the
editor (validate with the policy's own tests, dry run, propose), and the changes
(approve, activate, roll back), each one call of the admin API as the signed-in person.

A validation error names the line (``<upload>:12: rules[0].action: …``); the editor
shows the text with numbered lines and the message beside each line it names.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, Response

from gateway.admin.policies import MAX_POLICY_BYTES
from gateway.console.web import Page

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["Problem", "act", "check", "lint", "numbered", "overview", "rollback", "version"]

_AT_LINE = re.compile(r"^[^\n:]*:(\d+): (.*)$")
_ACTIONS = {"approve": "/approve", "activate": "/activate"}
_VERSION = re.compile(r"[A-Za-z0-9._-]{1,128}")
DRY_RUN_DAYS = 7


@dataclass(frozen=True, slots=True)
class Problem:
    line: int | None
    message: str


@dataclass(slots=True)
class Line:
    number: int
    text: str
    problems: list[str] = field(default_factory=list)


def problems(message: str) -> list[Problem]:
    """The loader's message, one problem per line, with the policy line each names."""
    found = []
    for text in message.splitlines():
        at = _AT_LINE.match(text.strip())
        if at:
            found.append(Problem(int(at.group(1)), at.group(2)))
        elif text.strip() and not text.rstrip().endswith(":"):  # not a heading line
            found.append(Problem(None, text.strip()))
    return found or [Problem(None, message)]


def numbered(text: str, found: list[Problem]) -> list[Line]:
    lines = [Line(n, t) for n, t in enumerate(text.splitlines(), 1)]
    for problem in found:
        if problem.line is not None and 1 <= problem.line <= len(lines):
            lines[problem.line - 1].problems.append(problem.message)
    return lines


async def overview(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    listing, history = await asyncio.gather(
        console.api.call(page.principal, "GET", "/policies", client=page.client),
        console.api.call(page.principal, "GET", "/policies/history",
                         query={"limit": "50"}, client=page.client),
    )  # fmt: skip
    for reply in (listing, history):
        if not reply.ok:
            return page.error(reply.status, reply.error(page.language))
    return page.render(
        "policies.html",
        listing=listing.data,
        history=history.data["changes"],
        editor=None,
    )


async def version(console: Console, page: Page, _form: FormData | None) -> Response:
    return await _version_page(console, page, page.request.path_params["version"])


async def _version_page(
    console: Console,
    page: Page,
    name: str,
    status: int = 200,
    problem: str | None = None,
    explained: dict[str, Any] | None = None,
) -> Response:
    assert page.principal is not None
    if not _VERSION.fullmatch(name):
        return page.error(404, page.t("not_found"))
    who, at = page.principal, page.client
    shown, diff, approvals = await asyncio.gather(
        console.api.call(who, "GET", f"/policies/{name}", client=at),
        console.api.call(who, "GET", f"/policies/{name}/diff", client=at),
        console.api.call(who, "GET", f"/policies/{name}/approvals", client=at),
    )
    for reply in (shown, diff, approvals):
        if not reply.ok:
            return page.error(reply.status, reply.error(page.language))
    active = await console.api.call(who, "GET", "/policies", client=at)
    return page.render(
        "version.html",
        status,
        stored=shown.data,
        lines=numbered(shown.data["yaml"], []),
        diff=diff.data,
        approvals=approvals.data,
        active=active.data.get("active") if active.ok else None,
        problem=problem,
        explained=explained,
    )


async def check(console: Console, page: Page, form: FormData | None) -> Response:
    """The editor's buttons: ``op`` = validate | dry_run | propose."""
    assert page.principal is not None and form is not None
    text = await _policy_text(form)
    op = str(form.get("op", "validate"))
    if len(text.encode()) > MAX_POLICY_BYTES:
        return page.error(413, f"a policy may be at most {MAX_POLICY_BYTES} bytes")
    path, query = {
        "validate": ("/policies/validate", None),
        "dry_run": ("/policies/dry-run", {"days": str(DRY_RUN_DAYS)}),
        "propose": ("/policies", None),
    }.get(op, ("/policies/validate", None))
    reply = await console.api.call(
        page.principal, "POST", path, query=query, body=text.encode(), client=page.client
    )
    if reply.ok and op == "propose":
        return page.redirect(f"/console/policies/v/{reply.data['version']}", "done.proposed")
    found = [] if reply.ok else problems(reply.error("en"))
    listing, history = await asyncio.gather(
        console.api.call(page.principal, "GET", "/policies", client=page.client),
        console.api.call(page.principal, "GET", "/policies/history",
                         query={"limit": "50"}, client=page.client),
    )  # fmt: skip
    editor = {
        "text": text,
        "op": op,
        "ok": reply.ok,
        "result": reply.data if reply.ok else None,
        "problems": found,
        "message_ko": reply.error("ko") if not reply.ok else None,
        "lines": numbered(text, found),
    }
    return page.render(
        "policies.html",
        reply.status if not reply.ok else 200,
        listing=listing.data if listing.ok else {"versions": [], "active": None},
        history=history.data["changes"] if history.ok else [],
        editor=editor,
    )


async def lint(console: Console, page: Page, form: FormData | None) -> Response:
    """The editor's check as one types: schema and YAML errors with their lines, as JSON.

    Compiles only (the Validate button also runs the policy's tests); not an admin
    record, as it changes nothing; the API allows one person ``CheckLimit`` a minute.
    """
    assert page.principal is not None and form is not None
    if not page.may("policy.test"):
        return JSONResponse({"error": page.t("policies.check_refused")}, 403)
    text = str(form.get("yaml", ""))
    if not text.strip():
        return JSONResponse({"valid": None, "problems": []})
    if len(text.encode()) > MAX_POLICY_BYTES:
        too_big = f"a policy may be at most {MAX_POLICY_BYTES} bytes"
        return JSONResponse({"valid": False, "problems": [{"line": None, "message": too_big}]})
    reply = await console.api.call(
        page.principal, "POST", "/policies/check", body=text.encode(), client=page.client
    )
    if reply.ok:
        return JSONResponse({"valid": True, "rules": reply.data["rules"], "problems": []})
    if reply.status == 429:
        wait = int(reply.headers.get("retry-after", "60"))
        return JSONResponse({"error": page.t("policies.check_paused"), "retry_after": wait},
                            429, headers={"retry-after": str(wait)})  # fmt: skip
    if reply.status not in (413, 422):  # refused or failed: not a problem of the text
        return JSONResponse({"error": reply.error(page.language)}, reply.status)
    found = problems(reply.error("en"))
    translated = reply.error(page.language)
    if len(found) == 1 and translated != reply.error("en"):
        found = [Problem(found[0].line, translated)]
    return JSONResponse({
        "valid": False,
        "problems": [{"line": p.line, "message": p.message} for p in found],
    })  # fmt: skip


async def act(console: Console, page: Page, form: FormData | None) -> Response:
    """Approve or activate exactly this version; the API enforces roles and four eyes."""
    assert page.principal is not None and form is not None
    name, action = page.request.path_params["version"], page.request.path_params["action"]
    if action == "explain" and _VERSION.fullmatch(name):
        return await _explain(console, page, name, str(form.get("sketch", "")))
    if action not in _ACTIONS or not _VERSION.fullmatch(name):
        return page.error(404, page.t("not_found"))
    reply = await console.api.call(
        page.principal, "POST", f"/policies/{name}{_ACTIONS[action]}", client=page.client
    )
    if not reply.ok:
        return await _version_page(console, page, name, reply.status, reply.error(page.language))
    return page.redirect(f"/console/policies/v/{name}", "done.policy")


async def _explain(console: Console, page: Page, name: str, sketch: str) -> Response:
    """Which rules a sketched request matches: the sketch is entity counts, never text."""
    assert page.principal is not None
    reply = await console.api.call(
        page.principal, "POST", f"/policies/{name}/explain", body=sketch.encode(),
        client=page.client,
    )  # fmt: skip
    # a refused sketch is not shown again: it may hold what it should not (a text)
    explained = {"sketch": sketch, "result": reply.data} if reply.ok else None
    problem = None if reply.ok else reply.error(page.language)
    return await _version_page(console, page, name, reply.status, problem, explained)


async def rollback(console: Console, page: Page, form: FormData | None) -> Response:
    assert page.principal is not None and form is not None
    to = str(form.get("to", "")).strip()
    query = {"to": to} if to else None
    reply = await console.api.call(
        page.principal, "POST", "/policies/rollback", query=query, client=page.client
    )
    if not reply.ok:
        if to and _VERSION.fullmatch(to):
            return await _version_page(console, page, to, reply.status, reply.error(page.language))
        return page.error(reply.status, reply.error(page.language))
    return page.redirect(f"/console/policies/v/{reply.data['to']}", "done.policy")


async def _policy_text(form: FormData) -> str:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_POLICY_BYTES + 1)
        return raw.decode("utf-8", errors="replace")
    return str(form.get("yaml", ""))
