"""The upstream client is shared by every caller, so it must keep no cookies.

A provider (or the CDN in front of it) sets cookies on its answers; a client with a
cookie jar would send what one caller's answer set along with every later caller's
request to that host. Hosts are named (``localhost``), not literal IPs, because
cookie jars refuse to store cookies for bare IP addresses.
"""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiohttp import web

from gateway.settings import load_settings
from gateway.upstream import build_upstream


async def _cookies_seen_by_provider(transport: str) -> list[str | None]:
    seen: list[str | None] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie"))
        reply = web.json_response({"id": "chatcmpl-1"})
        reply.set_cookie("__cf_bm", "caller-one-affinity", path="/", max_age=3600)
        return reply

    app = web.Application()
    app.router.add_post("/v1/chat/completions", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    settings = load_settings(environ={}, overrides={"forward.transport": transport})
    upstream = build_upstream(settings.forward, settings.timeouts)
    try:
        for caller in ("alice", "bob"):
            response = await upstream.open(
                "openai",
                "POST",
                f"http://localhost:{port}/v1/chat/completions",
                [(b"content-type", b"application/json"), (b"x-caller", caller.encode())],
                orjson.dumps({"model": "gpt-4o-mini", "messages": []}),
            )
            assert response.status_code == 200
            assert b"chatcmpl-1" in b"".join([chunk async for chunk in response.chunks()])
            await response.aclose()
    finally:
        await upstream.aclose()
        await runner.cleanup()
    return seen


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_a_cookie_one_callers_answer_set_is_not_sent_for_the_next(transport: str) -> None:
    assert asyncio.run(_cookies_seen_by_provider(transport)) == [None, None]
