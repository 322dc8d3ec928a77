"""Sessions shared through Redis: any replica serves a signed-in browser, a sign-out
anywhere ends the session everywhere, and Redis cannot forge one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import redis

from gateway.admin.auth import AdminPrincipal
from gateway.console.redis_sessions import RedisSessions
from tests.console.conftest import csrf_of, sign_in_with_token
from tests.support.rollout import TOKEN, rollout_stack
from tests.support.stack import GatewayStack

SESSION_KEY = "console-session-key-shared-by-replicas-0001"


@contextlib.contextmanager
def replicas(tmp_path: Path, redis_url: str, key_prefix: str) -> Iterator[list[GatewayStack]]:
    environ = {"HAETAE_CONSOLE_SESSION_KEY": SESSION_KEY}
    with (
        rollout_stack(tmp_path / "a", environ=environ, redis_url=redis_url,
                      key_prefix=key_prefix) as a,
        rollout_stack(tmp_path / "b", environ=environ, redis_url=redis_url,
                      key_prefix=key_prefix) as b,
    ):  # fmt: skip
        yield [a, b]


def test_any_replica_serves_a_signed_in_browser(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    with replicas(tmp_path, redis_url, key_prefix) as (a, b):
        with httpx.Client(base_url=a.url(""), follow_redirects=True) as on_a:
            assert sign_in_with_token(on_a, TOKEN).url.path == "/console/"
            cookie = on_a.cookies["haetae_console"]
        with httpx.Client(base_url=b.url(""), follow_redirects=True) as on_b:
            on_b.cookies.set("haetae_console", cookie, path="/console")
            page = on_b.get("/console/policies")
            assert page.url.path == "/console/policies"  # signed in on B too
            # a form from A's page is accepted by B: one session, one CSRF token
            out = on_b.post("/console/signout", data={"csrf": csrf_of(page.text)})
            assert out.url.path == "/console/signin"
        with httpx.Client(base_url=a.url(""), follow_redirects=True) as again_a:
            again_a.cookies.set("haetae_console", cookie, path="/console")
            assert again_a.get("/console/").url.path == "/console/signin"  # ended everywhere
        client = redis.Redis.from_url(redis_url)
        left = [client.get(k) for k in client.keys(f"{key_prefix}console:session:*")]
        client.close()
        # what is left are the sign-in forms' sessions: nobody is signed in any more
        assert left and all(b'"name":null' in (value or b"") for value in left)


def test_a_session_written_or_moved_by_redis_is_refused(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> None:
        sessions = RedisSessions(redis_url, SESSION_KEY.encode(), idle=60, max_age=600,
                                 prefix=f"{key_prefix}console:session:")  # fmt: skip
        other = RedisSessions(redis_url, b"another key, not the replicas' one!!", idle=60,
                              max_age=600, prefix=f"{key_prefix}console:session:")  # fmt: skip
        try:
            viewer = await sessions.sign_in(None, AdminPrincipal("vic", "viewer"), "token")
            admin = await sessions.sign_in(None, AdminPrincipal("root", "admin"), "token")
            found = await sessions.get(viewer)
            assert found is not None and found.principal == AdminPrincipal("vic", "viewer")
            # whoever writes Redis without the key: a forged admin session is refused
            forged = await other.sign_in(None, AdminPrincipal("mallory", "admin"), "token")
            assert await sessions.get(forged) is None
            # moving the admin's value under the viewer's key does not make vic an admin
            client = redis.Redis.from_url(redis_url)
            names = {k: client.get(k) for k in client.keys(f"{key_prefix}console:session:*")}
            admin_name = next(n for n, v in names.items() if v and b'"root"' in v)
            viewer_name = next(n for n, v in names.items() if v and b'"vic"' in v)
            client.set(viewer_name, names[admin_name])
            assert await sessions.get(viewer) is None
            assert await sessions.get(admin) is not None
            client.close()
        finally:
            await sessions.aclose()
            await other.aclose()

    asyncio.run(scenario())
