"""Assembles the console: sign-in and sign-out here, the pages in ``views_*.py``.

Every page but sign-in needs a live signed-in session; every POST needs the
session's CSRF token. Sign-in, refused sign-in and sign-out are admin records
(``console.signin``, ``console.signout``) in the audit chain beside the API's
own records of what the person then did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.admin.auth import AdminAuth, AdminPrincipal
from gateway.admin.journal import AdminJournal
from gateway.console.admin_client import AdminClient
from gateway.console.oidc import OidcClient, OidcError
from gateway.console.passwords import verify_local_admin
from gateway.console.services import Console
from gateway.console.sessions import MemorySessions, Sessions
from gateway.console.throttle import SignInThrottle
from gateway.console.web import SESSION_COOKIE, Page, SecurityHeaders, check_csrf, templates
from gateway.settings import ConsoleSettings
from gateway.types import ASGIApp

__all__ = ["build_console"]

OIDC_COOKIE = "haetae_console_oidc"
Handler = Callable[["Console", Page, FormData | None], Awaitable[Response]]


def build_console(
    settings: ConsoleSettings,
    *,
    admin: ASGIApp,
    tokens: AdminAuth,
    journal: AdminJournal,
    health: Callable[[], Mapping[str, Any]],
    review_zone: str,
    oidc: OidcClient | None = None,
    sessions: Sessions | None = None,
    replicas: Callable[[], Awaitable[dict[str, Any]]] | None = None,
) -> ASGIApp:
    """``sessions``: shared ones (Redis) for several workers or replicas; else this process's.

    ``replicas``: every replica's health (``ReplicaBeacon.report``) for the overview.
    """
    from gateway.console import (
        views_audit,
        views_charts,
        views_crosstab,
        views_evidence,
        views_keys,
        views_overview,
        views_policies,
        views_verify,
    )

    console = Console(
        settings,
        sessions
        or MemorySessions(
            settings.idle_minutes * 60, settings.max_hours * 3600, settings.max_sessions
        ),
        AdminClient(admin),
        tokens,
        journal,
        oidc,
        health,
        review_zone,
        templates(),
        SignInThrottle(),
        replicas,
    )

    def route(path: str, handler: Handler, *, post: bool = False, public: bool = False) -> Route:
        async def endpoint(request: Request) -> Response:
            page = await console.page(request)
            if not post:
                return await _guarded(page)
            form = await request.form(max_files=1, max_fields=50, max_part_size=1024 * 1024)
            try:  # an uploaded file is spooled to a temporary file: closed whatever happens
                if not check_csrf(page, form):
                    return page.error(403, page.t("csrf"))
                return await _guarded(page, form)
            finally:
                await form.close()

        async def _guarded(page: Page, form: FormData | None = None) -> Response:
            if not public and page.principal is None:
                if post:
                    return page.error(401, page.t("sign_in.expired"))
                ended = "?ended=1" if page.key else ""
                return RedirectResponse(f"/console/signin{ended}", 303)
            return await handler(console, page, form)

        methods = ["POST"] if post else ["GET", "HEAD"]
        return Route(path, endpoint, methods=methods, name=handler.__name__)

    static = resources.files("gateway.console") / "static"
    routes = [
        Route("/console", lambda _r: RedirectResponse("/console/", 308)),
        route("/console/", views_overview.overview),
        route("/console/signin", sign_in_page, public=True),
        route("/console/signin/password", sign_in_password, post=True, public=True),
        route("/console/signin/token", sign_in_token, post=True, public=True),
        route("/console/oidc/start", oidc_start, public=True),
        route("/console/oidc/callback", oidc_callback, public=True),
        route("/console/signout", sign_out, post=True),
        route("/console/audit", views_audit.search),
        route("/console/audit/export", views_audit.export),
        route("/console/audit/crosstab", views_crosstab.crosstab),
        route("/console/audit/charts", views_charts.charts),
        route("/console/audit/verify", views_verify.verify_job),
        route("/console/audit/verify", views_verify.verify_start, post=True),
        route("/console/policies", views_policies.overview),
        route("/console/policies/check", views_policies.check, post=True),
        route("/console/policies/lint", views_policies.lint, post=True),
        route("/console/policies/rollback", views_policies.rollback, post=True),
        route("/console/policies/v/{version}", views_policies.version),
        route("/console/policies/v/{version}/{action}", views_policies.act, post=True),
        route("/console/keys", views_keys.keys),
        route("/console/keys/create", views_keys.create, post=True),
        route("/console/keys/{key_id}/revoke", views_keys.revoke, post=True),
        route("/console/identities", views_keys.identities),
        route("/console/evidence", views_evidence.evidence),
        Mount("/console/static", StaticFiles(directory=str(static)), name="static"),
    ]
    app = Starlette(routes=routes)

    async def not_found(request: Request, _exc: Exception) -> Response:
        page = await console.page(request)
        return page.error(404, page.t("not_found"))

    app.add_exception_handler(404, not_found)
    return SecurityHeaders(app)


async def sign_in_page(console: Console, page: Page, _form: FormData | None) -> Response:
    if page.principal is not None:
        return RedirectResponse("/console/", 303)
    key, session = page.key, page.session
    if session is None:
        key, session = await console.sessions.anonymous()
        page.session = session
    ended = page.request.query_params.get("ended") == "1"
    response = _sign_in(console, page, 200, page.t("sign_in.expired") if ended else None)
    if key != page.key and key is not None:
        page.set_session(response, key)
    return response


def _sign_in(console: Console, page: Page, status: int, message: str | None) -> Response:
    return page.render(
        "signin.html",
        status,
        message=message,
        oidc=console.oidc is not None,
        passwords=bool(console.settings.local_admins),
        tokens=bool(console.tokens.principals),
    )


async def sign_in_password(console: Console, page: Page, form: FormData | None) -> Response:
    assert form is not None
    if (refused := await _throttled(console, page, "password")) is not None:
        return refused
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    admins = console.settings.local_admins
    if await verify_local_admin(admins, name, password):
        return await _signed_in(console, page, AdminPrincipal(name, "admin"), "password")
    who = AdminPrincipal(name, "admin") if name in admins else None  # never a typed password
    return await _failed(console, page, who, "password")


async def sign_in_token(console: Console, page: Page, form: FormData | None) -> Response:
    assert form is not None
    if (refused := await _throttled(console, page, "token")) is not None:
        return refused
    principal = console.tokens.principal_for(str(form.get("token", "")))
    if principal is not None:
        return await _signed_in(console, page, principal, "token")
    return await _failed(console, page, None, "token")


async def _throttled(console: Console, page: Page, method: str) -> Response | None:
    wait = console.throttle.wait(page.client)
    if not wait:
        return None
    await console.record(page, None, "console.signin", "denied", 429, method=method,
                         reason="throttled")  # fmt: skip
    response = _sign_in(console, page, 429, page.t("sign_in.throttled"))
    response.headers["retry-after"] = str(int(wait) + 1)
    return response


async def _failed(
    console: Console, page: Page, who: AdminPrincipal | None, method: str
) -> Response:
    console.throttle.failed(page.client)
    await console.record(page, who, "console.signin", "denied", 401, method=method,
                         reason="credentials")  # fmt: skip
    return _sign_in(console, page, 401, page.t("sign_in.failed"))


async def _signed_in(
    console: Console,
    page: Page,
    principal: AdminPrincipal,
    method: str,
    *,
    continue_page: bool = False,
) -> Response:
    await console.record(page, principal, "console.signin", "ok", 200, method=method)
    key = await console.sessions.sign_in(page.key, principal, method)
    # After the identity provider's cross-site redirect a Strict cookie is not sent on a
    # further redirect in the same chain: a page of ours starts a same-site navigation.
    response: Response = (
        page.render("continue.html") if continue_page else RedirectResponse("/console/", 303)
    )
    page.set_session(response, key)
    return response


async def oidc_start(console: Console, page: Page, _form: FormData | None) -> Response:
    if console.oidc is None:
        return page.error(404, page.t("not_found"))
    try:
        url, binding = await console.oidc.start(str(page.request.url_for("oidc_callback")))
    except OidcError as exc:
        return page.error(502, f"{page.t('sign_in.oidc_failed')}: {exc}")
    response = RedirectResponse(url, 303)
    response.set_cookie(
        OIDC_COOKIE, binding, max_age=600, path="/console/oidc", secure=page.secure,
        httponly=True, samesite="lax",
    )  # fmt: skip
    return response


async def oidc_callback(console: Console, page: Page, _form: FormData | None) -> Response:
    if console.oidc is None:
        return page.error(404, page.t("not_found"))
    params = page.request.query_params
    if params.get("error") or not params.get("code") or not params.get("state"):
        # the provider's error code only: its description could say anything
        reason = (params.get("error") or "no code")[:64]
        return page.error(401, f"{page.t('sign_in.oidc_failed')}: {reason}")
    try:
        user, groups = await console.oidc.finish(
            params["code"], params["state"], page.request.cookies.get(OIDC_COOKIE)
        )
    except OidcError as exc:
        await console.record(page, None, "console.signin", "denied", 401, method="oidc",
                             reason="oidc")  # fmt: skip
        return page.error(401, f"{page.t('sign_in.oidc_failed')}: {exc}")
    principal = console.oidc.principal(user, groups)
    if principal is None:
        await console.record(page, (user, "none"), "console.signin", "denied", 403, method="oidc",
                             reason="no_role", groups=groups[:50])  # fmt: skip
        return page.error(403, page.t("sign_in.no_role"))
    response = await _signed_in(console, page, principal, "oidc", continue_page=True)
    response.delete_cookie(OIDC_COOKIE, path="/console/oidc")
    return response


async def sign_out(console: Console, page: Page, _form: FormData | None) -> Response:
    await console.record(page, page.principal, "console.signout", "ok", 200)
    await console.sessions.end(page.key)
    response = RedirectResponse("/console/signin", 303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response
