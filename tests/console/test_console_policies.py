"""Policies in the console: the editor's errors at their line, propose → approve →
activate with four eyes, roll back, and what each role may not do."""

from __future__ import annotations

import re
import time

import httpx

from gateway.console.i18n import TEXTS
from tests.console.conftest import BREAK_GLASS, POLICY, ConsoleStack, csrf_of

#: the console's policy plus one rule
CHANGED = (
    POLICY
    + """\
  - id: warn-card
    when: { entities: [CREDIT_CARD] }
    action: warn
"""
)
BROKEN = """\
policy: broken
rules:
  - id: r1
    when: { entities: [EMAIL_ADDRESS] }
    action: blok
"""


def post_form(client: httpx.Client, path: str, page: str, **data: str) -> httpx.Response:
    """A POST from ``page``'s form (with that page's CSRF token)."""
    return client.post(path, data={"csrf": csrf_of(client.get(page).text), **data})


def propose(client: httpx.Client, text: str) -> tuple[httpx.Response, str]:
    reply = post_form(client, "/console/policies/check", "/console/policies", yaml=text,
                      op="propose")  # fmt: skip
    assert reply.status_code == 200, reply.text
    assert reply.url.params["done"] == "done.proposed"
    assert any(text in reply.text for text in TEXTS["done.proposed"])  # in either language
    found = re.fullmatch(r"/console/policies/v/([A-Za-z0-9._-]+)", reply.url.path)
    assert found is not None, reply.url
    return reply, found.group(1)


def active_version(console: ConsoleStack) -> str:
    return console.stack.app.rollout.holder.active.version


def admin_actions(console: ConsoleStack) -> list[tuple[str, str, str, str | None]]:
    records = console.stack.app.audit.records_between(0, time.time() + 1)
    return [
        (r.user or "", r.details["action"], r.details["outcome"], r.details.get("via"))
        for r in records
        if r.decision == "admin"
        and r.details["action"].startswith("policy.")
        and r.method == "POST"
    ]


def test_an_error_is_shown_at_its_line(console: ConsoleStack) -> None:
    with console.signed_in("alice", "ko") as alice:
        reply = post_form(alice, "/console/policies/check", "/console/policies", yaml=BROKEN,
                          op="validate")  # fmt: skip
    assert reply.status_code == 422
    assert '<a href="#L5">줄 5</a>' in reply.text
    line = re.search(r'<li id="L5" class="has-problem">(.*?)</li>', reply.text, re.S)
    assert line is not None
    assert "action: blok" in line.group(1) and "줄 5:" in line.group(1)
    assert "Input should be" in line.group(1)  # the loader's own reason


def test_validate_runs_the_tests_and_shows_the_diff(console: ConsoleStack) -> None:
    with console.signed_in("bob") as bob:
        ok = post_form(bob, "/console/policies/check", "/console/policies", yaml=CHANGED,
                       op="validate")  # fmt: skip
        failing = post_form(
            bob, "/console/policies/check", "/console/policies", op="validate",
            yaml=CHANGED + "tests:\n  - name: cards pass\n    request: { entities: "
            "{ CREDIT_CARD: 1 } }\n    expect: { action: allow }\n",
        )  # fmt: skip
        dry = post_form(bob, "/console/policies/check", "/console/policies", yaml=CHANGED,
                        op="dry_run")  # fmt: skip
    assert ok.status_code == 200
    assert "Valid: it compiles and its own tests pass." in ok.text
    assert "warn-card" in ok.text and "(added)" in ok.text
    assert failing.status_code == 422
    assert "cards pass" in failing.text
    assert dry.status_code == 200
    assert "recorded request(s)" in dry.text


def test_propose_approve_activate_and_roll_back(console: ConsoleStack) -> None:
    before = active_version(console)
    with (
        console.signed_in("alice") as alice,
        console.signed_in("bob") as bob,
    ):
        _, version = propose(alice, CHANGED)
        page = f"/console/policies/v/{version}"
        own = post_form(alice, f"{page}/approve", page)
        assert own.status_code == 403
        assert "does not allow policy.approve" in own.text
        early = post_form(alice, f"{page}/activate", page)
        assert early.status_code == 403  # four eyes: nobody approved it yet
        assert active_version(console) == before

        approved = post_form(bob, f"{page}/approve", page)
        assert approved.status_code == 200 and "bob (policy_approver)" in approved.text
        activated = post_form(alice, f"{page}/activate", page)
        assert activated.status_code == 200 and "Done" in activated.text
        assert active_version(console) == version

        back = post_form(bob, "/console/policies/rollback", "/console/policies")
        assert back.status_code == 200
        assert active_version(console) == before
        history = bob.get("/console/policies").text
        assert "rollback" in history and "activate" in history

    assert admin_actions(console) == [
        ("alice", "policy.upload", "ok", "console"),
        ("alice", "policy.approve", "denied", "console"),
        ("alice", "policy.activate", "refused", "console"),
        ("bob", "policy.approve", "ok", "console"),
        ("alice", "policy.activate", "ok", "console"),
        ("bob", "policy.rollback", "ok", "console"),
    ]


def test_an_admin_cannot_approve_their_own_change_either(console: ConsoleStack) -> None:
    """The break-glass admin may do everything but the four-eyes step on their own work."""
    with console.browser("ko") as ops:
        form = ops.get("/console/signin")
        ops.post("/console/signin/password",
                 data={"csrf": csrf_of(form.text), "name": BREAK_GLASS[0],
                       "password": BREAK_GLASS[1]})  # fmt: skip
        _, version = propose(ops, CHANGED)
        page = f"/console/policies/v/{version}"
        own = post_form(ops, f"{page}/approve", page)
    assert own.status_code == 403
    assert "정책을 올린 사람은 같은 정책을 승인할 수 없습니다" in own.text
    assert active_version(console) != version


def test_a_viewer_and_an_auditor_cannot_change_policies(console: ConsoleStack) -> None:
    before = active_version(console)
    with console.signed_in("alice") as alice:
        _, version = propose(alice, CHANGED)
    page = f"/console/policies/v/{version}"
    for who in ("vic", "audrey"):
        with console.signed_in(who) as client:
            shown = client.get(page)
            assert shown.status_code == 200
            assert "Activate this version" not in shown.text  # not offered ...
            refused = post_form(client, f"{page}/activate", page)  # ... nor done if asked
            assert refused.status_code == 403
            assert "does not allow policy.activate" in refused.text
            editor = client.get("/console/policies").text
            assert 'value="propose"' not in editor
    assert active_version(console) == before


def test_explain_a_sample_request(console: ConsoleStack) -> None:
    version = active_version(console)
    page = f"/console/policies/v/{version}"
    with console.signed_in("bob") as bob:
        blocked = post_form(bob, f"{page}/explain", page,
                            sketch='{"provider": "openai", "entities": {"KR_RRN": 1}}')  # fmt: skip
        text = post_form(bob, f"{page}/explain", page, sketch='{"text": "900101-1234568"}')
        unknown = post_form(bob, f"{page}/explain", page, sketch='{"entities": {"NOPE": 1}}')
    with console.signed_in("vic") as vic:
        refused = post_form(vic, f"{page}/explain", page, sketch="{}")
    assert blocked.status_code == 200
    assert re.search(r'<p role="status"><strong>block</strong> · block-rrn</p>', blocked.text)
    report = re.search(r'<pre class="report">(.*?)</pre>', blocked.text, re.S)
    assert report is not None
    assert "MATCH block-rrn: block" in report.group(1)
    assert re.search(r"no +redact-email: redact", report.group(1))
    assert text.status_code == 422 and "not &#39;text&#39;" in text.text
    assert "900101-1234568" not in text.text  # a refused sketch is not echoed
    assert unknown.status_code == 422 and "NOPE" in unknown.text
    assert refused.status_code == 403 and "does not allow policy.test" in refused.text
