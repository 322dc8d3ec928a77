"""Counts kept beside the records, so a week's counts need not read a week of records.

``audit_counts`` holds, per UTC hour and per UTC day, decision and dimension
value, how many records there are: one row per (``decision``, ``provider``,
``user``) value and per rule, monitored rule and entity type a record names.
A week is read as its whole days, the hours at either end, and the records of
the part hours at the very ends.

``audit_counts_through`` marks the last record counted. The writer counts a
large batch in the transaction that inserts it; a small commit (one request's
record) is left uncounted, since an upsert per dimension would double its cost,
and the records past the mark are counted together when the writer is idle or
when enough of them wait (``SQLAuditStore._count``). So counts and mark commit
or roll back together, and a read adds the records past the mark to the counts
*in the same statement*, which sees one snapshot: a catch-up committing
meanwhile is seen whole or not at all, and no record is counted twice or
missed. A database made before the table existed is counted from its records
when it is migrated (``recount``), and a purge recounts the hours it touched.

A count is read from here only when its filter is time and decision alone and
it counts one of those dimensions (the overview, and a cross-tab of one
dimension per day or hour); the part of the range that does not fill whole
hours is counted from the records, so the answer is exact, the same number
the records give. Everything else is counted from the records.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from gateway.audit.admin_event import ADMIN_DECISION
from gateway.audit.phases import COMPLETE
from gateway.audit.query import BUCKETS, AuditFilter, Dialect, StatsRow, stats_sql, where_sql
from gateway.audit.record import AuditRecord

__all__ = [
    "DAY",
    "HOUR",
    "ROLLED",
    "THROUGH",
    "UNCOUNTED",
    "Uncounted",
    "contributions",
    "count_records",
    "floor_to",
    "kind_of",
    "mark_sql",
    "migration_sql",
    "recount_sql",
    "rolled_stats",
    "upsert_sql",
]

HOUR, DAY = 3600, 86_400
#: the dimensions counted; ``decision`` rows double as the record count
ROLLED = ("decision", "provider", "user", "rule", "monitored_rule", "entity")
_PRIMARY = "dimension, seconds, start, decision, key, null_key"
_COLUMNS = f"{_PRIMARY}, n"
#: ``audit_counts_through`` holds the last record counted: a record written by a gateway
#: older than the table (a replica not yet upgraded) leaves it behind the chain, and
#: until the next batch of a newer writer counts those records, counts come from the records
THROUGH = "SELECT seq FROM audit_counts_through WHERE id = 1"
#: the records the counts do not hold yet
UNCOUNTED = f"seq > ({THROUGH})"
#: (dimension, seconds, start, decision, key, null_key): ``key`` is never NULL (a primary
#: key's NULLs never conflict), so a missing value is ``key = ''`` with ``null_key = 1``
Key = tuple[str, int, int, str, str, int]
#: (hour, day, decision, provider, user, rules, monitored rules, entity types)
Kind = tuple[
    int, int, str, str | None, str | None, tuple[str, ...], tuple[str, ...], tuple[str, ...]
]
Span = tuple[int, int | None, int | None]  # (seconds, first start, end), None: open
Plan = tuple[list[Span], list[AuditFilter], AuditFilter]  # spans, edges, what spans cover
Select = Callable[[str, list[object]], list[Any]]
RawStats = Callable[[AuditFilter], list[StatsRow]]


def upsert_sql(d: Dialect) -> str:
    marks = ", ".join(d.param for _ in range(7))
    return (
        f"INSERT INTO audit_counts ({_COLUMNS}) VALUES ({marks}) "
        f"ON CONFLICT ({_PRIMARY}) DO UPDATE SET n = audit_counts.n + excluded.n"
    )


def mark_sql(d: Dialect) -> str:
    return f"UPDATE audit_counts_through SET seq = {d.param} WHERE id = 1"


def migration_sql(d: Dialect, *, without_rowid: bool) -> list[str]:
    """The tables, counted from the records already there; safe to run again."""
    tail = " WITHOUT ROWID" if without_rowid else ""
    return [
        "CREATE TABLE IF NOT EXISTS audit_counts (dimension TEXT NOT NULL, "
        "seconds INTEGER NOT NULL, start BIGINT NOT NULL, decision TEXT NOT NULL, "
        "key TEXT NOT NULL, null_key INTEGER NOT NULL, n BIGINT NOT NULL, "
        f"PRIMARY KEY ({_PRIMARY})){tail}",
        "CREATE TABLE IF NOT EXISTS audit_counts_through "
        "(id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL)",
        "DELETE FROM audit_counts",
        "DELETE FROM audit_counts_through",
        *recount_sql(d, bounded=False),
        "INSERT INTO audit_counts_through (id, seq) "
        "SELECT 1, COALESCE(MAX(seq), 0) FROM audit_records",
    ]


def floor_to(time: float, seconds: int) -> int:
    """The same float division the SQL buckets use, so both agree on every record."""
    return math.floor(time / seconds) * seconds


def contributions(records: Iterable[AuditRecord]) -> list[tuple[object, ...]]:
    """The rows a batch adds, summed (a list repeated in a record counts each time, as the
    records' own count does)."""
    return _rows(Counter(map(kind_of, records)))


def kind_of(r: AuditRecord) -> Kind:
    """What the counts need of a record; records of a kind add the same rows."""
    return (
        math.floor(r.time / HOUR) * HOUR,
        math.floor(r.time / DAY) * DAY,
        r.decision,
        r.provider,
        r.user,
        tuple(r.rule_ids),
        tuple(r.monitored_rule_ids),
        tuple(r.entities),
    )


def _rows(kinds: Counter[Kind]) -> list[tuple[object, ...]]:
    counts: Counter[Key] = Counter()
    for (hour, day, decision, provider, user, rules, monitored, entities), n in kinds.items():
        for start, seconds in ((hour, HOUR), (day, DAY)):
            counts["decision", seconds, start, decision, decision, 0] += n
            counts[
                "provider", seconds, start, decision, provider or "", 1 if provider is None else 0
            ] += n
            counts["user", seconds, start, decision, user or "", 1 if user is None else 0] += n
            for rule in rules:
                counts["rule", seconds, start, decision, rule, 0] += n
            for rule in monitored:
                counts["monitored_rule", seconds, start, decision, rule, 0] += n
            for entity in entities:
                counts["entity", seconds, start, decision, entity, 0] += n
    return [(*key, n) for key, n in counts.items()]


class Uncounted:
    """What the writer knows of the records past the counts' mark, so that a catch-up
    upserts sums it kept as it committed instead of reading those records back.

    ``kinds`` counts the records in ``(mark, newest]`` by kind (``kind_of``: one
    tuple per record on the writer's path; the rows are worked out at the
    catch-up) as long as this writer wrote them all; a record of another writer
    in between (or a rolled-back transaction: ``forget``) leaves it None, and the
    catch-up reads the records.
    """

    def __init__(self) -> None:
        self.mark: int | None = None  # None: ask the store
        self.newest = 0
        self.kinds: Counter[Kind] | None = None

    def forget(self) -> None:
        self.mark, self.newest, self.kinds = None, 0, None

    # Around a transaction: what was summed in one that rolled back is wrong. (A class's
    # context costs less than a generator's, on the writer's path once per commit.)
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self.forget()  # ask the store again

    def start(self, mark: int) -> None:
        """Nothing past ``mark`` is known yet, nor (if the chain goes further) summed."""
        self.mark, self.newest, self.kinds = mark, mark, Counter()

    def add(self, records: list[AuditRecord], last_seq: int) -> None:
        """``records``, chained after ``last_seq``, are in the transaction now committing."""
        if self.kinds is not None and self.newest == last_seq:
            self.kinds.update(map(kind_of, records))
        else:  # records we never saw lie between: the catch-up reads them
            self.kinds = None
        newest = records[-1].seq
        assert newest is not None
        self.newest = newest

    @property
    def waiting(self) -> int:
        """How many records are past the mark (0 when not known)."""
        return 0 if self.mark is None else self.newest - self.mark

    def rows(self, newest: int) -> list[tuple[object, ...]] | None:
        """The summed rows of ``(mark, newest]``, if this writer holds all of them."""
        if self.kinds is None or self.newest != newest:
            return None
        return _rows(self.kinds)


def recount_sql(d: Dialect, *, bounded: bool) -> list[str]:
    """Statements counting the records (of ``[start, end)`` when ``bounded``: two
    parameters each) into the table, whose rows for that range must be gone first."""
    where = f" WHERE time >= {d.param} AND time < {d.param}" if bounded else ""
    sources = {
        "decision": ("audit_records", "decision"),
        "provider": ("audit_records", "provider"),
        "user": ("audit_records", '"user"'),
        "rule": (f"audit_records, {d.array_elements.format(col='rule_ids')}", "j.value"),
        "monitored_rule": (
            f"audit_records, {d.array_elements.format(col='monitored_rule_ids')}",
            "j.value",
        ),
        "entity": (f"audit_records, {d.object_keys.format(col='entities')}", d.object_key),
    }
    statements = []
    for seconds in (HOUR, DAY):
        start = f"CAST({d.bucket.format(seconds=seconds)} AS BIGINT)"
        for name in ROLLED:
            source, key = sources[name]
            statements.append(
                f"INSERT INTO audit_counts ({_COLUMNS}) SELECT '{name}', {seconds}, {start}, "
                f"decision, COALESCE(CAST({key} AS TEXT), ''), "
                f"CASE WHEN {key} IS NULL THEN 1 ELSE 0 END, COUNT(*) "
                f"FROM {source}{where} GROUP BY 3, 4, 5, 6"
            )
    return statements


def _answerable(where: AuditFilter) -> bool:
    rest = replace(where, start=None, end=None, decision=None)
    return rest == AuditFilter()


def _plan(where: AuditFilter, days: bool) -> Plan | None:
    """Which stored spans cover the range (whole days when ``days``, else whole hours),
    the part hours at its ends, read from the records, and the whole hours as a filter
    (for the records past the mark); None: not a whole hour in it."""
    first = None if where.start is None else -floor_to(-where.start, HOUR)
    last = None if where.end is None else floor_to(where.end, HOUR)
    if first is not None and last is not None and first >= last:
        return None
    edges = []
    if first is not None and where.start is not None and where.start < first:
        edges.append(replace(where, end=first))
    if last is not None and (where.end is None or where.end > last):
        edges.append(replace(where, start=last))
    covered = AuditFilter(start=first, end=last, decision=where.decision)
    if not days:
        return [(HOUR, first, last)], edges, covered
    day_first = None if first is None else -floor_to(-first, DAY)
    day_last = None if last is None else floor_to(last, DAY)
    if day_first is not None and day_last is not None and day_first >= day_last:
        return [(HOUR, first, last)], edges, covered
    spans: list[Span] = [(DAY, day_first, day_last)]
    if first is not None and day_first is not None and first < day_first:
        spans.append((HOUR, first, day_first))
    if last is not None and day_last is not None and day_last < last:
        spans.append((HOUR, day_last, last))
    return spans, edges, covered


def _spans_sql(
    d: Dialect, spans: list[Span], select: str, condition: str, params: list[object]
) -> tuple[str, list[object]]:
    """One SELECT per span (each a range of the primary key), joined by UNION ALL."""
    parts, values = [], []
    for seconds, first, last in spans:
        clauses = [f"seconds = {seconds}"]
        values += params
        if first is not None:
            clauses.append(f"start >= {d.param}")
            values.append(first)
        if last is not None:
            clauses.append(f"start < {d.param}")
            values.append(last)
        parts.append(
            f"SELECT {select} FROM audit_counts WHERE {condition} AND " + " AND ".join(clauses)
        )
    return " UNION ALL ".join(parts), values


def rolled_stats(
    select: Select,
    d: Dialect,
    where: AuditFilter,
    dimensions: tuple[str, ...],
    per: str,
    offset: int,
    raw: RawStats,
) -> list[StatsRow] | None:
    """``SQLAuditStore.stats`` from the counts, or None when they cannot answer it."""
    if len(dimensions) != 1 or dimensions[0] not in ROLLED or not _answerable(where):
        return None
    seconds = BUCKETS[per]
    if seconds and offset % HOUR:
        return None  # a zone whose day starts mid-hour (Asia/Kolkata): from the records
    plan = _plan(where, days=seconds == 0 or (seconds == DAY and offset % DAY == 0))
    if plan is None:
        return None
    spans, edges, covered = plan
    shift = int(offset)
    if seconds == 0:
        bucket = "0"
    elif seconds == HOUR:
        bucket = "start"
    else:
        local = d.bucket.format(seconds=seconds).replace("time", f"(start + {shift})")
        bucket = f"({local}) - {shift}"
    # what the records' count leaves out: admin actions unless asked for; completions,
    # whose requests their openings already count
    if where.decision is None:
        decided, params = f"decision NOT IN ('{ADMIN_DECISION}', '{COMPLETE}')", []
    else:
        decided = f"decision = {d.param} AND decision <> '{COMPLETE}'"
        params = [where.decision]
    union, values = _spans_sql(
        d, spans, f"{bucket} AS b, CASE WHEN null_key = 1 THEN NULL ELSE key END AS k, n",
        f"dimension = {d.param} AND {decided}", [dimensions[0], *params],
    )  # fmt: skip
    fresh, fresh_values = stats_sql(
        covered, d, dimensions, per, offset=offset, also=(UNCOUNTED,)
    )  # the records past the mark, bucketed as the records' own count does
    sql = (
        f"SELECT b, k, SUM(n) FROM ({union} UNION ALL SELECT bucket, k0, n FROM ({fresh}) "
        "AS fresh) AS spans GROUP BY b, k"
    )
    values += fresh_values
    merged: Counter[tuple[float, str | None]] = Counter()
    for bucket_start, key, n in select(sql, values):
        merged[float(bucket_start), None if key is None else str(key)] += int(n)
    for edge in edges:
        for row in raw(edge):
            merged[row.bucket, row.key] += row.count
    ordered = sorted(
        merged.items(), key=lambda item: (item[0][0], -item[1], item[0][1] is None, item[0][1])
    )
    return [StatsRow(b, key, n, (key,)) for (b, key), n in ordered if n]


def count_records(
    select: Select, d: Dialect, where: AuditFilter, raw: Callable[[AuditFilter], int]
) -> int | None:
    """How many records ``where`` matches (as ``COUNT(*)`` would), or None when the counts
    cannot say."""
    if not _answerable(where):
        return None
    plan = _plan(where, days=True)
    if plan is None:
        return None
    spans, edges, covered = plan
    params: list[object] = []
    if where.decision is None:
        decided = f"decision <> '{ADMIN_DECISION}'"
    else:
        decided, params = f"decision = {d.param}", [where.decision]
    union, values = _spans_sql(d, spans, "n", f"dimension = 'decision' AND {decided}", params)
    clauses, fresh_values = where_sql(covered, d)
    fresh = " AND ".join([*clauses, UNCOUNTED])
    rows = select(
        f"SELECT SUM(n) FROM ({union} UNION ALL SELECT COUNT(*) FROM audit_records "
        f"WHERE {fresh}) AS spans",
        values + fresh_values,
    )
    found = int(rows[0][0] or 0) if rows else 0
    return found + sum(raw(edge) for edge in edges)
