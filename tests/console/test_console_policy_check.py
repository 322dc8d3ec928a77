"""The editor's live check (``POST /console/policies/lint``): schema and YAML errors
with their lines as JSON, for the roles that may test policies, with the session's
CSRF token, limited per person (in the admin API, so a token is limited too), and
never an admin record."""

from __future__ import annotations

import httpx

from gateway.admin.rate import CheckLimit
from tests.console.conftest import ConsoleStack, csrf_of
from tests.console.test_console_policies import BROKEN, CHANGED, admin_actions

#: a value that looks like personal data where the schema wants something else
LEAKY = """\
policy: leaky
rules:
  - id: r1
    when: { entities: [EMAIL_ADDRESS] }
    action: allow
    redact_with: kim.minsu@example.co.kr
"""


def lint(client: httpx.Client, text: str, csrf: str | None = None) -> httpx.Response:
    token = csrf if csrf is not None else csrf_of(client.get("/console/policies").text)
    return client.post("/console/policies/lint", data={"csrf": token, "yaml": text})


def test_errors_come_back_with_their_lines(console: ConsoleStack) -> None:
    with console.signed_in("alice") as alice:
        broken = lint(alice, BROKEN)
        unparsable = lint(alice, "policy: x\nrules:\n  - id: [\n")
        fine = lint(alice, CHANGED)
        empty = lint(alice, "  \n")
    assert broken.status_code == 200, broken.text
    assert broken.json()["valid"] is False
    [problem] = broken.json()["problems"]
    assert problem["line"] == 5 and "action" in problem["message"]
    assert unparsable.json()["valid"] is False
    assert all(p["line"] for p in unparsable.json()["problems"])  # the YAML error's line
    assert fine.json() == {"valid": True, "rules": fine.json()["rules"], "problems": []}
    assert fine.json()["rules"] >= 1
    assert empty.json() == {"valid": None, "problems": []}
    # checking changes nothing and writes no admin record, unlike Validate
    assert [a for a in admin_actions(console) if a[1] == "policy.test"] == []


def test_a_value_in_the_yaml_is_not_echoed(console: ConsoleStack) -> None:
    with console.signed_in("alice", "ko") as alice:
        reply = lint(alice, LEAKY)
    assert reply.status_code == 200 and reply.json()["valid"] is False
    assert reply.json()["problems"][0]["line"] == 6
    assert "kim.minsu" not in reply.text


def test_only_testers_with_the_sessions_token(console: ConsoleStack) -> None:
    with console.signed_in("vic") as viewer:
        refused = lint(viewer, BROKEN)
    assert refused.status_code == 403 and "problems" not in refused.json()
    with console.signed_in("bob") as bob:
        forged = lint(bob, BROKEN, csrf="not-the-token")
        assert forged.status_code == 403 and "problems" not in forged.text
    with console.browser() as stranger:
        anonymous = stranger.post("/console/policies/lint", data={"yaml": BROKEN})
    assert anonymous.status_code in (401, 403) and "problems" not in anonymous.text


def test_one_person_is_limited_per_minute() -> None:
    now = [0.0]
    limit = CheckLimit(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert limit.wait("alice") == 0
        limit.add("alice")
    assert limit.wait("alice") == 60 and limit.wait("bob") == 0
    now[0] = 61
    assert limit.wait("alice") == 0


def test_a_flood_is_refused_with_retry_after(console: ConsoleStack) -> None:
    with console.signed_in("alice") as alice:
        token = csrf_of(alice.get("/console/policies").text)
        allowed = CheckLimit().limit
        answers = [lint(alice, "policy: x\n", token).status_code for _ in range(allowed + 1)]
        last = lint(alice, "policy: x\n", token)
    assert answers[:-1] == [200] * allowed
    assert answers[-1] == 429 and last.status_code == 429
    assert int(last.headers["retry-after"]) >= 1 and last.json()["retry_after"] >= 1
    with console.signed_in("bob") as bob:  # another person is not held up
        assert lint(bob, "policy: x\n").status_code == 200
