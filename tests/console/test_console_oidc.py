"""Sign-in through an OpenID Connect provider run by the test: code flow with PKCE,
groups mapped to roles, and every way the answer can be wrong refused."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.console.oidc import role_for_groups
from gateway.dev.testing import ServerThread
from tests.console.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.support.rollout import rollout_stack
from tests.support.stack import GatewayStack

GROUP_ROLES = {"sec-audit": "auditor", "policy-team": "policy_author", "ciso": "admin"}


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    idp = OidcProvider()
    with ServerThread(idp) as server:
        idp.issuer = server.base_url
        yield idp


@pytest.fixture
def stack(tmp_path: Path, provider: OidcProvider) -> Iterator[GatewayStack]:
    settings: dict[str, Any] = {
        "console.oidc": {
            "issuer": provider.issuer,
            "client_id": CLIENT_ID,
            "group_roles": GROUP_ROLES,
        }
    }
    environ = {"HAETAE_CONSOLE_OIDC_SECRET": CLIENT_SECRET}
    with rollout_stack(tmp_path, settings=settings, environ=environ) as running:
        yield running


@contextlib.contextmanager
def sign_in(stack: GatewayStack) -> Iterator[tuple[httpx.Client, httpx.Response]]:
    """A browser that clicked "sign in with the company account", and where it ended."""
    with httpx.Client(base_url=stack.url(""), follow_redirects=True, timeout=30) as client:
        page = client.get("/console/signin")
        assert 'href="/console/oidc/start"' in page.text
        yield client, client.get("/console/oidc/start")


def signins(stack: GatewayStack) -> list[dict[str, Any]]:
    records = stack.app.audit.records_between(0, time.time() + 1)
    return [
        r.to_dict() for r in records if r.decision == "admin"
        and r.details["action"] == "console.signin"
    ]  # fmt: skip


def test_groups_claim_gives_the_role(stack: GatewayStack, provider: OidcProvider) -> None:
    with sign_in(stack) as (client, reply):
        assert reply.status_code == 200
        assert reply.url.path == "/console/oidc/callback"
        assert 'http-equiv="refresh" content="0;url=/console/"' in reply.text
        overview = client.get("/console/")
        assert overview.url.path == "/console/"
        assert "kim.auditor" in overview.text and "<code>auditor</code>" in overview.text
        assert client.get("/console/audit").status_code == 200
    (form,) = provider.token_requests
    assert form["grant_type"] == "authorization_code" and len(form["code_verifier"]) >= 43
    (event,) = signins(stack)
    assert event["user"] == "kim.auditor" and event["details"]["method"] == "oidc"


def test_a_user_without_a_mapped_group_is_refused(
    stack: GatewayStack, provider: OidcProvider
) -> None:
    provider.groups = ["everyone"]
    with sign_in(stack) as (client, reply):
        assert reply.status_code == 403
        # no Accept-Language: console.language, Korean by default
        assert "소속 그룹 중 콘솔 역할이 부여된 그룹이 없습니다" in reply.text
        assert client.get("/console/").url.path == "/console/signin"
    (event,) = signins(stack)
    assert event["details"]["outcome"] == "denied" and event["details"]["groups"] == ["everyone"]


def test_a_wrong_nonce_is_refused(stack: GatewayStack, provider: OidcProvider) -> None:
    provider.nonce_override = "replayed-from-another-sign-in"
    with sign_in(stack) as (_client, reply):
        assert reply.status_code == 401
        assert "nonce does not match" in reply.text


def test_a_callback_from_another_browser_is_refused(
    stack: GatewayStack, provider: OidcProvider
) -> None:
    with httpx.Client(base_url=stack.url(""), timeout=30) as victim:
        started = victim.get("/console/oidc/start")
        at_provider = httpx.get(started.headers["location"], timeout=30)
        callback = at_provider.headers["location"]
    # the attacker's browser, without the binding cookie, replays the callback
    reply = httpx.get(callback, timeout=30)
    assert reply.status_code == 401
    assert "started in another browser" in reply.text


def test_an_unknown_state_or_a_provider_error_is_refused(stack: GatewayStack) -> None:
    unknown = httpx.get(stack.url("/console/oidc/callback?code=x&state=never-issued"))
    assert unknown.status_code == 401 and "unknown or expired sign-in" in unknown.text
    denied = httpx.get(stack.url("/console/oidc/callback?error=access_denied"))
    assert denied.status_code == 401 and "access_denied" in denied.text


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["sec-audit"], "auditor"),
        (["sec-audit", "policy-team"], "policy_author"),
        (["policy-team", "ciso", "sec-audit"], "admin"),
        (["unmapped"], None),
        ([], None),
    ],
)
def test_the_most_powerful_mapped_role_wins(groups: list[str], role: str | None) -> None:
    assert role_for_groups(groups, GROUP_ROLES) == role  # type: ignore[arg-type]
