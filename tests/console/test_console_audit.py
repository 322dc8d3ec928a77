"""The audit and overview pages: search, detail, export, verify, Korean, and no raw value
on any page or in any export."""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter

import orjson

from tests.console.conftest import RAW_VALUES, ConsoleStack, csrf_of, finished_check


def test_search_filters_and_shows_findings_without_values(console: ConsoleStack) -> None:
    with console.signed_in("audrey") as audrey:
        blocked = audrey.get("/console/audit", params={"decision": "block", "entity": "KR_RRN"})
        everything = audrey.get("/console/audit", params={"limit": "2"})
    assert blocked.status_code == 200
    rows = re.findall(r'<span class="decision d-(\w+)">', blocked.text)
    assert rows == ["block", "block"]  # the two requests with a resident number
    assert "KR_RRN" in blocked.text and "block-rrn" in blocked.text
    assert "messages[0].content" in blocked.text  # where it was: the finding's location
    fingerprints = Counter(re.findall(r"/console/audit\?fingerprint=([0-9a-f]+)", blocked.text))
    # the same number in both requests (with and without its hyphen): one fingerprint
    assert fingerprints.most_common(1)[0][1] == 2
    assert "Next page" in everything.text  # more than two records: a cursor


def test_a_fingerprint_finds_every_request_with_that_value(console: ConsoleStack) -> None:
    with console.signed_in("audrey") as audrey:
        first = audrey.get("/console/audit", params={"entity": "KR_RRN"}).text
        found_in = Counter(re.findall(r"/console/audit\?fingerprint=([0-9a-f]+)", first))
        fingerprint = found_in.most_common(1)[0][0]
        found = audrey.get("/console/audit", params={"fingerprint": fingerprint})
    assert found.text.count('<span class="decision d-block">') == 2


def test_a_bad_filter_is_explained(console: ConsoleStack) -> None:
    with console.signed_in("audrey", "ko") as audrey:
        reply = audrey.get("/console/audit", params={"start": "yesterday-ish"})
    assert reply.status_code == 400
    assert "is not a time" in reply.text


def test_a_viewer_sees_counts_but_not_records(console: ConsoleStack) -> None:
    with console.signed_in("vic") as vic:
        overview = vic.get("/console/")
        records = vic.get("/console/audit")
        export = vic.get("/console/audit/export", params={"format": "csv"})
    assert overview.status_code == 200
    assert "block-rrn" in overview.text and "KR_RRN" in overview.text
    assert records.status_code == 403 and "does not allow audit.read" in records.text
    assert export.status_code == 403


def test_overview_counts_and_health(console: ConsoleStack) -> None:
    with console.signed_in("audrey") as audrey:
        page = audrey.get("/console/").text
    blocked_by_user = page.split("Blocked attempts by user")[1].split("</table>")[0]
    assert re.search(r"<td>—</td><td class=\"num\">.*?\b3\b", blocked_by_user, re.S)
    assert re.search(r'<rect class="d-block" [^>]*><title>\d{4}-\d\d-\d\d block: 3</title>', page)
    assert 'Audit store</dt><dd class="ok">ok' in page
    assert "Records waiting in the spool</dt><dd>0" in page


def test_export_csv_opens_in_excel_and_jsonl_is_records(console: ConsoleStack) -> None:
    with console.signed_in("audrey") as audrey:
        page = audrey.get("/console/audit", params={"decision": "block"}).text
        link = re.search(r'href="(/console/audit/export\?[^"]*format=csv)"', page)
        assert link is not None
        exported = audrey.get(link.group(1).replace("&amp;", "&"))
        lines = audrey.get("/console/audit/export", params={"format": "jsonl"})
    assert exported.status_code == 200
    assert exported.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    assert exported.headers["content-disposition"] == 'attachment; filename="haetae-audit.csv"'
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 3 and {r["decision"] for r in rows} == {"block"}
    records = [orjson.loads(line) for line in lines.content.splitlines()]
    assert {r["decision"] for r in records} >= {"block", "redact"}


def test_korean_pages_and_times_in_seoul(console: ConsoleStack) -> None:
    with console.signed_in("audrey", "ko") as audrey:
        overview = audrey.get("/console/").text
        audit = audrey.get("/console/audit").text
        english = audrey.get("/console/audit", params={"lang": "en"}).text
        remembered = audrey.get("/console/").text  # the switch is remembered
    assert '<html lang="ko">' in overview
    assert "일별 결정" in overview and "사용자별 차단 시도" in overview
    assert "시간대: <strong>Asia/Seoul</strong> (UTC+0900)" in audit
    assert "감사 로그" in audit and "탐지 결과" in audit
    stamp = re.search(r'<time datetime="([\d.]+)">([^<]+)</time>', audit)
    assert stamp is not None
    expected = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(stamp.group(1)) + 9 * 3600))
    assert stamp.group(2) == expected
    assert '<html lang="en">' in english and "Times in: <strong>UTC</strong>" in english
    assert "Decisions per day" in remembered


def test_no_page_or_export_shows_a_raw_value(console: ConsoleStack) -> None:
    """The seeded requests said resident numbers, e-mail addresses and a cloud key."""
    with console.signed_in("root") as root:
        listing = root.get("/console/policies").text
        versions = set(re.findall(r"/console/policies/v/([A-Za-z0-9._-]+)", listing))
        pages = [
            root.get("/console/"),
            root.get("/console/audit", params={"limit": "1000"}),
            root.get("/console/audit", params={"entity": "EMAIL_ADDRESS"}),
            root.get("/console/audit/export", params={"format": "csv"}),
            root.get("/console/audit/export", params={"format": "jsonl"}),
            root.get("/console/policies"),
            root.get("/console/keys"),
            root.get("/console/identities"),
            root.get("/console/audit/charts", params={"start": ""}),
            *(root.get(f"/console/policies/v/{v}") for v in versions),
            root.post("/console/audit/verify", data={"csrf": csrf_of(listing)}),
            finished_check(root),
            root.get("/console/audit/crosstab", params={"rows": "user", "cols": "provider"}),
            root.get(
                "/console/audit/crosstab", params={"rows": "user", "cols": "provider", "top": "1"}
            ),
        ]
    with console.signed_in("ines") as ines:  # sealed evidence: the responder's page alone
        pages.append(ines.get("/console/evidence", params={"limit": "200"}))
    assert all(p.status_code == 200 for p in pages), [p.status_code for p in pages]
    seen = "\n".join(p.content.decode("utf-8-sig") for p in pages)
    assert "EMAIL_ADDRESS" in seen and "KR_RRN" in seen and "SECRET_" in seen
    for value in RAW_VALUES:
        assert value not in seen


def test_which_users_sent_resident_numbers_to_which_providers(console: ConsoleStack) -> None:
    """The question of issue 14, answered by one cross-tab; viewers may count too."""
    with console.signed_in("vic", "ko") as vic:
        reply = vic.get(
            "/console/audit/crosstab",
            params={"rows": "user", "cols": "provider", "entity": "KR_RRN", "start": "7d"},
        )
        by_day = vic.get("/console/audit/crosstab", params={"rows": "rule", "cols": "day"})
        wrong = vic.get("/console/audit/crosstab", params={"rows": "user", "cols": "user"})
    assert reply.status_code == 200
    table = reply.text.split('<table class="data crosstab">')[1]
    assert "<caption>user × provider · 합계 2</caption>" in table
    assert re.search(r'<th scope="col">openai</th>', table)
    assert re.search(r'<th scope="row">—</th><td class="num">2</td>', table)  # no user: 2
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 9 * 3600))  # Seoul's day
    assert f'<th scope="col">{today}</th>' in by_day.text
    assert re.search(r'<th scope="row">block-rrn</th><td class="num">2</td>', by_day.text)
    assert wrong.status_code == 400


def test_a_cross_tab_shows_its_top_rows_and_exact_totals(console: ConsoleStack) -> None:
    """``top=1``: the decision with the most requests, then one line for the others;
    the totals line is every request's, as with every row shown."""
    query = {"rows": "decision", "cols": "provider", "start": ""}
    with console.signed_in("vic") as vic:
        every = vic.get("/console/audit/crosstab", params=query).text
        top = vic.get("/console/audit/crosstab", params=query | {"top": "1"}).text
        bad = vic.get("/console/audit/crosstab", params=query | {"top": "0"})

    def rows(html: str) -> list[str]:
        body = html.split("<tbody>")[1].split("</tbody>")[0]
        return re.findall(r'<tr(?: class="others")?><th scope="row">([^<]+)</th>', body)

    def footer(html: str) -> str:
        return html.split("<tfoot>")[1].split("</tfoot>")[0]

    assert rows(every)[:2] == ["block", "redact"] and len(rows(every)) == 2
    assert rows(top) == ["block", "Others (1)"]
    cells = r'((?:<td class="num">\d*</td>)+)'
    redact = re.search(r'<th scope="row">redact</th>' + cells, every)
    others = re.search(r'<tr class="others"><th scope="row">[^<]+</th>' + cells, top)
    assert redact is not None and others is not None
    assert redact.group(1).replace("<strong>", "") == others.group(1)
    assert footer(top) == footer(every)  # exact totals whatever is shown
    assert "Show more rows (4)" in top
    assert bad.status_code == 400
