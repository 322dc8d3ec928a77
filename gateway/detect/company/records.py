"""Exact data match: a registered table kept as sorted keyed hashes of its cells.

On disk a table is a directory: ``meta.json`` (column names and types, row count, the
key check, what the prompt side must look for) and three arrays, sorted together by hash:
``hashes.npy`` (uint64, the keyed hash of each non-empty cell's normal form),
``rows.npy`` (uint32 row number) and ``columns.npy`` (uint8 column number). Thirteen
bytes per cell, whatever the values were; no value, prefix or length of one is kept.

The arrays are memory-mapped, so a replica holds only the pages its lookups touch, and a
lookup is two binary searches per candidate (``numpy.searchsorted``): its cost grows
with the logarithm of the table, i.e. not measurably (a million rows is 22 steps).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from array import array
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from gateway.detect.company.cells import (
    COLUMN_TYPES,
    Candidates,
    ColumnType,
    PhoneRegion,
    Wanted,
    cell_hash,
    cell_words,
    is_hangul_word,
)
from gateway.detect.company.tokens import TokenHasher, key_check

__all__ = ["Column", "RecordMatch", "RecordTable", "TableStats", "build_table"]

FORMAT: Final = "haetae-company-table/1"
MAX_COLUMNS: Final = 255
MAX_ROWS: Final = 2**32 - 1
#: a value shared by more rows than this (a company switchboard number) identifies none
MAX_ROWS_PER_VALUE: Final = 256
_MAX_WORDS: Final = 8


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(
                f"column {self.name!r}: unknown type {self.type!r} "
                f"(one of {', '.join(COLUMN_TYPES)})"
            )


@dataclass(frozen=True, slots=True)
class TableStats:
    name: str
    rows: int
    cells: int
    seconds: float
    bytes: int


@dataclass(frozen=True, slots=True)
class RecordMatch:
    """One row of ``table`` matched by ``fields`` distinct counted columns, and where."""

    table: str
    row: int
    fields: int
    spans: tuple[tuple[int, int], ...]


def build_table(
    target: Path,
    name: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[str | None]],
    key: bytes,
    region: str = "KR",
) -> TableStats:
    """Hash every cell of ``rows`` into a new table directory at ``target`` (replaced whole).

    Written to a temporary sibling first and renamed, so a reader never sees half a table.
    """
    started = time.perf_counter()
    if not columns or len(columns) > MAX_COLUMNS:
        raise ValueError(f"a table needs 1 to {MAX_COLUMNS} columns, got {len(columns)}")
    phones = PhoneRegion.of(region)
    hasher = TokenHasher(key)
    hashes: array[int] = array("Q")
    row_ids: array[int] = array("I")
    column_ids: array[int] = array("B")
    max_words = 0
    hangul: set[int] = set()
    count = 0
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise ValueError(f"a table holds at most {MAX_ROWS} rows")
        for index, column in enumerate(columns):
            value = row[index] if index < len(row) else None
            if value is None:
                continue
            hashed = cell_hash(hasher, column.type, value, phones)
            if hashed is None:
                continue
            if column.type in ("name", "text"):
                words = cell_words(value)
                if len(words) > _MAX_WORDS:
                    continue  # a paragraph is a document, not a cell to find whole
                max_words = max(max_words, len(words))
                if column.type == "name" and len(words) == 1 and is_hangul_word(words[0]):
                    hangul.add(len(words[0]))
            hashes.append(hashed)
            row_ids.append(count - 1)
            column_ids.append(index)
    keys = np.frombuffer(hashes, dtype=np.uint64) if hashes else np.empty(0, np.uint64)
    order = np.argsort(keys, kind="stable")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        np.save(staging / "hashes.npy", keys[order])
        np.save(staging / "rows.npy", np.frombuffer(row_ids, dtype=np.uint32)[order])
        np.save(staging / "columns.npy", np.frombuffer(column_ids, dtype=np.uint8)[order])
        meta = {
            "format": FORMAT,
            "name": name,
            "columns": [{"name": c.name, "type": c.type} for c in columns],
            "rows": count,
            "cells": len(keys),
            "region": phones.region,
            "max_words": max_words,
            "hangul_lengths": sorted(n for n in hangul if 2 <= n <= 5),
            "key_check": key_check(key),
            "built_at": int(time.time()),
        }
        (staging / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        _replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size = sum(p.stat().st_size for p in target.iterdir())
    return TableStats(name, count, len(keys), time.perf_counter() - started, size)


def _replace_dir(staging: Path, target: Path) -> None:
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)


class RecordTable:
    """A registered table, opened read-only (memory-mapped)."""

    def __init__(self, folder: Path, meta: dict[str, object]) -> None:
        self.folder = folder
        self.name = str(meta["name"])
        raw_columns = meta["columns"]
        assert isinstance(raw_columns, list)
        self.columns = tuple(Column(str(c["name"]), c["type"]) for c in raw_columns)
        self.rows = int(str(meta["rows"]))
        self._hashes = np.load(folder / "hashes.npy", mmap_mode="r")
        self._row_ids = np.load(folder / "rows.npy", mmap_mode="r")
        self._column_ids = np.load(folder / "columns.npy", mmap_mode="r")
        types = {c.type for c in self.columns}
        hangul = meta.get("hangul_lengths") or []
        assert isinstance(hangul, list)
        self.wanted = Wanted(
            numbers=bool(types & {"account", "rrn", "id"}),
            phones="phone" in types,
            emails="email" in types,
            max_words=int(str(meta.get("max_words", 0))),
            hangul_lengths=frozenset(int(n) for n in hangul),
            region=PhoneRegion.of(str(meta.get("region", "KR"))),
        )

    def counted(self, names: Collection[str]) -> frozenset[int]:
        """Column numbers that count towards ``min_fields``: named or typed in ``names``
        (all indexed columns when ``names`` is empty)."""
        return frozenset(
            index
            for index, column in enumerate(self.columns)
            if column.type != "skip" and (not names or column.name in names or column.type in names)
        )

    def match(
        self, candidates: Candidates, counted: frozenset[int], min_fields: int
    ) -> list[RecordMatch]:
        """Rows of which at least ``min_fields`` counted columns appear among ``candidates``."""
        if not candidates.hashes or not len(self._hashes):
            return []
        wanted = candidates.array()
        left = np.searchsorted(self._hashes, wanted, side="left")
        right = np.searchsorted(self._hashes, wanted, side="right")
        hits = np.nonzero(right > left)[0]
        if not len(hits):
            return []
        per_row: dict[int, dict[int, list[int]]] = {}
        for candidate in hits.tolist():
            low, high = int(left[candidate]), int(right[candidate])
            if high - low > MAX_ROWS_PER_VALUE:
                continue
            rows = self._row_ids[low:high].tolist()
            columns = self._column_ids[low:high].tolist()
            for row, column in zip(rows, columns, strict=True):
                if column in counted:
                    per_row.setdefault(row, {}).setdefault(column, []).append(candidate)
        found: list[RecordMatch] = []
        for row, columns_found in per_row.items():
            if len(columns_found) < min_fields:
                continue
            spans = sorted(
                {
                    (candidates.starts[i], candidates.ends[i])
                    for hits_of_column in columns_found.values()
                    for i in hits_of_column
                }
            )
            found.append(RecordMatch(self.name, row, len(columns_found), tuple(spans)))
        return found
