"""Review queries behave the same on SQLite and PostgreSQL: filters, pages, counts."""

from __future__ import annotations

import pytest

from gateway.audit import AuditFilter, AuditRecord
from gateway.audit.query import decode_cursor, encode_cursor, parse_time
from tests.audit.conftest import filled_store

HOUR = 3600.0
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def make(i: int) -> AuditRecord:
    blocked = i % 4 == 0
    return AuditRecord(
        record_id=f"rec-{i}", time=T0 + i * 900.0, request_id=f"req-{i}",  # every 15 minutes
        client_address=None, user=("alice", "bob", "carol")[i % 3],
        groups=["eng"] if i % 2 else ["legal", "seoul"], provider=("openai", "deepseek")[i % 2],
        api="chat", model=None, method="POST", path="/", jurisdiction=("US", "CN")[i % 2],
        decision="block" if blocked else "allow",
        rule_ids=["pipa-resident-number"] if blocked else [],
        monitored_rule_ids=["watch-cards"] if i % 5 == 0 else [],
        entities={"KR_RRN": 1} if blocked else ({"EMAIL_ADDRESS": 2} if i % 3 == 0 else {}),
        details=ANSWERS.get(i % 7),
    )  # fmt: skip


#: what the rules judging answers did, every seventh record alike
ANSWERS: dict[int, dict] = {
    0: {"response": {"action": "mask", "entities": {"CREDIT_CARD": 1}}},
    3: {"response": {"action": "block", "entities": {"KR_RRN": 1}, "blocked": "mid_stream"}},
    5: {"response": {"action": "allow"}},
}


def answer(r: AuditRecord) -> dict:
    return (r.details or {}).get("response", {})


RECORDS = [make(i) for i in range(40)]  # ten hours


@pytest.fixture
def store(store_url: str):
    with filled_store(store_url, RECORDS) as filled:
        yield filled


def ids(records) -> list[str]:
    return [r.record_id for r in records]


def expected(predicate) -> list[str]:
    return [r.record_id for r in reversed(RECORDS) if predicate(r)]


@pytest.mark.parametrize(
    ("where", "predicate"),
    [
        (AuditFilter(user="alice"), lambda r: r.user == "alice"),
        (AuditFilter(group="seoul"), lambda r: "seoul" in r.groups),
        (AuditFilter(provider="deepseek"), lambda r: r.provider == "deepseek"),
        (AuditFilter(jurisdiction="CN"), lambda r: r.jurisdiction == "CN"),
        (AuditFilter(decision="block"), lambda r: r.decision == "block"),
        (AuditFilter(rule="watch-cards"), lambda r: "watch-cards" in r.monitored_rule_ids),
        (AuditFilter(rule="pipa-resident-number"), lambda r: r.decision == "block"),
        (AuditFilter(entity="EMAIL_ADDRESS"), lambda r: "EMAIL_ADDRESS" in r.entities),
        (AuditFilter(start=T0 + 2 * HOUR, end=T0 + 3 * HOUR),
         lambda r: T0 + 2 * HOUR <= r.time < T0 + 3 * HOUR),
        (AuditFilter(user="bob", decision="block", start=T0 + HOUR),
         lambda r: r.user == "bob" and r.decision == "block" and r.time >= T0 + HOUR),
        (AuditFilter(user="nobody"), lambda r: False),
        # findings per direction: an entity in the request, the answer, or either
        (AuditFilter(entity="CREDIT_CARD"),
         lambda r: "CREDIT_CARD" in answer(r).get("entities", {})),
        (AuditFilter(entity="KR_RRN", direction="response"),
         lambda r: "KR_RRN" in answer(r).get("entities", {})),
        (AuditFilter(entity="KR_RRN", direction="request"), lambda r: "KR_RRN" in r.entities),
        (AuditFilter(entity="KR_RRN"),
         lambda r: "KR_RRN" in r.entities or "KR_RRN" in answer(r).get("entities", {})),
        (AuditFilter(direction="response"), lambda r: bool(answer(r).get("entities"))),
        (AuditFilter(direction="request"), lambda r: bool(r.entities)),
        (AuditFilter(decision="block", direction="response"),
         lambda r: answer(r).get("action") == "block"),
    ],
)  # fmt: skip
def test_filters(store, where, predicate) -> None:
    assert ids(store.search(where, limit=100).records) == expected(predicate)


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_cursor_pages_cover_everything_once_in_time_order(store, order) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        page = store.search(AuditFilter(), limit=7, cursor=cursor, order=order)
        seen += ids(page.records)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    want = [r.record_id for r in RECORDS]
    assert seen == (want if order == "asc" else want[::-1]) and pages == 6


def test_a_bad_cursor_is_a_clear_error(store) -> None:
    with pytest.raises(ValueError, match="cursor is not one this API returned"):
        store.search(AuditFilter(), cursor="not-a-cursor!")
    assert decode_cursor(encode_cursor(1.5, 7)) == (1.5, 7)


def test_stats_per_hour_by_decision(store) -> None:
    rows = store.stats(AuditFilter(end=T0 + 2 * HOUR), by="decision", per="hour")
    assert [(r.bucket - T0, r.key, r.count) for r in rows] == [
        (0, "allow", 3), (0, "block", 1), (HOUR, "allow", 3), (HOUR, "block", 1),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("by", "key", "count"),
    [
        ("rule", "pipa-resident-number", 10),
        ("monitored_rule", "watch-cards", 8),
        ("entity", "KR_RRN", 10),
        ("entity", "EMAIL_ADDRESS", 10),  # i % 3 == 0 and not blocked
        ("provider", "deepseek", 20),
        ("user", "alice", 14),
        ("answer_action", "mask", 6),  # i % 7 == 0
        ("answer_action", "block", 6),
        ("answer_action", "allow", 5),
        ("answer_entity", "CREDIT_CARD", 6),
    ],
)
def test_stats_per_day_by_each_dimension(store, by, key, count) -> None:
    rows = {r.key: r.count for r in store.stats(AuditFilter(), by=by, per="day")}
    assert rows[key] == count


def test_stats_refuse_unknown_dimensions(store) -> None:
    with pytest.raises(ValueError, match="cannot count by 'colour'"):
        store.stats(AuditFilter(), by="colour", per="day")


def test_parse_time() -> None:
    assert parse_time("2026-01-01") == T0 == parse_time("2026-01-01T09:00:00+09:00")
    assert parse_time("2026-01-01T00:00:00Z") == T0 == parse_time(str(T0))
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_time("yesterday")
