"""Admins are governed: roles, four eyes, failing tests and every action in the audit chain.

A real gateway (its admin API over HTTP on loopback) whose rollout shares state
through Redis, with one token per role.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import Gateway
from gateway.audit.verify import verify_chain
from gateway.dev.testing import ServerThread
from tests.support.rollout import BASE_POLICY, STRICT_POLICY, chat, rollout_stack

RRN_TEXT = "my number is 900101-1234568"
TOKENS = {
    "root": "root-admin-token-000001",  # admin by admin.default_role
    "alice": "alice-author-token-00001",
    "bob": "bob-approver-token-00001",
    "auditor": "auditor-token-0000000001",  # a role by its name
    "viewer": "viewer-token-00000000001",
}
ROLES = {"alice": "policy_author", "bob": "policy_approver"}

#: STRICT, with its own test cases (which pass)
TESTED = (
    STRICT_POLICY
    + """\
tests:
  - name: a resident number is blocked
    request: { entities: { KR_RRN: 1 } }
    expect: { action: block, rules: [block-rrn] }
"""
)


@pytest.fixture
def governed(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> Iterator[tuple[ServerThread, Gateway]]:
    environ = {"HAETAE_ADMIN_TOKEN": ",".join(f"{n}:{t}" for n, t in TOKENS.items())}
    settings = {"admin.four_eyes": True, "admin.roles": ROLES}
    with rollout_stack(
        tmp_path,
        settings=settings,
        environ=environ,
        redis_url=redis_url,
        key_prefix=key_prefix,
        file_poll_interval=0,
    ) as stack:
        yield stack.server, stack.app


def api(gateway: ServerThread, who: str) -> httpx.Client:
    headers = {"authorization": f"Bearer {TOKENS[who]}"}
    return httpx.Client(base_url=gateway.url("/admin/v1"), headers=headers, timeout=30)


def admin_records(app: Gateway) -> list[dict[str, Any]]:
    records = app.audit.records_between(0, time.time() + 1)
    return [r.to_dict() for r in records if r.decision == "admin"]


def denied_by_role(reply: httpx.Response) -> bool:
    if reply.status_code != 403:
        return False
    error = reply.json()["error"]
    return "does not allow" in error["message"] and "권한이 없습니다" in error["message_ko"]


def test_each_role_may_do_only_its_actions(governed) -> None:
    gateway, app = governed
    with api(gateway, "root") as root:
        stored = root.post("/policies", content=TESTED).json()["version"]
    # (action class, request): each role × each class, checked on the server
    calls: list[tuple[str, str, str, dict[str, Any]]] = [
        ("policy.read", "GET", "/policies", {}),
        ("policy.test", "POST", "/policies/validate", {"content": BASE_POLICY}),
        ("policy.test", "POST", f"/policies/{stored}/dry-run", {}),
        ("policy.upload", "POST", "/policies", {"content": TESTED}),
        ("policy.approve", "POST", f"/policies/{stored}/approve", {}),
        ("policy.activate", "POST", "/policies/0000000000000000/activate", {}),
        ("policy.rollback", "POST", "/policies/rollback", {"params": {"to": "0" * 16}}),
        ("audit.read", "GET", "/audit", {"params": {"decision": "block"}}),
        ("audit.stats", "GET", "/audit/stats", {}),
    ]
    allowed = {
        "root": {c[0] for c in calls},
        "alice": {"policy.read", "policy.test", "policy.upload", "policy.activate"},
        "bob": {"policy.read", "policy.test", "policy.approve", "policy.activate",
                "policy.rollback"},
        "auditor": {"policy.read", "audit.read", "audit.stats"},
        "viewer": {"policy.read", "audit.stats"},
    }  # fmt: skip
    denials = 0
    for who, may in allowed.items():
        with api(gateway, who) as client:
            assert client.get("/whoami").json()["role"] == (
                "admin" if who == "root" else ROLES.get(who, who)
            )
            for action, method, path, extra in calls:
                reply = client.request(method, path, **extra)
                assert denied_by_role(reply) is (action not in may), (who, action, reply.text)
                denials += action not in may
    denied = [r for r in admin_records(app) if r["details"]["outcome"] == "denied"]
    assert len(denied) == denials
    assert {(r["user"], r["details"]["action"]) for r in denied} >= {
        ("auditor", "policy.rollback"),
        ("viewer", "audit.read"),
        ("alice", "policy.approve"),
    }
    assert all(r["status"] == 403 and r["details"]["role"] for r in denied)


def test_a_token_named_auditor_cannot_roll_back_production(governed) -> None:
    gateway, app = governed
    before = app.policy.version
    with api(gateway, "auditor") as auditor:
        reply = auditor.post("/policies/rollback")
        assert denied_by_role(reply)
        assert "auditor" in reply.json()["error"]["message"]
    assert app.policy.version == before


def test_four_eyes_propose_approve_activate(governed) -> None:
    gateway, app = governed
    with api(gateway, "alice") as alice, api(gateway, "bob") as bob:
        version = alice.post("/policies", content=TESTED).json()["version"]
        not_yet = alice.post(f"/policies/{version}/activate")
        assert not_yet.status_code == 403 and "approval" in not_yet.json()["error"]["message"]
        assert "승인" in not_yet.json()["error"]["message_ko"]

        with api(gateway, "root") as root:  # even an admin cannot approve their own upload
            own = root.post("/policies", content=TESTED + "# root's copy\n")
            assert own.status_code == 201
            mine = root.post(f"/policies/{own.json()['version']}/approve")
            assert mine.status_code == 403 and "cannot also approve" in mine.text

        approved = bob.post(f"/policies/{version}/approve")
        assert approved.status_code == 200 and approved.json()["by"] == "bob"
        listed = alice.get(f"/policies/{version}/approvals").json()
        assert listed["activatable"] and [a["by"] for a in listed["approvals"]] == ["bob"]

        # The approval is of that exact version: an edit is a new version, unapproved.
        edited = alice.post("/policies", content=TESTED.replace("block-rrn", "no-rrn"))
        edited_version = edited.json()["version"]
        assert alice.post(f"/policies/{edited_version}/activate").status_code == 403

        assert alice.post(f"/policies/{version}/activate").status_code == 200
    assert app.policy.version == version
    assert chat(gateway.base_url, RRN_TEXT).status_code == 403

    activation = [
        r for r in admin_records(app)
        if r["details"]["action"] == "policy.activate" and r["details"]["outcome"] == "ok"
    ]  # fmt: skip
    assert len(activation) == 1
    assert activation[0]["user"] == "alice" and activation[0]["policy_version"] == version
    assert activation[0]["details"]["four_eyes"] is True
    assert activation[0]["details"]["approvals"] == ["bob"]


def test_failing_policy_tests_block_upload_and_validation(governed) -> None:
    gateway, app = governed
    failing = TESTED.replace("expect: { action: block", "expect: { action: allow")
    with api(gateway, "root") as root:
        stored = len(root.get("/policies").json()["versions"])
        for path in ("/policies", "/policies/validate"):
            reply = root.post(path, content=failing)
            assert reply.status_code == 422, reply.text
            message = reply.json()["error"]["message"]
            assert "1 of the policy's own tests fail" in message
            assert "a resident number is blocked: expected action allow, got block" in message
        assert len(root.get("/policies").json()["versions"]) == stored  # nothing was kept
    refused = [r for r in admin_records(app) if r["details"]["outcome"] == "refused"]
    assert [r["details"]["action"] for r in refused] == ["policy.upload", "policy.test"]
    assert all(r["status"] == 422 for r in refused)


def test_the_alias_bomb_is_refused_quickly_and_nothing_keeps_running(governed) -> None:
    from tests.policy.test_yaml_bounds import alias_bomb

    gateway, _app = governed
    bomb = alias_bomb()
    with api(gateway, "root") as root:
        for path in ("/policies", "/policies/validate", "/policies/dry-run"):
            started = time.monotonic()
            reply = root.post(path, content=bomb)
            assert time.monotonic() - started < 1.0
            assert reply.status_code == 413, reply.text
            assert "aliases expand the document" in reply.json()["error"]["message"]
    # Nothing left spinning: the process (gateway included) is idle afterwards.
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(0.5)
    assert time.process_time() - cpu < 0.4 * (time.monotonic() - wall)


def test_every_admin_action_is_a_chained_record(governed) -> None:
    gateway, app = governed
    with api(gateway, "alice") as alice, api(gateway, "bob") as bob:
        version = alice.post("/policies", content=TESTED).json()["version"]
        alice.post("/policies/validate", content=TESTED)
        alice.post(f"/policies/{version}/dry-run", params={"days": 1})
        bob.post(f"/policies/{version}/approve")
        alice.post(f"/policies/{version}/activate")
        assert bob.post("/policies/rollback").status_code == 200
    with api(gateway, "auditor") as auditor:
        query = {"user": "someone", "decision": "block", "limit": "5"}
        assert auditor.get("/audit", params=query).status_code == 200
        assert auditor.get("/audit/stats", params={"by": "rule"}).status_code == 200
        # The auditor finds the admin records through the same search.
        found = auditor.get("/audit", params={"decision": "admin", "limit": "100"}).json()

    records = admin_records(app)
    done = [(r["user"], r["details"]["role"], r["details"]["action"]) for r in records]
    assert done == [
        ("alice", "policy_author", "policy.upload"),
        ("alice", "policy_author", "policy.test"),
        ("alice", "policy_author", "policy.test"),
        ("bob", "policy_approver", "policy.approve"),
        ("alice", "policy_author", "policy.activate"),
        ("bob", "policy_approver", "policy.rollback"),
        ("auditor", "auditor", "audit.read"),
        ("auditor", "auditor", "audit.stats"),
        ("auditor", "auditor", "audit.read"),
    ]
    assert all(r["details"]["outcome"] == "ok" for r in records)
    assert {r["policy_version"] for r in records[:5]} == {version}
    assert records[5]["details"]["target"]["from"] == version  # the rollback, from → to
    search = records[6]["details"]
    assert search["query"] == {"decision": "block", "limit": "5", "user": "someone"}
    assert "records" not in search  # the query, never the results
    # The search that listed them is recorded (last, before its answer left); it
    # read the store before that, so it lists every earlier one, newest first.
    assert [r["record_id"] for r in found["records"]] == [
        r["record_id"] for r in reversed(records[:-1])
    ]
    # Nothing secret in any of them: no token, no policy text.
    text = str(records)
    assert not any(token in text for token in TOKENS.values())
    assert "block-rrn" not in text
    # Same store, same chain: it verifies end to end.
    chain = app.audit.records_between(0, time.time() + 1)
    assert verify_chain(chain).problems == []


def test_one_person_setups_may_turn_four_eyes_off_and_it_is_recorded(
    tmp_path: Path,
) -> None:
    environ = {"HAETAE_ADMIN_TOKEN": f"root:{TOKENS['root']}"}
    settings = {"admin.four_eyes": False}
    with rollout_stack(tmp_path, settings=settings, environ=environ, file_poll_interval=0) as s:
        with api(s.server, "root") as root:
            version = root.post("/policies", content=TESTED).json()["version"]
            assert root.post(f"/policies/{version}/activate").status_code == 200
        (activation,) = [
            r for r in admin_records(s.app) if r["details"]["action"] == "policy.activate"
        ]
    assert activation["details"]["four_eyes"] is False
    assert activation["details"]["approvals"] == []


def test_the_editors_check_compiles_only_and_is_not_recorded(governed) -> None:
    """``/policies/check``: the schema's verdict without the tests, for testers only,
    never an admin record, and a flood from one token is refused."""
    from gateway.admin.rate import CheckLimit

    gateway, app = governed
    failing = TESTED.replace("expect: { action: block", "expect: { action: allow")
    with api(gateway, "alice") as alice:
        assert alice.post("/policies/check", content=failing).json()["valid"] is True
        broken = alice.post("/policies/check", content=TESTED.replace("action: block", "action: x"))
        assert broken.status_code == 422
        assert re.search(r":\d+: rules\[\d\]", broken.json()["error"]["message"])  # its line
        for _ in range(CheckLimit().limit - 2):
            alice.post("/policies/check", content=TESTED)
        flood = alice.post("/policies/check", content=TESTED)
        assert flood.status_code == 429 and int(flood.headers["retry-after"]) >= 1
    with api(gateway, "viewer") as viewer:
        assert denied_by_role(viewer.post("/policies/check", content=TESTED))
    recorded = [r["details"]["action"] for r in admin_records(app)]
    assert recorded == ["policy.test"]  # the viewer's refusal only
