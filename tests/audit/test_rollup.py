"""The hourly counts give the records' own numbers: written, migrated, caught up, purged."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway.audit import AuditRecord, open_audit_store
from gateway.audit.query import AuditFilter
from gateway.audit.review import count
from gateway.audit.rollup import UNCOUNTED, count_records, rolled_stats
from gateway.audit.sqlstore import COUNT_NOW, COUNT_WHEN_QUIET
from gateway.audit.timezone import offset_at, resolve_zone
from gateway.dev.bench.audit import generate_records
from tests.audit.conftest import filled_store

NOW = time.time()
DAY = 86_400.0


def _records() -> list[AuditRecord]:
    records = generate_records(1_500, end=NOW, days=3, seed=11)
    odd = records[::97]
    for i, r in enumerate(odd):  # the kinds the counts must leave out or keep apart
        r.decision = ("admin", "complete", "block")[i % 3]
        r.provider = None if i % 2 else r.provider
        r.user = "" if i % 5 == 0 else r.user
        r.rule_ids = ["twice", "twice"] if i % 4 == 0 else r.rule_ids
        r.monitored_rule_ids = ["watch"] if i % 2 == 0 else []
    return records


#: (filter, dimensions, per, zone): what the overview and the cross-tab ask
ASKED: list[tuple[AuditFilter, str, str, str]] = [
    (AuditFilter(start=NOW - 2 * DAY), "decision", "day", "Asia/Seoul"),
    (AuditFilter(start=NOW - 2 * DAY - 1234.5), "rule", "all", "UTC"),
    (AuditFilter(start=NOW - 2 * DAY), "entity", "all", "Asia/Seoul"),
    (AuditFilter(start=NOW - DAY, end=NOW - 3 * 3600 + 17), "provider", "hour", "Asia/Seoul"),
    (AuditFilter(), "user", "all", "UTC"),
    (AuditFilter(decision="block", start=NOW - DAY), "user", "all", "UTC"),
    (AuditFilter(decision="admin"), "decision", "day", "UTC"),
    (AuditFilter(end=NOW - DAY), "monitored_rule", "day", "Europe/Berlin"),
    (AuditFilter(start=NOW - 2.5 * DAY, end=NOW - 0.2 * DAY), "entity", "day", "UTC"),
]


def _same_as_records(store: Any) -> None:
    """Every count read from the hours equals the same count read from the records."""
    for where, by, per, zone_name in ASKED:
        zone = resolve_zone(zone_name)
        offset = 0 if per == "all" else offset_at(NOW, zone)
        dims = (by,)
        rolled = rolled_stats(
            store._select, store.dialect, where, dims, per, offset,
            lambda edge: store._raw_stats(edge, dims, per, offset),  # noqa: B023
        )  # fmt: skip
        assert rolled is not None, (where, by)
        raw = store._raw_stats(where, dims, per, offset)
        assert {(r.bucket, r.key): r.count for r in rolled} == {
            (r.bucket, r.key): r.count for r in raw
        }, (where, by, per)
        assert store.stats(where, by=dims, per=per, offset=offset) == rolled
        assert count(store, where, by=by, per=per, zone=zone).records > 0
        assert count_records(store._select, store.dialect, where, store._raw_count) == (
            store._raw_count(where)
        )


def test_counts_from_the_hours_equal_the_records(store_url: str) -> None:
    with filled_store(store_url, _records()) as store:
        _same_as_records(store)
        assert store.count(AuditFilter()) == 1_500 - len(_records()[::97][::3])  # no admin


def test_counts_survive_a_restart(store_url: str) -> None:
    with filled_store(store_url, _records()[:700]):
        pass
    with filled_store(store_url, _records()[700:]) as store:
        _same_as_records(store)


def test_a_filter_the_hours_cannot_answer_is_counted_from_the_records(store_url: str) -> None:
    with filled_store(store_url, _records()) as store:
        where = AuditFilter(entity="KR_RRN", start=NOW - DAY)
        assert count_records(store._select, store.dialect, where, store._raw_count) is None
        assert store.count(where) == store._raw_count(where) > 0
        two = ("user", "provider")
        assert (
            rolled_stats(store._select, store.dialect, where, two, "all", 0, lambda _: []) is None
        )


def test_records_an_older_gateway_wrote_are_counted_by_the_next_batch(store_url: str) -> None:
    records = _records()
    with filled_store(store_url, records[:1000]) as store:
        # what a writer without the counts did: chain and insert, nothing more
        from gateway.audit.chain import chain_records

        with store._transaction() as conn:
            seq, last = conn.execute(
                "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            chain_records(records[1000:1200], int(seq), last)
            store._executemany(conn, store._insert, [store._to_row(r) for r in records[1000:1200]])
        assert _uncounted(store) == 200
        where = AuditFilter(start=NOW - 2 * DAY)
        assert store.count(where) == store._raw_count(where)  # from the records meanwhile
        with store._transaction() as conn:
            store._append_chained(conn, records[1200:])
        _same_as_records(store)


@contextlib.contextmanager
def _unstarted(url: str) -> Iterator[Any]:
    store = open_audit_store(url)
    try:
        yield store
    finally:
        store.close()


def _uncounted(store: Any) -> int:
    """How many records are past the counts' mark."""
    rows = store._select(f"SELECT COUNT(*) FROM audit_records WHERE {UNCOUNTED}", ())
    return int(rows[0][0])


def test_small_commits_are_counted_later_and_reads_stay_exact(store_url: str) -> None:
    records = _records()
    with filled_store(store_url, records[:1300]), _unstarted(store_url) as store:
        # ``store`` commits as a writer thread does, without one racing it in the background
        store._idle()
        assert _uncounted(store) == 0
        for i in range(1300, 1320):  # one record per commit, as a quiet gateway writes
            store._write_batch([records[i]])
        assert _uncounted(store) == 20  # below COUNT_NOW: not counted yet
        _same_as_records(store)  # the counts plus the records past the mark
        assert store._idle_timeout() == COUNT_WHEN_QUIET
        store._idle()
        assert _uncounted(store) == 0
        assert store._idle_timeout() is None
        for i in range(1320, 1320 + COUNT_NOW):
            store._write_batch([records[i]])
        assert _uncounted(store) == 0  # enough waited: counted with the last commit
        _same_as_records(store)


def test_two_writers_taking_turns_keep_the_counts_exact(store_url: str) -> None:
    """Each writer sums what it commits; a record of the other in between must not be
    missed nor counted twice when either catches up."""
    records = _records()
    with (
        filled_store(store_url, records[:1000]),
        _unstarted(store_url) as one,
        _unstarted(store_url) as other,
    ):
        turns = [one] * 5 + [other] * 2 + [one, other] * 40 + [one] * (COUNT_NOW + 5)
        for i, writer in enumerate(turns):
            writer._write_batch([records[1000 + i]])
        assert _uncounted(one) < COUNT_NOW  # one of them caught up meanwhile
        _same_as_records(one)
        other._idle()
        one._idle()
        assert _uncounted(one) == 0
        _same_as_records(one)


def test_a_purge_recounts_the_hours_it_touched(store_url: str) -> None:
    with filled_store(store_url, _records()) as store:
        store.purge(NOW - 1.5 * DAY - 17.25, actor="ops")
        _same_as_records(store)
        assert store.count(AuditFilter(end=NOW - 1.5 * DAY - 3600)) == 0


def test_a_database_made_before_the_counts_is_counted_when_migrated(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    url = f"sqlite:///{path}"
    with filled_store(url, _records()):
        pass
    conn = sqlite3.connect(path)  # back to version 2: no counts
    conn.execute("DROP TABLE audit_counts")
    conn.execute("DROP TABLE audit_counts_through")
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.close()
    reader = open_audit_store(url)  # a reader migrates too
    _same_as_records(reader)
    reader.close()


def test_a_postgres_schema_made_before_the_counts_is_counted_when_migrated(
    postgres_url: str,
) -> None:
    with filled_store(postgres_url, _records()) as store, store._transaction() as conn:
        conn.execute("DROP TABLE audit_counts")
        conn.execute("DROP TABLE audit_counts_through")
        conn.execute("DELETE FROM haetae_audit_migrations WHERE version = 2")
    store = open_audit_store(postgres_url)
    try:
        _same_as_records(store)
    finally:
        store.close()


def test_cursor_pages_hold_every_match_once_in_order(store_url: str) -> None:
    records = _records()
    for r in records[100:110]:
        r.time = records[100].time  # a tie in time: the record number orders it
    with filled_store(store_url, records) as store:
        for where in (AuditFilter(), AuditFilter(entity="KR_RRN"), AuditFilter(decision="block")):
            for order in ("desc", "asc"):
                seen: list[int] = []
                cursor = None
                while True:
                    page = store.search(where, limit=37, cursor=cursor, order=order)
                    seen += [r.seq for r in page.records]
                    if page.next_cursor is None:
                        break
                    cursor = page.next_cursor
                everything = store.search(where, limit=5000, order=order).records
                assert seen == [r.seq for r in everything]
                assert len(seen) == len(set(seen)) == store.count(where) > 0
