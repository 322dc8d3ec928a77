"""Charts of the audit log: SVG drawn on the server, with title, description and a table
of the same numbers; viewers may see them (counts only), in Korean and English."""

from __future__ import annotations

import re

import pytest

from gateway.console.charts import bars_by_key, columns_over_time
from tests.console.conftest import ConsoleStack


def test_columns_stack_decisions_per_time_in_a_fixed_order() -> None:
    buckets = [("2026-12-01", "block", 1), ("2026-12-01", "allow", 3)]
    buckets += [("2026-12-02", "allow", 2), ("2026-12-02", "admin", 2)]
    chart = columns_over_time(buckets)
    assert chart.times == ["2026-12-01", "2026-12-02"] and chart.most == 4 and chart.total == 8
    assert chart.kinds == ["allow", "block", "admin"]  # actions first, anything else after
    first_day = [b for b in chart.bars if b.label.startswith("2026-12-01")]
    assert [b.kind for b in first_day] == ["allow", "block"]
    allow, block = first_day
    assert block.y + block.height == pytest.approx(allow.y)  # stacked, block on top
    assert allow.height == pytest.approx(3 * block.height)
    assert chart.bars[-1].kind == "other"  # an unknown decision gets the neutral colour
    assert columns_over_time([]).bars == []


@pytest.mark.parametrize(
    ("times", "drawn"),
    [
        (["2026-12-01", "2026-12-03"], ["2026-12-01", "2026-12-02", "2026-12-03"]),
        (["2026-12-01T22:00", "2026-12-02T01:00"],
         ["2026-12-01T22:00", "2026-12-01T23:00", "2026-12-02T00:00", "2026-12-02T01:00"]),
        (["2026-12-01"], ["2026-12-01"]),
        (["a", "c"], ["a", "c"]),  # not times: as they are
    ],
)  # fmt: skip
def test_an_empty_day_or_hour_is_a_gap_not_missing(times: list[str], drawn: list[str]) -> None:
    chart = columns_over_time((t, "allow", 1) for t in times)
    assert chart.times == drawn
    assert all(chart.counts[t] == {} for t in set(drawn) - set(times))  # zero in the table
    assert len(chart.bars) == len(times)


def test_many_columns_get_at_most_eight_time_labels() -> None:
    chart = columns_over_time((f"2026-12-01T{h:02d}", "allow", h + 1) for h in range(24))
    assert len(chart.bars) == 24 and 1 < len(chart.ticks) <= 8


@pytest.mark.parametrize(
    ("rows", "limit", "shown"),
    [
        ([("a", 1), ("b", 5), ("c", 3)], 15, ["b", "c", "a"]),
        ([("a", 1), ("b", 5), ("c", 3)], 2, ["b", "c"]),
        ([("z", 2), ("y", 2)], 15, ["y", "z"]),  # ties by name
        ([], 15, []),
    ],
)
def test_bars_are_largest_first(rows: list[tuple[str, int]], limit: int, shown: list[str]) -> None:
    chart = bars_by_key(rows, limit)
    assert [key for key, _ in chart.rows] == shown
    if shown:
        assert chart.bars[0].width == max(b.width for b in chart.bars)


def test_a_viewer_sees_the_charts_with_their_tables(console: ConsoleStack) -> None:
    with console.signed_in("vic") as vic:
        page = vic.get("/console/audit/charts")
        hourly = vic.get("/console/audit/charts", params={"per": "hour", "decision": "block"})
        wrong = vic.get("/console/audit/charts", params={"per": "minute"})
    with console.signed_in("vic", "ko") as vic:
        korean = vic.get("/console/audit/charts").text
    assert page.status_code == 200 and hourly.status_code == 200 and wrong.status_code == 400
    html = page.text
    assert html.count('role="img"') == 3 and html.count("<desc id=") == 3
    assert re.search(r'<rect class="d-block" [^>]+><title>\d{4}-\d\d-\d\d block: 3</title>', html)
    assert re.search(r'<th scope="row">block-rrn</th><td class="num">2</td>', html)
    assert re.search(r'<th scope="row">KR_RRN</th><td class="num">2</td>', html)
    assert "Search these records" not in html  # a viewer reads no records: no link to them
    assert 'class="d-allow"' not in hourly.text and "T" in hourly.text.split("<title>")[2]
    assert "기간별 결정" in korean and "표로 보기" in korean


def test_an_auditor_goes_from_a_search_to_its_charts_and_back(console: ConsoleStack) -> None:
    with console.signed_in("audrey") as audrey:
        search = audrey.get("/console/audit", params={"entity": "KR_RRN"}).text
        link = re.search(r'href="(/console/audit/charts\?[^"]+)"', search)
        assert link is not None and "entity=KR_RRN" in link.group(1)
        charts = audrey.get(link.group(1).replace("&amp;", "&")).text
    assert "Search these records" in charts
    assert re.search(r'<a href="/console/audit\?[^"]*rule=block-rrn[^"]*">block-rrn</a>', charts)
