"""The console's calls to the admin API, in process, as the signed-in person.

Each call is an ASGI request to the admin application with the principal under
``CONSOLE_PRINCIPAL`` in the scope (a key no HTTP request can set), so the API
checks that person's role and writes the admin record (``details.via:
"console"``) exactly as for a token. Answers are small JSON (a page of at most
1,000 records); exports are streamed straight through to the browser instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

from gateway.admin.auth import CONSOLE_PRINCIPAL, AdminPrincipal
from gateway.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AdminClient", "AdminReply"]

PREFIX = "/admin/v1"


@dataclass(frozen=True, slots=True)
class AdminReply:
    status: int
    data: Any
    #: the answer's headers, names in lower case (a refusal's ``retry-after``)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self, language: str) -> str:
        """The API's error message, in Korean when it has one and the page is Korean."""
        error = self.data.get("error", {}) if isinstance(self.data, dict) else {}
        if language == "ko" and error.get("message_ko"):
            return str(error["message_ko"])
        return str(error.get("message") or f"HTTP {self.status}")


class AdminClient:
    def __init__(self, admin: ASGIApp) -> None:
        self._admin = admin

    async def call(
        self,
        principal: AdminPrincipal,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes = b"",
        client: str | None = None,
    ) -> AdminReply:
        scope = _scope(principal, method, path, query, client)
        scope["headers"] = [
            (b"content-type", b"application/yaml"),
            (b"content-length", str(len(body)).encode()),
        ]
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        chunks: list[bytes] = []
        headers: dict[str, str] = {}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    headers[name.decode("latin-1").lower()] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._admin(scope, receive, send)
        raw = b"".join(chunks)
        try:
            data = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            data = {"error": {"message": "the admin API answered something other than JSON"}}
        return AdminReply(status, data, headers)

    async def stream(
        self,
        principal: AdminPrincipal,
        path: str,
        query: Mapping[str, str],
        browser: tuple[Scope, Receive, Send],
    ) -> None:
        """A GET whose answer goes to the browser as it is produced (exports)."""
        scope, receive, send = browser
        inner = _scope(principal, "GET", path, query, _client_host(scope))
        inner["headers"] = []
        await self._admin(inner, receive, send)


def _scope(
    principal: AdminPrincipal,
    method: str,
    path: str,
    query: Mapping[str, str] | None,
    client: str | None,
) -> Scope:
    full = PREFIX + path
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": full,
        "raw_path": full.encode(),
        "root_path": "",
        "query_string": urlencode(dict(query or {})).encode(),
        "client": (client, 0) if client else None,
        "server": ("console", 0),
        "state": {},
        CONSOLE_PRINCIPAL: principal,
    }


def _client_host(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None
