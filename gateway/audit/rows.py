"""A record as a row of ``audit_records``, and a batch chained and turned into rows at once.

The writer needs each record's dictionary twice, for its hash and for its row;
``chained_rows`` builds it once (this is on the writer's path for every record,
so it is kept to plain loops over a fixed column plan).
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import orjson

from gateway.audit.chain import hash_of_fields
from gateway.audit.record import AuditRecord

__all__ = ["COLUMNS", "JSON_COLUMNS", "chained_rows", "row_of"]

COLUMNS = (
    "seq", "record_id", "time", "request_id", "client_address", "client_application", "user",
    "groups", "provider", "host", "api", "model", "method", "path", "jurisdiction",
    "endpoint_country", "decision", "status", "upstream_status", "rule_ids",
    "monitored_rule_ids", "entities", "findings", "edits", "usage", "policy_version", "error",
    "timings_ms", "details", "evidence", "schema_version", "prev_hash", "hash",
)  # fmt: skip
#: stored as JSON text (SQLite's TEXT, PostgreSQL's jsonb, which casts the text)
JSON_COLUMNS = frozenset(
    {"groups", "rule_ids", "monitored_rule_ids", "entities", "findings", "edits", "usage",
     "timings_ms", "details"}
)  # fmt: skip

_IN_ORDER = itemgetter(*COLUMNS)
_JSON_AT = tuple(i for i, c in enumerate(COLUMNS) if c in JSON_COLUMNS)
#: what ``orjson.dumps`` writes for an empty list or object, which most JSON columns of
#: most records are (no rules, entities, findings, edits, groups): no call for those
_EMPTY_JSON: dict[type, str] = {list: "[]", dict: "{}"}


def row_of(data: dict[str, Any]) -> tuple[object, ...]:
    """The row of the record whose ``to_dict`` is ``data``, in ``COLUMNS`` order."""
    row = list(_IN_ORDER(data))
    for i in _JSON_AT:
        value = row[i]
        if value:
            row[i] = orjson.dumps(value).decode()
        elif value is not None:
            row[i] = _EMPTY_JSON.get(type(value)) or orjson.dumps(value).decode()
    return tuple(row)


def chained_rows(
    records: list[AuditRecord], last_seq: int, last_hash: str
) -> list[tuple[object, ...]]:
    """Number and link ``records`` after the tail (in place, as ``chain_records`` does)
    and return their rows."""
    rows = []
    for record in records:
        last_seq += 1
        record.seq = last_seq
        record.prev_hash = last_hash
        data = record.to_dict()
        del data["hash"]  # hashed without it, then stored with it (the row reads by name)
        record.hash = last_hash = data["hash"] = hash_of_fields(last_hash, data)
        rows.append(row_of(data))
    return rows
