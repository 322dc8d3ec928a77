"""Verify the chain from the console: a background job, its result kept, a break named
by its record number, the roles that may start it, and its start and end on record."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from tests.console.conftest import ConsoleStack, csrf_of, finished_check
from tests.support.polling import wait_for


def test_the_check_runs_in_the_background_and_its_result_stays(console: ConsoleStack) -> None:
    with console.signed_in("audrey", "ko") as audrey:
        first = audrey.get("/console/audit/verify")
        assert "이 서버가 시작된 뒤 실행된 검증이 없습니다." in first.text
        started = audrey.post("/console/audit/verify", data={"csrf": csrf_of(first.text)})
        assert started.status_code == 200 and started.url.path == "/console/audit/verify"
        assert "검증을 시작했습니다" in started.text
        done = finished_check(audrey)
        again = audrey.get("/console/audit/verify")  # a reload shows the same, kept result
    last_seq = console.stack.audit_tail(1)[0].seq
    assert last_seq is not None
    assert "체인 검증 성공" in done.text
    shown = re.search(r"다음 기록까지 이상 없음: <strong>(\d+)</strong>", done.text)
    assert shown is not None and 0 < int(shown.group(1)) <= last_seq
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
    assert re.search(rf'종료 <time datetime="[\d.]+">{stamp}</time>', done.text)
    assert 'http-equiv="refresh"' not in done.text
    assert again.text.count(shown.group(0)) == 1
    # the start and the end are admin records in the chain, the end with what was found

    def checks() -> list[dict[str, Any]]:
        return [
            r.details
            for r in console.stack.audit_tail(40)
            if r.details and r.details.get("action") == "audit.verify"
        ]

    ended = wait_for(lambda: [d for d in checks() if d.get("phase") == "finished"] or None, 5)
    assert any(d.get("job") == ended[0]["job"] and d.get("phase") is None for d in checks())
    assert ended[0]["verified"] is True and ended[0]["records"] == int(shown.group(1))
    assert ended[0]["via"] == "console"


def test_a_tampered_record_is_named_by_its_number(console: ConsoleStack) -> None:
    victim = console.stack.audit_tail(3)[0].seq
    database = console.stack.audit_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as conn:  # what someone with the database file could do
        conn.execute("UPDATE audit_records SET user = 'someone-else' WHERE seq = ?", (victim,))
    with console.signed_in("root") as root:
        page = root.get("/console/audit/verify")
        root.post("/console/audit/verify", data={"csrf": csrf_of(page.text)})
        done = finished_check(root)
    assert "The chain does NOT verify" in done.text
    assert f'First break at record <strong class="break-seq">{victim}</strong>: modified' in (
        done.text
    )
    assert re.search(rf"<tr><td>{victim}</td><td>modified</td>", done.text)


def test_only_auditors_and_admins_may_check(console: ConsoleStack) -> None:
    for who in ("vic", "alice"):
        with console.signed_in(who) as client:
            listing = client.get("/console/audit/verify")
            assert listing.status_code == 403
            csrf = csrf_of(client.get("/console/").text)
            refused = client.post("/console/audit/verify", data={"csrf": csrf})
            assert refused.status_code == 403
    with console.signed_in("audrey") as audrey:
        forged = audrey.post("/console/audit/verify", data={"csrf": "not-the-token"})
        assert forged.status_code == 403
        assert "No check has run on this server" in audrey.get("/console/audit/verify").text
