"""REQMOD of a request to an AI web app (chatgpt.com, claude.ai, ...): the forward proxy's verdict.

No dialect reads these applications' traffic, so the request is judged as a
whole by the forward proxy's own :class:`ConnectionJudge` (identify with the
proxy's vouched user, admit, decide; one audit record with ``api: web_app``)
and answered as the forward proxy answers a browser: allowed, ``204``; refused,
the block page (HTML, ``403``) in the caller's language, with the policy's
message and the request id. Any failure to judge refuses (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gateway.icap.transactions import CURRENT, Transaction
from gateway.policy.messages import Language, choose_language
from gateway.proxy.pages import block_page

if TYPE_CHECKING:
    from gateway.providers.webapps import WebApp
    from gateway.proxy.judge import ConnectionJudge

__all__ = ["BlockPage", "WebAppGate"]

#: (status, headers, body) of the HTTP answer that replaces the request
BlockPage = tuple[int, list[tuple[bytes, bytes]], bytes]


class WebAppGate:
    def __init__(self, judge: ConnectionJudge, default_language: Callable[[], Language]) -> None:
        self._judge = judge
        self._language = default_language

    async def __call__(
        self,
        app: WebApp,
        host: str,
        method: str,
        headers: list[tuple[bytes, bytes]],
        transaction: Transaction,
        peer: str,
    ) -> BlockPage | None:
        """None when the policy allows ``app`` (recorded); else the block page to send."""
        token = CURRENT.set(transaction)  # the identify stage reads the proxy's word from it
        try:
            verdict = await self._judge(app, host, headers, peer, method)
        finally:
            CURRENT.reset(token)
        if verdict.allowed:
            return None
        accept = next((v for n, v in headers if n == b"accept-language"), None)
        language = choose_language(accept.decode("latin-1") if accept else None, self._language())
        page = block_page(app, host, language, verdict)
        fields = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-language", language.encode()),
            (b"cache-control", b"no-store"),
            (b"x-haetae-request-id", verdict.request_id.encode()),
        ]
        return 403, fields, page
