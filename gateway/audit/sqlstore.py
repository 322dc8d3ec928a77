"""What SQLite and PostgreSQL stores share: the table's shape, chaining, and reading back.

A backend supplies its connections (``_reading``, ``_transaction``) and its
``Dialect``; everything that decides *what* is written or read lives here, so
the two stores cannot drift apart.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.audit.chain import GENESIS, Checkpoint, CheckpointSigner
from gateway.audit.phases import COMPLETE, completion
from gateway.audit.query import (
    AuditFilter,
    Dialect,
    Order,
    Page,
    StatsRow,
    encode_cursor,
    parse_dimensions,
    search_sql,
    stats_sql,
    where_sql,
)
from gateway.audit.record import AuditRecord
from gateway.audit.rollup import (
    DAY,
    THROUGH,
    Uncounted,
    contributions,
    count_records,
    floor_to,
    mark_sql,
    recount_sql,
    rolled_stats,
    upsert_sql,
)
from gateway.audit.rows import COLUMNS, JSON_COLUMNS, chained_rows, row_of
from gateway.audit.witness_status import report_witness_at_start, witness_status
from gateway.audit.writer import ThreadedAuditStore

__all__ = ["COLUMNS", "JSON_COLUMNS", "PurgeResult", "SQLAuditStore"]

log = logging.getLogger("haetae.audit")

#: a commit of this many records counts them at once (``rollup``); a smaller one leaves
#: them to be counted with others, when the writer is idle or this many more wait
COUNT_NOW = 128
#: how long the writer waits without records before it counts the ones left uncounted
COUNT_WHEN_QUIET = 0.5

SELECT_LIST = ", ".join('"user"' if c == "user" else c for c in COLUMNS)
_CHECKPOINT_COLUMNS = "seq, hash, time, key_id, signature"


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: Any = ..., /) -> Cursor: ...


@dataclass(frozen=True, slots=True)
class PurgeResult:
    deleted: int
    through_seq: int  # the last deleted record's number (0: nothing deleted)
    record: AuditRecord  # the record of the purge itself


class SQLAuditStore(ThreadedAuditStore):
    dialect: Dialect
    #: SQL for the writer id in an opening's ``details``, with {table} for its alias
    details_writer: str

    def __init__(self, *, signer: CheckpointSigner | None = None, **options: Any) -> None:
        super().__init__(**options)
        self._signer = signer
        p = self.dialect.param
        self._insert = (
            f"INSERT INTO audit_records ({SELECT_LIST}) VALUES ({', '.join(p for _ in COLUMNS)})"
        )
        self._insert_checkpoint = (
            f"INSERT INTO audit_checkpoints ({_CHECKPOINT_COLUMNS}) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (seq) DO NOTHING"
        )  # another replica may have signed the same record
        self._upsert_counts = upsert_sql(self.dialect)
        self._mark_counts = mark_sql(self.dialect)
        #: the records past the counts' mark, as far as this writer knows; decides *when*
        #: to count (reads are exact however far behind the mark is) and spares reading
        #: back what this writer committed itself
        self._uncounted = Uncounted()

    def start(self) -> None:
        super().start()
        report_witness_at_start(self._signer)

    def witness_status(self) -> dict[str, Any]:
        return witness_status(self._signer)

    # -- what a SQL backend provides -------------------------------------------------

    def _reading(self) -> contextlib.AbstractContextManager[Connection | None]:
        """A connection to read with, or None when there is no database yet."""
        raise NotImplementedError

    def _transaction(self) -> contextlib.AbstractContextManager[Connection]:
        """The writer's connection inside a transaction holding the store's write lock."""
        raise NotImplementedError

    def _executemany(self, conn: Connection, sql: str, rows: list[tuple[object, ...]]) -> None:
        raise NotImplementedError

    def _load_json(self, value: object) -> Any:
        raise NotImplementedError

    # -- writing -------------------------------------------------------------------

    def _write_batch(self, records: list[AuditRecord]) -> None:
        # ``self._uncounted`` forgets its sums if the transaction rolls back
        with self._uncounted, self._transaction() as conn:
            checkpoint = self._append_chained(conn, records)
        self._witness(checkpoint)

    def _witness(self, checkpoint: Checkpoint | None) -> None:
        """After the commit: a checkpoint rolled back must never reach the witness."""
        if checkpoint is not None and self._signer is not None:
            self._signer.publish(checkpoint)

    def _append_chained(self, conn: Connection, records: list[AuditRecord]) -> Checkpoint | None:
        row = conn.execute(
            "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        last_seq, last_hash = (int(row[0]), row[1] or GENESIS) if row else (0, GENESIS)
        self._executemany(conn, self._insert, chained_rows(records, last_seq, last_hash))
        self._count(conn, records, last_seq)
        signer = self._signer
        if signer is not None and signer.due(len(records)):
            last = records[-1]
            assert last.seq is not None and last.hash is not None
            cp = signer.sign(last.seq, last.hash)
            conn.execute(
                self._insert_checkpoint, (cp.seq, cp.hash, cp.time, cp.key_id, cp.signature)
            )
            return cp
        return None

    def _count(self, conn: Connection, records: list[AuditRecord], last_seq: int) -> None:
        """Count a large batch now; leave a small one for later (``rollup``): counting one
        request's record on its own would double what its commit costs."""
        if not records:
            return
        uncounted = self._uncounted
        if uncounted.mark is None:
            found = conn.execute(THROUGH).fetchone()
            uncounted.start(int(found[0]) if found else 0)
        uncounted.add(records, last_seq)
        if uncounted.waiting >= COUNT_NOW:
            self._count_through(conn, uncounted.newest)

    def _count_through(self, conn: Connection, newest: int) -> None:
        """Add to the counts every record past the mark up to ``newest`` (the tail, in this
        transaction) and move the mark there: from the sums this writer kept when it
        wrote all of them and the mark is where it left it, else from the records."""
        p = self.dialect.param
        uncounted = self._uncounted
        rows = uncounted.rows(newest)
        if rows is None or (
            conn.execute(self._mark_counts + f" AND seq = {p}", (newest, uncounted.mark)).rowcount
            != 1
        ):
            found = conn.execute(THROUGH).fetchone()
            missed = conn.execute(
                f"SELECT {SELECT_LIST} FROM audit_records WHERE seq > {p} AND seq <= {p}",
                (int(found[0]) if found else 0, newest),
            ).fetchall()
            rows = contributions(self._from_row(r) for r in missed)
            conn.execute(self._mark_counts, (newest,))
        if rows:
            self._executemany(conn, self._upsert_counts, rows)
        uncounted.start(newest)

    def _count_all(self, conn: Connection) -> None:
        row = conn.execute("SELECT MAX(seq) FROM audit_records").fetchone()
        self._count_through(conn, int(row[0]) if row and row[0] is not None else 0)

    def _count_quietly(self) -> None:
        """Count what small commits left, in a transaction of its own."""
        try:
            with self._transaction() as conn:
                self._count_all(conn)
        except Exception as exc:  # reads stay exact meanwhile; the next try counts them
            self._uncounted.forget()
            log.warning("audit counts not brought up to date: %s", self._error_kind(exc))

    def _recount_before(self, conn: Connection, time: float) -> None:
        """Count the days up to the one holding ``time`` again from the records left
        (after a purge deleted the records up to it)."""
        p = self.dialect.param
        end = floor_to(time, DAY) + DAY
        low = conn.execute("SELECT MIN(start) FROM audit_counts").fetchone()
        start = int(low[0]) if low and low[0] is not None else end
        conn.execute(f"DELETE FROM audit_counts WHERE start < {p}", (end,))
        for statement in recount_sql(self.dialect, bounded=True):
            conn.execute(statement, (start, end))

    def _close_open_records(self, writer_id: str, since: float) -> int:
        """One transaction: find the writer's openings without a completion, complete them.

        ``since`` (the writer's start) lets the time index narrow the search to
        that process's lifetime.
        """
        from gateway.exchange import new_request_id

        p = self.dialect.param
        columns = ", ".join(f"o.{c}" for c in SELECT_LIST.split(", "))
        sql = (
            f"SELECT {columns} FROM audit_records o WHERE o.time >= {p} AND o.status IS NULL "
            f"AND {self.details_writer.format(table='o')} = {p} AND NOT EXISTS ("
            "SELECT 1 FROM audit_records c WHERE c.request_id = o.request_id "
            f"AND c.decision = '{COMPLETE}') ORDER BY o.seq"
        )
        now = time.time()
        with self._uncounted, self._transaction() as conn:
            rows = conn.execute(sql, (since - 1.0, writer_id)).fetchall()
            openings = [self._from_row(r) for r in rows]
            closing = [
                completion(
                    o, record_id=new_request_id(), status=None, error="gateway_exited",
                    outcome="unknown", at=now,
                )
                for o in openings
            ]  # fmt: skip
            if closing:
                self._append_chained(conn, closing)
        return len(closing)

    def _idle_timeout(self) -> float | None:
        waits = [COUNT_WHEN_QUIET] if self._uncounted.waiting else []
        signer = self._signer
        if signer is not None and signer.pending:
            waits.append(signer.seconds_left())
        return min(waits, default=None)

    def _idle(self) -> None:
        """Count what small commits left uncounted; anchor a quiet tail: sign the newest
        record once the checkpoint interval is up."""
        if self._uncounted.waiting:
            self._count_quietly()
        signer = self._signer
        if signer is None or not signer.pending or signer.seconds_left() > 0:
            return
        self._sign_tail(signer)

    def _before_close(self) -> None:
        """Anchor the tail on a clean stop, so a stopped gateway leaves no unsigned records
        (nor uncounted ones)."""
        if self._uncounted.waiting and self._backend_error is None:
            self._count_quietly()
        signer = self._signer
        if signer is not None and signer.pending and self._backend_error is None:
            self._sign_tail(signer)

    def _sign_tail(self, signer: CheckpointSigner) -> None:
        try:
            with self._transaction() as conn:
                row = conn.execute(
                    "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                if row is None:
                    return
                cp = signer.sign(int(row[0]), row[1])
                conn.execute(
                    self._insert_checkpoint,
                    (cp.seq, cp.hash, cp.time, cp.key_id, cp.signature),
                )
        except Exception as exc:  # a checkpoint can wait; the next write reports a real outage
            log.warning("audit checkpoint failed: %s", self._error_kind(exc))
            return
        self._witness(cp)

    def _to_row(self, record: AuditRecord) -> tuple[object, ...]:
        return row_of(record.to_dict())

    def _from_row(self, row: tuple[object, ...]) -> AuditRecord:
        return AuditRecord.from_dict(self._row_dict(row))

    def _row_dict(self, row: tuple[object, ...]) -> dict[str, Any]:
        # zip in C, then the nine JSON columns: a third of the time of testing all 33
        data = dict(zip(COLUMNS, row, strict=True))
        load = self._load_json
        for name in JSON_COLUMNS:
            value = data[name]
            if value is not None:
                data[name] = load(value)
        return data

    def _stored_ids(self, record_ids: list[str]) -> set[str]:
        if not record_ids:
            return set()
        marks = ", ".join(self.dialect.param for _ in record_ids)
        with self._reading() as conn:
            if conn is None:
                return set()
            sql = f"SELECT record_id FROM audit_records WHERE record_id IN ({marks})"
            return {r[0] for r in conn.execute(sql, tuple(record_ids)).fetchall()}

    # -- reading -------------------------------------------------------------------

    def _select(self, sql: str, params: tuple[object, ...] | list[object]) -> list[Any]:
        with self._reading() as conn:
            if conn is None:
                return []
            return conn.execute(sql, tuple(params)).fetchall()

    def tail(self, limit: int) -> list[AuditRecord]:
        """The newest ``limit`` records, oldest first."""
        if limit <= 0:
            return []
        p = self.dialect.param
        rows = self._select(
            f"SELECT {SELECT_LIST} FROM audit_records ORDER BY seq DESC LIMIT {p}", (limit,)
        )
        return [self._from_row(r) for r in reversed(rows)]

    def after(self, seq: int, limit: int = 500) -> list[AuditRecord]:
        """Records numbered above ``seq``, in chain order (``tail -f``, verification)."""
        p = self.dialect.param
        rows = self._select(
            f"SELECT {SELECT_LIST} FROM audit_records WHERE seq > {p} ORDER BY seq LIMIT {p}",
            (seq, limit),
        )
        return [self._from_row(r) for r in rows]

    def iter_chain(self, batch: int = 2000) -> Iterator[AuditRecord]:
        """Every record in chain order, read a batch at a time."""
        seq = -1
        while records := self.after(seq, batch):
            yield from records
            last = records[-1].seq
            assert last is not None
            seq = last

    def chain_rows(self, seq: int, limit: int) -> list[dict[str, Any]]:
        """Records numbered above ``seq`` as stored (column → value), in chain order: the
        chain check hashes these without building records (``chain_walk``)."""
        p = self.dialect.param
        rows = self._select(
            f"SELECT {SELECT_LIST} FROM audit_records WHERE seq > {p} ORDER BY seq LIMIT {p}",
            (seq, limit),
        )
        return [self._row_dict(r) for r in rows]

    def records_between(self, start: float, end: float) -> list[AuditRecord]:
        """Records with ``start <= time < end``, in the order they were written."""
        p = self.dialect.param
        rows = self._select(
            f"SELECT {SELECT_LIST} FROM audit_records WHERE time >= {p} AND time < {p} "
            "ORDER BY seq",
            (start, end),
        )
        return [self._from_row(r) for r in rows]

    def search(
        self,
        where: AuditFilter,
        *,
        limit: int = 50,
        cursor: str | None = None,
        order: Order = "desc",
    ) -> Page:
        """One page by time; ``next_cursor`` fetches the next. ValueError on a bad cursor."""
        sql, params = search_sql(
            where, self.dialect, SELECT_LIST, limit=limit, cursor=cursor, order=order
        )
        records = [self._from_row(r) for r in self._select(sql, params)]
        more = len(records) > limit
        records = records[:limit]
        last = records[-1] if records else None
        next_cursor = encode_cursor(last.time, last.seq or 0) if more and last else None
        return Page(records, next_cursor)

    def stats(
        self, where: AuditFilter, *, by: str | tuple[str, ...], per: str, offset: int = 0
    ) -> list[StatsRow]:
        """Counts per bucket and key(s); ``by`` may name several (``"user,provider"``)."""
        dimensions = parse_dimensions(by)
        rolled = rolled_stats(
            self._select, self.dialect, where, dimensions, per, int(offset),
            lambda edge: self._raw_stats(edge, dimensions, per, offset),
        )  # fmt: skip
        if rolled is not None:
            return rolled
        return self._raw_stats(where, dimensions, per, offset)

    def _raw_stats(
        self, where: AuditFilter, by: tuple[str, ...], per: str, offset: int
    ) -> list[StatsRow]:
        sql, params = stats_sql(where, self.dialect, by, per, offset=offset)
        rows = []
        for bucket, *found, n in self._select(sql, params):
            keys = tuple(None if k is None else str(k) for k in found)
            rows.append(StatsRow(float(bucket), keys[0], int(n), keys))
        return rows

    def usage(self, where: AuditFilter, by: tuple[str, ...], offset: int = 0) -> list[Any]:
        """Raw usage rows (``usage_report.usage_sql``): keys, then the metrics."""
        from gateway.audit.usage_report import usage_sql

        sql, params = usage_sql(where, self.dialect, by, offset)
        return self._select(sql, params)

    def count(self, where: AuditFilter) -> int:
        """How many records ``where`` matches: from the hourly counts where they can say."""
        found = count_records(self._select, self.dialect, where, self._raw_count)
        return self._raw_count(where) if found is None else found

    def _raw_count(self, where: AuditFilter) -> int:
        clauses, params = where_sql(where, self.dialect)
        condition = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._select(f"SELECT COUNT(*) FROM audit_records{condition}", params)
        return int(rows[0][0]) if rows else 0

    def time_range(self, where: AuditFilter) -> tuple[int, float, float] | None:
        """How many records ``where`` matches, and the first and last one's time (None: none)."""
        clauses, params = where_sql(where, self.dialect)
        condition = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT COUNT(*), MIN(time), MAX(time) FROM audit_records{condition}"
        rows = self._select(sql, params)
        if not rows or not rows[0][0]:
            return None
        return int(rows[0][0]), float(rows[0][1]), float(rows[0][2])

    def checkpoints(self) -> list[Checkpoint]:
        rows = self._select(f"SELECT {_CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq", ())
        return [Checkpoint(int(s), h, float(t), k, sig) for s, h, t, k, sig in rows]

    def analyze(self) -> None:
        """Refresh the planner's statistics (after a bulk load; routine upkeep otherwise)."""
        with self._transaction() as conn:
            conn.execute("ANALYZE audit_records")

    def append_now(self, record: AuditRecord) -> AuditRecord:
        """Chain and commit one record in a transaction of its own, with no writer thread.

        For the CLI's administrative records (a key issued or revoked): the tail is
        read inside the transaction, so a running gateway's writer and this one
        never chain onto the same record.
        """
        with self._transaction() as conn:
            self._append_chained(conn, [record])
        return record

    # -- retention -------------------------------------------------------------------

    def purge(self, before: float, *, actor: str) -> PurgeResult:
        """Delete the oldest records up to the first one at or after ``before``, and record it.

        Only a prefix of the chain is removed, so what remains still verifies: the
        purge record names the last deleted record's number and hash, which the
        first remaining record points to. A record written out of time order
        just after the cut-off is kept rather than leaving a hole.
        """
        p = self.dialect.param
        with self._transaction() as conn:
            row = conn.execute(
                f"SELECT MIN(seq) FROM audit_records WHERE time >= {p}", (before,)
            ).fetchone()
            if row is None or row[0] is None:
                last = conn.execute("SELECT MAX(seq) FROM audit_records").fetchone()
                through = int(last[0]) if last and last[0] is not None else 0
            else:
                through = int(row[0]) - 1
            found = conn.execute(
                f"SELECT hash, (SELECT COUNT(*) FROM audit_records WHERE seq <= {p}) "
                f"FROM audit_records WHERE seq = {p}",
                (through, through),
            ).fetchone()
            purged_hash, deleted = (found[0], int(found[1])) if found else (None, 0)
            record = _purge_record(before, actor, through, purged_hash, deleted)
            # Chain first: the purge record follows the current tail, which may be deleted next.
            checkpoint = self._append_chained(conn, [record])
            self._count_all(conn)  # what the recount below counts again must not wait uncounted
            if deleted:
                newest = conn.execute(
                    f"SELECT MAX(time) FROM audit_records WHERE seq <= {p}", (through,)
                ).fetchone()
                conn.execute(f"DELETE FROM audit_records WHERE seq <= {p}", (through,))
                conn.execute(f"DELETE FROM audit_checkpoints WHERE seq <= {p}", (through,))
                self._recount_before(conn, float(newest[0]))
        self._witness(checkpoint)
        return PurgeResult(deleted, through if deleted else 0, record)


def _purge_record(
    before: float, actor: str, through: int, purged_hash: str | None, deleted: int
) -> AuditRecord:
    from gateway.exchange import new_request_id

    now = time.time()
    return AuditRecord(
        record_id=new_request_id(),
        time=now,
        request_id=new_request_id(),
        client_address=None,
        user=actor,
        provider=None,
        api=None,
        model=None,
        method="PURGE",
        path="audit",
        decision="purge",
        details={
            "before": before,
            "deleted": deleted,
            "through_seq": through if deleted else None,
            "through_hash": purged_hash if deleted else None,
        },
    )
