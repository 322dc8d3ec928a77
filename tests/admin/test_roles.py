"""How a token gets its role, and that no admin route can exist without declaring an action."""

from __future__ import annotations

import logging

import pytest
from fastapi import APIRouter

from gateway.admin import AdminAuth, build_admin_app, load_admin_tokens
from gateway.admin.auth import log_admin_roles, role_of
from gateway.admin.journal import AdminJournal
from gateway.admin.roles import ACTIONS, GRANTS, ROLES
from gateway.errors import ConfigError
from gateway.settings import AdminSettings


@pytest.mark.parametrize(
    ("name", "roles", "default", "expected"),
    [
        ("alice", {"alice": "policy_author"}, "admin", "policy_author"),
        ("auditor", {}, "admin", "auditor"),  # named like a role: that role, not admin
        ("viewer", {}, "admin", "viewer"),
        ("auditor", {"auditor": "admin"}, "viewer", "admin"),  # the explicit entry wins
        ("admin-1", {}, "admin", "admin"),  # an unnamed line: the default
        ("carol", {}, "viewer", "viewer"),
    ],
)
def test_a_tokens_role(name: str, roles: dict, default: str, expected: str) -> None:
    assert role_of(name, roles, default) == expected  # type: ignore[arg-type]


def test_the_grant_table() -> None:
    assert GRANTS["admin"] == frozenset(ACTIONS) - {"evidence.read"}  # the responder's alone
    assert {r for r in ROLES if "evidence.read" in GRANTS[r]} == {"incident_responder"}
    assert set(GRANTS) == set(ROLES)
    changes = {"policy.upload", "policy.approve", "policy.activate", "policy.rollback",
               "audit.purge", "keys.manage", "settings.reload"}  # fmt: skip
    assert not GRANTS["auditor"] & changes  # read and verify only
    assert not GRANTS["viewer"] & (changes | {"audit.read"})
    assert "policy.approve" not in GRANTS["policy_author"]
    assert "policy.rollback" not in GRANTS["policy_author"]


def test_a_route_without_an_action_is_refused_at_build_time(journal: AdminJournal) -> None:
    router = APIRouter()

    @router.get("/open-to-all")
    async def _open() -> dict[str, str]:
        return {}

    with pytest.raises(ConfigError, match="/admin/v1/open-to-all declares no action"):
        build_admin_app([router], AdminAuth({}), journal)


def test_start_up_says_which_tokens_are_admins_by_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    environ = {"T": "root:root-token-0000000001,auditor:auditor-token-0000001"}
    settings = AdminSettings(roles={"nobody": "viewer"})
    auth = AdminAuth(load_admin_tokens(env="T", file=None, environ=environ), settings.roles)
    with caplog.at_level(logging.INFO, logger="haetae.admin"):
        log_admin_roles(auth, settings)
    text = caplog.text
    assert "'root' is an admin by admin.default_role" in text
    assert "admin token 'auditor': role auditor" in text
    assert "admin.roles names 'nobody', but no admin token has that name" in text
    assert "root-token" not in text
