"""What every console page shares: the request's context, rendering, CSRF and headers.

``Page`` is built once per request from the session cookie, the language and the
zone; handlers render templates through it. Every POST must carry the session's
CSRF token (``check_csrf``); every answer gets the headers of ``SecurityHeaders``:
a Content-Security-Policy that allows only this console's own script and style
files (no inline script, no inline style, no other origin), no framing, no
referrer, no caching of pages.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gateway.admin.auth import AdminPrincipal
from gateway.admin.roles import Action, may
from gateway.audit.timezone import resolve_zone
from gateway.console.i18n import LANG_COOKIE, TEXTS, Language, negotiate, translate
from gateway.console.sessions import Session, Sessions
from gateway.settings import ConsoleSettings
from gateway.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "SESSION_COOKIE",
    "Page",
    "SecurityHeaders",
    "check_csrf",
    "templates",
]

SESSION_COOKIE = "haetae_console"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def templates() -> Environment:
    folder = resources.files("gateway.console") / "templates"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class SecurityHeaders:
    """Adds the console's security headers to every answer (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                headers += _HEADERS
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, send_with_headers)


_NAMES = {name for name, _ in _HEADERS}


@dataclass(slots=True)
class Page:
    """One request to the console: who, in which language and zone, and how to answer."""

    request: Request
    env: Environment
    settings: ConsoleSettings
    key: str | None  # the session cookie's value
    session: Session | None
    language: Language
    zone: tzinfo
    zone_name: str

    @classmethod
    async def build(
        cls, request: Request, env: Environment, settings: ConsoleSettings,
        sessions: Sessions, review_zone: str,
    ) -> Page:  # fmt: skip
        key = request.cookies.get(SESSION_COOKIE)
        language = negotiate(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language", ""),
            settings.language,
        )
        zone_name = settings.timezone or ("Asia/Seoul" if language == "ko" else review_zone)
        return cls(
            request, env, settings, key, await sessions.get(key), language,
            resolve_zone(zone_name), zone_name,
        )  # fmt: skip

    @property
    def principal(self) -> AdminPrincipal | None:
        return self.session.principal if self.session is not None else None

    @property
    def client(self) -> str | None:
        return self.request.client.host if self.request.client else None

    def t(self, key: str) -> str:
        return translate(key, self.language)

    def may(self, action: Action) -> bool:
        """Whether to offer an action; the admin API decides whether it happens."""
        return self.principal is not None and may(self.principal.role, action)

    def time(self, seconds: float | None) -> str:
        if seconds is None:
            return ""
        stamp = datetime.fromtimestamp(seconds, self.zone)
        return stamp.strftime("%Y-%m-%d %H:%M:%S")

    def offset(self) -> str:
        return datetime.now(self.zone).strftime("UTC%z")

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        # what the previous action reports (after its redirect): a text key, nothing else
        notice = self.request.query_params.get("done", "")
        notices = [notice] if notice.startswith("done.") and notice in TEXTS else []
        html = self.env.get_template(template).render(
            page=self, t=self.t, notices=notices, **values
        )
        response = HTMLResponse(html, status)
        asked = self.request.query_params.get("lang")
        if asked in ("ko", "en"):
            response.set_cookie(
                LANG_COOKIE, asked, max_age=365 * 86400, path="/console",
                secure=self.secure, httponly=True, samesite="strict",
            )  # fmt: skip
        return response

    def error(self, status: int, message: str) -> HTMLResponse:
        return self.render("error.html", status, message=message)

    def redirect(self, path: str, notice: str | None = None) -> RedirectResponse:
        """303 to ``path``; ``notice`` (a ``done.*`` text key) is shown there."""
        return RedirectResponse(f"{path}?done={notice}" if notice else path, 303)

    @property
    def secure(self) -> bool:
        return self.settings.secure_cookies == "always" or self.request.url.scheme == "https"

    def set_session(self, response: Response, key: str) -> None:
        response.set_cookie(
            SESSION_COOKIE, key, path="/console", secure=self.secure,
            httponly=True, samesite="strict",
        )  # fmt: skip


def check_csrf(page: Page, form: Mapping[str, Any]) -> bool:
    """The form carries this session's token (sessions before sign-in have one too)."""
    sent = form.get("csrf")
    if page.session is None or not isinstance(sent, str):
        return False
    return hmac.compare_digest(sent.encode(), page.session.csrf.encode())
