"""The chain as the check walks it: each record's links and the hash its contents give.

``verify_chain`` needs five fields of a record and the hash of its canonical
form. Building an ``AuditRecord`` from each row (and its ``FindingSummary``
objects) only to turn it back into the dictionary ``to_dict`` gives cost about
a third of a check's time; a store's rows are already that dictionary, but
for the defaults ``from_dict`` fills in. ``canonical_row`` fills them in the
same way, so both paths hash the same bytes (a test holds them together over
every kind of record), and ``chain_links`` reads a store's rows a batch at a
time, as ``iter_chain`` does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from gateway.audit.chain import GENESIS, record_hash

if TYPE_CHECKING:
    from gateway.audit.record import AuditRecord
    from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["ChainLink", "canonical_row", "chain_links"]

#: what ``AuditRecord.from_dict`` turns from None (or absent) into an empty list / mapping
_LISTS = ("groups", "rule_ids", "monitored_rule_ids")
_MAPS = ("entities", "edits", "timings_ms")


class ChainLink(NamedTuple):
    """What the chain check reads of one record (a tuple: one is made per record, and a
    frozen dataclass's ``__init__`` costs several times a tuple's)."""

    seq: int | None
    prev_hash: str | None
    hash: str | None
    decision: str
    details: dict[str, Any] | None
    #: the hash the record's contents give (None when it carries none to compare)
    digest: str | None

    @classmethod
    def of(cls, record: AuditRecord) -> ChainLink:
        digest = None if record.hash is None else record_hash(record)
        return cls(
            record.seq, record.prev_hash, record.hash, record.decision, record.details, digest
        )


def canonical_row(data: dict[str, Any]) -> bytes:
    """``canonical_bytes(AuditRecord.from_dict(data))`` without the record; ``data`` (a
    stored row as column → value, JSON loaded, ``hash`` removed) is completed in place."""
    for name in _LISTS:
        if data[name] is None:
            data[name] = []
    for name in _MAPS:
        if data[name] is None:
            data[name] = {}
    data["findings"] = [_finding(f) for f in data["findings"] or ()]
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _finding(data: dict[str, Any]) -> dict[str, Any]:
    """``FindingSummary.from_dict(data).to_dict()``."""
    out = {
        "entity_type": data["entity_type"],
        "location": data["location"],
        "count": data["count"],
        "max_score": data["max_score"],
        "fingerprints": list(data.get("fingerprints", [])),
    }
    direction = data.get("direction", "request")
    if direction != "request":
        out["direction"] = direction
    sources = dict(data.get("sources") or {})
    if sources:
        out["sources"] = sources
    return out


def chain_links(store: SQLAuditStore, batch: int = 500) -> Iterator[ChainLink]:
    """Every record of ``store`` in chain order, as the check reads it. Batches of 500:
    with 2,000 the rows of a batch outlive enough collections of the garbage collector
    to be scanned again and again (about a third more time a record, measured)."""
    seq = -1
    while rows := store.chain_rows(seq, batch):
        for data in rows:
            stored = data.pop("hash")
            digest = None
            if stored is not None:
                digest = hashlib.sha256(bytes.fromhex(data["prev_hash"] or GENESIS))
                digest.update(canonical_row(data))
            yield ChainLink(
                data["seq"], data["prev_hash"], stored, data["decision"], data["details"],
                None if digest is None else digest.hexdigest(),
            )  # fmt: skip
        seq = int(rows[-1]["seq"])
