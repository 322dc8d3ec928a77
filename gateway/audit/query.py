"""Review queries over any SQL store: filters, cursor pages and per-hour/day counts.

The SQL is built here once, with the few places where SQLite and PostgreSQL
differ (placeholders, JSON membership, unnesting) behind a ``Dialect``. Values
are always parameters, never spliced into the text.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import orjson

from gateway.audit.record import AuditRecord

__all__ = [
    "BUCKETS",
    "DIRECTIONS",
    "STATS_DIMENSIONS",
    "AuditFilter",
    "Dialect",
    "Page",
    "StatsRow",
    "decode_cursor",
    "encode_cursor",
    "parse_time",
    "search_sql",
    "stats_sql",
]

STATS_DIMENSIONS = (
    "decision",
    "rule",
    "monitored_rule",
    "entity",
    "provider",
    "user",
    "answer_action",
    "answer_entity",
)
#: which findings a filter reads: the request's, the answer's (``details.response``), or both
Direction = Literal["request", "response"]
DIRECTIONS: tuple[str, ...] = ("request", "response")
BUCKETS = {"hour": 3600, "day": 86400}
Order = Literal["desc", "asc"]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Every field narrows the result; None means "any". ``end`` is exclusive."""

    start: float | None = None
    end: float | None = None
    user: str | None = None
    group: str | None = None
    provider: str | None = None
    jurisdiction: str | None = None
    decision: str | None = None
    rule: str | None = None  # enforced or monitored
    entity: str | None = None
    #: ``entity`` (and, with ``response``, ``decision``) read in the request or the answer;
    #: None: an entity in either. Alone, ``response`` means "an answer held findings"
    direction: Direction | None = None


@dataclass(slots=True)
class Page:
    records: list[AuditRecord]
    next_cursor: str | None  # None: this was the last page


@dataclass(frozen=True, slots=True)
class StatsRow:
    bucket: float  # start of the hour or day, unix seconds UTC
    key: str | None
    count: int


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one database spells the non-standard parts."""

    param: str  # "?" or "%s"
    #: SQL true when a JSON array column holds the parameter
    array_contains: str  # with {col} and one parameter
    object_has_key: str  # with {col} and one parameter
    bucket: str  # with {seconds}
    array_elements: str  # a FROM item yielding j.value for {col}
    object_keys: str  # a FROM item aliased j over the keys of {col}
    object_key: str  # the key's column in that item
    object_not_empty: str  # SQL true when the JSON object {col} has a key
    #: the answer's entity counts (``details.response.entities``), as a JSON object
    answer_entities: str
    #: what the rules judging the answer did (``details.response.action``), as text
    answer_action: str
    #: a FROM item aliased j over the keys of the answer's entities (key in ``object_key``)
    answer_entity_keys: str


def encode_cursor(time: float, seq: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([time, seq])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, int]:
    """Raises ValueError with a message meant for the caller."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        time, seq = orjson.loads(raw)
        if isinstance(time, bool) or isinstance(seq, bool):
            raise TypeError
        return float(time), int(seq)
    except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError):
        raise ValueError("the cursor is not one this API returned") from None


def _where(f: AuditFilter, d: Dialect) -> tuple[list[str], list[object]]:
    p = d.param
    clauses: list[str] = []
    params: list[object] = []
    if f.start is not None:
        clauses.append(f"time >= {p}")
        params.append(f.start)
    if f.end is not None:
        clauses.append(f"time < {p}")
        params.append(f.end)
    answers = f.direction == "response"
    for column, value in (
        ('"user"', f.user),
        ("provider", f.provider),
        ("jurisdiction", f.jurisdiction),
        (d.answer_action if answers else "decision", f.decision),
    ):
        if value is not None:
            clauses.append(f"{column} = {p}")
            params.append(value)
    if f.group is not None:
        clauses.append(d.array_contains.format(col="groups"))
        params.append(f.group)
    if f.rule is not None:
        either = " OR ".join(
            d.array_contains.format(col=c) for c in ("rule_ids", "monitored_rule_ids")
        )
        clauses.append(f"({either})")
        params += [f.rule, f.rule]
    in_request = d.object_has_key.format(col="entities")
    in_answer = d.object_has_key.format(col=d.answer_entities)
    if f.entity is not None:
        if f.direction is None:
            clauses.append(f"({in_request} OR {in_answer})")
            params += [f.entity, f.entity]
        else:
            clauses.append(in_answer if answers else in_request)
            params.append(f.entity)
    elif f.direction is not None:  # records with findings in that direction
        column = d.answer_entities if answers else "entities"
        clauses.append(d.object_not_empty.format(col=column))
    return clauses, params


def search_sql(
    f: AuditFilter,
    d: Dialect,
    columns: str,
    *,
    limit: int,
    cursor: str | None = None,
    order: Order = "desc",
) -> tuple[str, list[object]]:
    """Newest first by default; the cursor continues after the last record of a page."""
    clauses, params = _where(f, d)
    if cursor is not None:
        time, seq = decode_cursor(cursor)
        op = "<" if order == "desc" else ">"
        clauses.append(f"(time {op} {d.param} OR (time = {d.param} AND seq {op} {d.param}))")
        params += [time, time, seq]
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    direction = "DESC" if order == "desc" else "ASC"
    sql = (
        f"SELECT {columns} FROM audit_records{where} "
        f"ORDER BY time {direction}, seq {direction} LIMIT {d.param}"
    )
    return sql, [*params, limit + 1]  # one more tells whether a next page exists


def stats_sql(f: AuditFilter, d: Dialect, by: str, per: str) -> tuple[str, list[object]]:
    """Record counts per bucket and key; for rules and entities a record counts once per key."""
    if by not in STATS_DIMENSIONS:
        raise ValueError(f"cannot count by {by!r}; choose one of {', '.join(STATS_DIMENSIONS)}")
    if per not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}, not {per!r}")
    clauses, params = _where(f, d)
    source = "audit_records"
    if by == "rule":
        source += ", " + d.array_elements.format(col="rule_ids")
        key = "j.value"
    elif by == "monitored_rule":
        source += ", " + d.array_elements.format(col="monitored_rule_ids")
        key = "j.value"
    elif by == "entity":
        source += ", " + d.object_keys.format(col="entities")
        key = d.object_key
    elif by == "answer_entity":
        source += ", " + d.answer_entity_keys
        key = d.object_key
    elif by == "answer_action":
        clauses.append(f"{d.answer_action} IS NOT NULL")  # only answers the rules read
        key = d.answer_action
    else:
        key = '"user"' if by == "user" else by
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    bucket = d.bucket.format(seconds=BUCKETS[per])
    sql = (
        f"SELECT {bucket} AS bucket, {key} AS key, COUNT(*) AS n FROM {source}{where} "
        "GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"
    )
    return sql, params


def parse_time(text: str) -> float:
    """Unix seconds, or an ISO 8601 date or date-time (UTC unless it names an offset).

    Raises ValueError with a message meant for the caller.
    """
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use ISO 8601 (2026-01-31 or 2026-01-31T09:00:00Z) "
            "or unix seconds"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()
