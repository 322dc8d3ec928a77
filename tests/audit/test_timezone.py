"""Review times: zones, relative times, and day buckets across a daylight-saving change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.audit import AuditRecord
from gateway.audit.query import AuditFilter
from gateway.audit.review import count
from gateway.audit.setup import configured_store
from gateway.audit.timezone import excel_time, offset_spans, parse_time, resolve_zone
from gateway.settings import AuditSettings

BERLIN = resolve_zone("Europe/Berlin")
SEOUL = resolve_zone("Asia/Seoul")


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-01-31", SEOUL, utc(2026, 1, 30, 15)),
        ("2026-01-31T09:00:00+09:00", UTC, utc(2026, 1, 31)),
        ("2026-01-31T00:00:00Z", SEOUL, utc(2026, 1, 31)),
        ("1769817600", SEOUL, 1769817600.0),
        ("7d", UTC, 1_000_000.0 - 7 * 86400),
        ("12h", UTC, 1_000_000.0 - 12 * 3600),
        ("30m", UTC, 1_000_000.0 - 1800),
        ("2w", UTC, 1_000_000.0 - 14 * 86400),
    ],
)
def test_times_are_read_in_the_review_zone(text: str, zone, expected: float) -> None:
    assert parse_time(text, zone, now=1_000_000.0) == expected


def test_a_bad_time_says_which_forms_work() -> None:
    with pytest.raises(ValueError, match=r"relative time \(7d, 12h, 30m\)"):
        parse_time("last tuesday")


def test_spreadsheet_dates_carry_their_offset() -> None:
    assert excel_time(utc(2026, 7, 1), BERLIN) == ("2026-07-01 02:00:00", "UTC+02:00")
    assert excel_time(utc(2026, 1, 1), SEOUL) == ("2026-01-01 09:00:00", "UTC+09:00")


def test_a_range_is_cut_where_the_offset_changes() -> None:
    spans = offset_spans(utc(2026, 3, 1), utc(2026, 4, 1), BERLIN)
    assert spans == [
        (utc(2026, 3, 1), utc(2026, 3, 29, 1), 3600),
        (utc(2026, 3, 29, 1), utc(2026, 4, 1), 7200),
    ]
    assert offset_spans(utc(2026, 1, 1), utc(2027, 1, 1), SEOUL) == [
        (utc(2026, 1, 1), utc(2027, 1, 1), 32400)
    ]


def test_day_buckets_follow_local_midnight_across_daylight_saving(
    store_url: str, tmp_path: Path
) -> None:
    """Records every hour from 28 to 30 March 2026, Berlin: the 29th has 23 hours."""
    store = configured_store(AuditSettings(url=store_url, signing_key_file=None, witness="off"))
    store.start()
    start, end = utc(2026, 3, 27, 23), utc(2026, 3, 30, 22)  # Berlin midnights

    async def fill() -> None:
        t, i = start, 0
        while t < end:
            store.append(
                AuditRecord(
                    record_id=f"r{i}",
                    time=t,
                    request_id=f"q{i}",
                    client_address=None,
                    user="kim",
                    provider="openai",
                    api="chat",
                    model="m",
                    method="POST",
                    path="/",
                    decision="allow",
                )
            )
            t, i = t + 3600, i + 1
        await store.flush()

    asyncio.run(fill())
    store.close()
    counts = count(store, AuditFilter(), by="user", per="day", zone=BERLIN)
    days = {datetime.fromtimestamp(r.bucket, BERLIN).isoformat(): r.count for r in counts.rows}
    assert days == {
        "2026-03-28T00:00:00+01:00": 24,
        "2026-03-29T00:00:00+01:00": 23,
        "2026-03-30T00:00:00+02:00": 24,
    }
    assert counts.records == 71 and counts.totals() == [(("kim",), 71)]
    seoul = count(store, AuditFilter(), by="user", per="day", zone=SEOUL)
    assert sum(r.count for r in seoul.rows) == 71 and len(seoul.rows) == 4
