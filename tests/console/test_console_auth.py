"""Signing in and out, sessions, CSRF and the headers every page carries."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from gateway.admin.auth import AdminPrincipal
from gateway.console.sessions import ANONYMOUS_IDLE, MemorySessions
from gateway.console.web import CSP
from tests.console.conftest import BREAK_GLASS, TOKENS, ConsoleStack, csrf_of, sign_in_with_token


def admin_events(console: ConsoleStack, action: str) -> list[dict[str, object]]:
    records = console.stack.app.audit.records_between(0, time.time() + 1)
    return [
        r.to_dict() for r in records if r.decision == "admin" and r.details.get("action") == action
    ]


def test_pages_need_a_session_and_sign_in_with_a_token_opens_them(console: ConsoleStack) -> None:
    with console.browser() as browser:
        first = browser.get("/console/audit")
        assert first.url.path == "/console/signin"
        assert "Sign in to the Haetae console" in first.text
        signed = sign_in_with_token(browser, TOKENS["audrey"])
        assert signed.url.path == "/console/"
        assert "audrey" in signed.text and "auditor" in signed.text
        assert browser.get("/console/audit").status_code == 200

    (event,) = admin_events(console, "console.signin")
    assert event["user"] == "audrey"
    assert event["details"]["outcome"] == "ok"
    assert event["details"]["method"] == "token"
    assert event["details"]["role"] == "auditor"


def test_a_wrong_token_or_password_is_refused_and_recorded(console: ConsoleStack) -> None:
    with console.browser() as browser:
        refused = sign_in_with_token(browser, "not-a-token-of-anyone-0000")
        assert refused.status_code == 401
        assert "Sign-in failed" in refused.text
        form = browser.get("/console/signin")
        wrong = browser.post(
            "/console/signin/password",
            data={"csrf": csrf_of(form.text), "name": BREAK_GLASS[0], "password": "guess-guess-1"},
        )
        assert wrong.status_code == 401
        assert browser.get("/console/").url.path == "/console/signin"

    events = admin_events(console, "console.signin")
    assert [e["details"]["outcome"] for e in events] == ["denied", "denied"]
    assert events[0]["user"] == "unknown"  # nobody's name is guessed from a bad token
    assert events[1]["user"] == BREAK_GLASS[0]
    assert all("guess" not in str(e) for e in events)


def test_break_glass_password_signs_in_as_admin(console: ConsoleStack) -> None:
    with console.browser() as browser:
        form = browser.get("/console/signin")
        reply = browser.post(
            "/console/signin/password",
            data={"csrf": csrf_of(form.text), "name": BREAK_GLASS[0], "password": BREAK_GLASS[1]},
        )
        assert reply.url.path == "/console/"
        assert "<code>admin</code>" in reply.text


def test_cookies_are_http_only_strict_and_scoped(console: ConsoleStack) -> None:
    with console.browser() as browser:
        browser.get("/console/signin")
        reply = browser.post(
            "/console/signin/token",
            data={"csrf": csrf_of(browser.get("/console/signin").text), "token": TOKENS["vic"]},
            follow_redirects=False,
        )
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("haetae_console=")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/console"):
        assert attribute.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # plain HTTP here; see the next test


def test_secure_cookies_always(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.rollout import rollout_stack

    settings = {"console.secure_cookies": "always"}
    with rollout_stack(tmp_path, settings=settings) as stack:
        reply = httpx.get(stack.url("/console/signin"))
    assert "; secure" in reply.headers["set-cookie"].lower()


def test_every_post_needs_the_session_csrf_token(console: ConsoleStack) -> None:
    with console.signed_in("root") as root, console.signed_in("bob") as other:
        token = csrf_of(root.get("/console/policies").text)
        for data in ({}, {"csrf": "forged"}, {"csrf": csrf_of(other.get("/console/").text)}):
            refused = root.post("/console/policies/rollback", data=data)
            assert refused.status_code == 403
            assert "did not come from this console" in refused.text
        missing = root.post("/console/signout", data={})
        assert missing.status_code == 403
        assert root.get("/console/").url.path == "/console/"  # still signed in
        # with the right token it goes through: a sign-out
        out = root.post("/console/signout", data={"csrf": token})
        assert out.url.path == "/console/signin"
    assert not admin_events(console, "policy.rollback")  # no forged POST reached the API


def test_sign_in_form_has_its_own_csrf_token(console: ConsoleStack) -> None:
    with console.browser() as browser:
        browser.get("/console/signin")
        reply = browser.post("/console/signin/token", data={"token": TOKENS["root"]})
        assert reply.status_code == 403
        assert browser.get("/console/").url.path == "/console/signin"


def test_sign_out_ends_the_session_on_the_server(console: ConsoleStack) -> None:
    with console.signed_in("vic") as browser:
        cookie = browser.cookies["haetae_console"]
        browser.post("/console/signout", data={"csrf": csrf_of(browser.get("/console/").text)})
    # a copy of the cookie taken before sign-out opens nothing
    with console.browser() as thief:
        thief.cookies.set("haetae_console", cookie, path="/console")
        reply = thief.get("/console/")
        assert reply.url.path == "/console/signin"
        assert "session has ended" in reply.text
    (event,) = admin_events(console, "console.signout")
    assert event["user"] == "vic"


def test_security_headers_on_pages_and_files(console: ConsoleStack) -> None:
    with console.signed_in("root") as browser:
        for path in ("/console/", "/console/audit", "/console/static/console.css", "/nope"):
            reply = browser.get(path.replace("/nope", "/console/nope"))
            assert reply.headers["content-security-policy"] == CSP
            assert reply.headers["x-frame-options"] == "DENY"
            assert reply.headers["x-content-type-options"] == "nosniff"
            assert reply.headers["referrer-policy"] == "no-referrer"
        page = browser.get("/console/")
        assert page.headers["cache-control"] == "no-store"
        assert "<script>" not in page.text and " style=" not in page.text
        assert browser.get("/console/nope").status_code == 404


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sessions_end_when_idle_or_too_old() -> None:
    async def scenario() -> None:
        clock = Clock()
        store = MemorySessions(idle=60, max_age=300, capacity=10, clock=clock)
        key = await store.sign_in(None, AdminPrincipal("a", "viewer"), "token")
        for _ in range(4):  # activity keeps it alive ...
            clock.now += 59
            assert await store.get(key) is not None
        clock.now += 61  # ... an idle minute ends it
        assert await store.get(key) is None

        key = await store.sign_in(None, AdminPrincipal("a", "viewer"), "token")
        for _ in range(6):
            clock.now += 55
            await store.get(key)
        assert await store.get(key) is None  # 330 s after sign-in, however active

    asyncio.run(scenario())


def test_anonymous_sessions_neither_last_nor_crowd_out_signed_in_ones() -> None:
    async def scenario() -> None:
        clock = Clock()
        store = MemorySessions(idle=3600, max_age=36000, capacity=10, clock=clock)
        signed = await store.sign_in(None, AdminPrincipal("a", "admin"), "password")
        first, _ = await store.anonymous()
        for _ in range(1000):
            await store.anonymous()
        assert await store.get(signed) is not None
        assert await store.get(first) is None  # pushed out of the anonymous pool
        fresh, _ = await store.anonymous()
        clock.now += ANONYMOUS_IDLE + 1
        assert await store.get(fresh) is None

    asyncio.run(scenario())


def test_sign_in_replaces_the_anonymous_session_key() -> None:
    async def scenario() -> None:
        store = MemorySessions(idle=60, max_age=300, capacity=10)
        anonymous, _ = await store.anonymous()
        key = await store.sign_in(anonymous, AdminPrincipal("a", "admin"), "token")
        assert key != anonymous
        assert await store.get(anonymous) is None  # no fixation: the old key opens nothing

    asyncio.run(scenario())


@pytest.mark.parametrize("bad", ["plain-text", "$2b$12$bcrypt-is-not-accepted"])
def test_local_admins_must_be_argon2id_hashes(bad: str) -> None:
    from gateway.errors import ConfigError
    from gateway.settings import load_settings

    with pytest.raises(ConfigError, match="haetae console password ops"):
        load_settings(environ={}, overrides={"console.local_admins": {"ops": bad}})


def test_repeated_failures_from_one_address_are_slowed_down(console: ConsoleStack) -> None:
    with console.browser() as browser:
        for _ in range(5):
            assert sign_in_with_token(browser, "wrong-token-0000000000").status_code == 401
        slowed = sign_in_with_token(browser, TOKENS["root"])  # even the right token, now
        assert slowed.status_code == 429
        assert int(slowed.headers["retry-after"]) > 800
        assert "Too many failed sign-ins" in slowed.text
    reasons = [e["error"] for e in admin_events(console, "console.signin")]
    assert reasons == ["credentials"] * 5 + ["throttled"]


def test_the_throttle_forgets_old_failures() -> None:
    from gateway.console.throttle import SignInThrottle

    clock = Clock()
    throttle = SignInThrottle(limit=3, window=60, clock=clock)
    for _ in range(3):
        throttle.failed("10.0.0.1")
    assert throttle.wait("10.0.0.1") == 60 and throttle.wait("10.0.0.2") == 0
    clock.now += 61
    assert throttle.wait("10.0.0.1") == 0
