"""Review queries over any SQL store: filters, cursor pages and per-hour/day counts.

The SQL is built here once, with the few places where SQLite and PostgreSQL
differ (placeholders, JSON membership, unnesting) behind a ``Dialect``. Values
are always parameters, never spliced into the text.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Literal

import orjson

from gateway.audit.admin_event import ADMIN_DECISION
from gateway.audit.phases import COMPLETE
from gateway.audit.record import AuditRecord
from gateway.audit.timezone import parse_time

__all__ = [
    "AMONG_COLUMNS",
    "BUCKETS",
    "DIRECTIONS",
    "STATS_DIMENSIONS",
    "UNNESTED",
    "AuditFilter",
    "Dialect",
    "Page",
    "StatsRow",
    "decode_cursor",
    "encode_cursor",
    "parse_dimensions",
    "parse_time",
    "search_sql",
    "stats_sql",
    "where_sql",
]

_FINGERPRINT = re.compile(r"[0-9a-fA-F]{32}")
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
#: bucket widths in seconds; "all" is one bucket for the whole range (a plain cross-tab)
BUCKETS = {"hour": 3600, "day": 86400, "all": 0}
#: dimensions that unnest a list: a cross-tab may hold one of them
UNNESTED = frozenset({"rule", "monitored_rule", "entity", "answer_entity"})
#: the dimensions ``AuditFilter.among`` can narrow: plain columns, each with an index
AMONG_COLUMNS = {"user": '"user"', "provider": "provider", "decision": "decision"}
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
    fingerprint: str | None = None  # 32 hex digits, as ``haetae audit fingerprint`` prints
    #: ``entity`` (and, with ``response``, ``decision``) read in the request or the answer;
    #: None: an entity in either. Alone, ``response`` means "an answer held findings"
    direction: Direction | None = None
    #: (dimension, values): only records whose dimension is one of these (None: no value);
    #: a cross-tab's top rows, read by the index on that column (``AMONG_COLUMNS``)
    among: tuple[str, tuple[str | None, ...]] | None = None


@dataclass(slots=True)
class Page:
    records: list[AuditRecord]
    next_cursor: str | None  # None: this was the last page


@dataclass(frozen=True, slots=True)
class StatsRow:
    bucket: float  # start of the hour or day (local, for a zone), unix seconds; 0 for "all"
    key: str | None  # the first dimension's value
    count: int
    keys: tuple[str | None, ...] = ()  # every dimension's value, in the order asked for


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
    #: a JSON value at a path of {col} as text; {dotted}: ``a.b``, {commas}: ``a,b``
    json_path: str
    #: a join yielding g.value for each element of the JSON array {col}, NULL for none
    array_left_join: str


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


def where_sql(f: AuditFilter, d: Dialect) -> tuple[list[str], list[object]]:
    """The filters as SQL. Admin actions share the chain but are not requests: they
    are left out unless ``decision`` asks for them (``decision=admin``)."""
    p = d.param
    clauses: list[str] = []
    params: list[object] = []
    if f.decision is None:
        clauses.append(f"decision <> '{ADMIN_DECISION}'")
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
    if f.among is not None:
        clauses.append(_among_sql(f.among, p, params))
    if f.fingerprint is not None:
        # Hex only, so the pattern holds no LIKE wildcard; the same SQL on both stores.
        if not _FINGERPRINT.fullmatch(f.fingerprint):
            raise ValueError("a fingerprint is 32 hex digits, as `haetae audit fingerprint` prints")
        clauses.append(f"CAST(findings AS TEXT) LIKE {p}")
        params.append(f'%"{f.fingerprint.lower()}"%')
    return clauses, params


def _among_sql(among: tuple[str, tuple[str | None, ...]], p: str, params: list[object]) -> str:
    name, values = among
    column = AMONG_COLUMNS.get(name)
    if column is None:
        raise ValueError(f"cannot narrow by {name!r}; choose from {', '.join(AMONG_COLUMNS)}")
    named = [v for v in values if v is not None]
    parts = [f"{column} IN ({', '.join(p for _ in named)})"] if named else []
    params += named
    if len(named) < len(values):
        parts.append(f"{column} IS NULL")
    return f"({' OR '.join(parts)})" if parts else "1 = 0"


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
    clauses, params = where_sql(f, d)
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


def parse_dimensions(by: str | tuple[str, ...]) -> tuple[str, ...]:
    """``"user,provider"`` → ``("user", "provider")``; ValueError names what is allowed."""
    names = tuple(n.strip() for n in by.split(",")) if isinstance(by, str) else by
    if not names or len(set(names)) != len(names):
        raise ValueError(f"by needs distinct dimensions from {', '.join(STATS_DIMENSIONS)}")
    for name in names:
        if name not in STATS_DIMENSIONS:
            raise ValueError(f"cannot count by {name!r}; choose from {', '.join(STATS_DIMENSIONS)}")
    if len(UNNESTED.intersection(names)) > 1:
        raise ValueError("a cross-tab may hold only one of rule, monitored_rule and entity")
    return names


def stats_sql(
    f: AuditFilter,
    d: Dialect,
    by: str | tuple[str, ...],
    per: str,
    *,
    offset: int = 0,
    also: tuple[str, ...] = (),
) -> tuple[str, list[object]]:
    """Request counts per bucket and key(s); for rules and entities a record counts once
    per key. A forwarded request's completion is not counted: its opening already is.

    ``offset`` (seconds east of UTC) shifts buckets to start at local midnight or
    hour; the bucket returned is that local start as unix seconds. ``also``: more
    conditions, SQL of the caller's own (the counts' mark, ``rollup``).
    """
    dimensions = parse_dimensions(by)
    if per not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}, not {per!r}")
    clauses, params = where_sql(f, d)
    clauses += also
    if f.direction != "response" and not any(n.startswith("answer_") for n in dimensions):
        # A forwarded request counts once, by its opening; what its answer held is
        # in its completion, so answer counts read completions.
        clauses.append(f"decision <> '{COMPLETE}'")

    source = "audit_records"
    keys: list[str] = []
    for name in dimensions:
        if name in ("rule", "monitored_rule"):
            column = "rule_ids" if name == "rule" else "monitored_rule_ids"
            source += ", " + d.array_elements.format(col=column)
            keys.append("j.value")
        elif name == "entity":
            source += ", " + d.object_keys.format(col="entities")
            keys.append(d.object_key)
        elif name == "answer_entity":
            source += ", " + d.answer_entity_keys
            keys.append(d.object_key)
        elif name == "answer_action":
            clauses.append(f"{d.answer_action} IS NOT NULL")  # only answers the rules read
            keys.append(d.answer_action)
        else:
            keys.append('"user"' if name == "user" else name)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    seconds = BUCKETS[per]
    if seconds == 0:
        bucket = "0"
    else:
        shift = int(offset)  # an int from the zone database, never caller text
        shifted = d.bucket.format(seconds=seconds).replace("time", f"(time + {shift})")
        bucket = f"({shifted}) - {shift}"
    selected = ", ".join(f"{k} AS k{i}" for i, k in enumerate(keys))
    groups = ", ".join(str(i + 2) for i in range(len(keys)))
    count = len(keys) + 2
    sql = (
        f"SELECT {bucket} AS bucket, {selected}, COUNT(*) AS n FROM {source}{where} "
        f"GROUP BY 1, {groups} ORDER BY 1, {count} DESC, {groups}"
    )
    return sql, params
