"""Exact data match: a registered table kept as sorted keyed hashes of its cells.

On disk a table is a directory: ``meta.json`` (column names and types, row count, the
key check, what the prompt side must look for) and three arrays, sorted together by hash:
``hashes.npy`` (uint64, the keyed hash of each non-empty cell's normal form),
``rows.npy`` (uint32 row number) and ``columns.npy`` (uint8 column number), and the
hashes' presence filter and bucket directory (``filter.npy``, ``directory.npy``,
``lookup.py``). 16 to 19 bytes per cell, whatever the values were; no value, prefix or
length of one is kept.

The arrays are memory-mapped, so a replica holds only the pages its lookups touch, and a
lookup is one gather per candidate in the presence filter and, for the few that pass,
two binary searches (``numpy.searchsorted``) or, for many, a read of their buckets: its
cost does not grow with the table.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Collection, Iterable, Iterator, Sequence
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
    cell_hashes,
    cell_words,
    is_hangul_word,
)
from gateway.detect.company.lookup import (
    DIRECTORY,
    FILTER,
    Indices,
    SortedHashes,
    bucket_directory,
    mapped,
    presence_bits,
)
from gateway.detect.company.store import write_part
from gateway.detect.company.tokens import TokenHasher, key_check

__all__ = ["Column", "RecordMatch", "RecordTable", "TableStats", "build_table"]

FORMAT: Final = "haetae-company-table/1"
MAX_COLUMNS: Final = 255
MAX_ROWS: Final = 2**32 - 1
#: a value shared by more rows than this (a company switchboard number) identifies none
MAX_ROWS_PER_VALUE: Final = 256
#: up to this many entries found, rows are counted in Python: numpy's unique and isin
#: cost more per call than a dict does for a few dozen (a prompt with one registered row)
_FEW_ENTRIES: Final = 64


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
    registered_by: str | None = None,
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
    # what the prompt side must look for: words of the longest name or text cell, digits
    # of the shortest number as written, Hangul name lengths, letters in numbers
    max_words = 0
    min_digits = 99
    hangul: set[int] = set()
    alphanumeric = False
    count = 0
    for batch in _batches(rows, len(columns)):
        if count + len(batch[0]) > MAX_ROWS:
            raise ValueError(f"a table holds at most {MAX_ROWS} rows")
        for index, column in enumerate(columns):
            cells = cell_hashes(hasher, column.type, batch[index], phones)
            for offset, cell in enumerate(cells):
                if cell is None:
                    continue
                hashed, size = cell
                hashes.append(hashed)
                row_ids.append(count + offset)
                column_ids.append(index)
                if column.type in ("name", "text"):
                    max_words = max(max_words, size)
                    if column.type == "name" and size == 1:
                        [word] = cell_words(batch[index][offset] or "")
                        if is_hangul_word(word):
                            hangul.add(len(word) // 3)
                elif size:
                    min_digits = min(min_digits, size)
                elif column.type in ("account", "rrn", "id"):
                    alphanumeric = True
        count += len(batch[0])
    keys = np.frombuffer(hashes, dtype=np.uint64) if hashes else np.empty(0, np.uint64)
    order = np.argsort(keys, kind="stable")
    arrays: dict[str, np.ndarray] = {
        "hashes": keys[order],
        FILTER: presence_bits(keys[order]),
        DIRECTORY: bucket_directory(keys[order]),
        "rows": np.frombuffer(row_ids, dtype=np.uint32)[order],
        "columns": np.frombuffer(column_ids, dtype=np.uint8)[order],
    }
    meta = {
        "format": FORMAT,
        "name": name,
        "columns": [{"name": c.name, "type": c.type} for c in columns],
        "rows": count,
        "cells": len(keys),
        "region": phones.region,
        "max_words": max_words,
        "min_digits": min_digits,
        "alphanumeric": alphanumeric,
        "hangul_lengths": sorted(n for n in hangul if 2 <= n <= 5),
        "key_check": key_check(key),
        "built_at": int(time.time()),
        "registered_by": registered_by,
    }
    size = write_part(target, arrays, meta)
    return TableStats(name, count, len(keys), time.perf_counter() - started, size)


def _batches(
    rows: Iterable[Sequence[str | None]], width: int, size: int = 8192
) -> Iterator[list[list[str | None]]]:
    """Rows in batches, column by column (cells of one column are hashed together)."""
    batch: list[list[str | None]] = [[] for _ in range(width)]
    for row in rows:
        for index in range(width):
            batch[index].append(row[index] if index < len(row) else None)
        if len(batch[0]) >= size:
            yield batch
            batch = [[] for _ in range(width)]
    if batch[0]:
        yield batch


class RecordTable:
    """A registered table, opened read-only (memory-mapped)."""

    def __init__(self, folder: Path, meta: dict[str, object]) -> None:
        self.folder = folder
        self.name = str(meta["name"])
        raw_columns = meta["columns"]
        assert isinstance(raw_columns, list)
        self.columns = tuple(Column(str(c["name"]), c["type"]) for c in raw_columns)
        self.rows = int(str(meta["rows"]))
        self._hashes = SortedHashes.open(folder, "hashes")
        self._row_ids = mapped(folder / "rows.npy")
        self._column_ids = mapped(folder / "columns.npy")
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
            min_digits=int(str(meta.get("min_digits", 4))),
            alphanumeric=bool(meta.get("alphanumeric", True)),
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
        """Rows of which at least ``min_fields`` counted columns appear among ``candidates``.

        Words can only be names and free-text cells, so when ``min_fields`` is more than
        the counted name and text columns, a row needs some of its fields among the other
        candidates (e-mail addresses, numbers): those are looked up first, and the words,
        hundreds a KB, only when some row has enough of them (a prompt holding no
        registered e-mail, phone or number costs one lookup of its few numbers)."""
        if not len(self._hashes):
            return []
        only: set[int] | None = None
        reach = sum(1 for c in counted if self.columns[c].type in ("name", "text"))
        if (candidates.grams or candidates.glued) and min_fields > reach:
            anchored = self._anchored(candidates, counted, min_fields - reach)
            if anchored is None:
                return []
            entries, candidate, only = anchored
        else:
            wanted = candidates.array()
            if not len(wanted):
                return []
            entries, candidate = self._hashes.entries(wanted, MAX_ROWS_PER_VALUE)
        if not len(entries):
            return []
        rows = np.asarray(self._row_ids[entries], dtype=np.int64)
        columns = np.asarray(self._column_ids[entries], dtype=np.int64)
        if len(entries) <= _FEW_ENTRIES:
            return self._rows_found(
                candidates,
                zip(rows.tolist(), columns.tolist(), candidate.tolist(), strict=True),
                counted,
                min_fields,
                only,
            )
        mask = np.zeros(MAX_COLUMNS + 1, dtype=bool)  # one gather, where isin sorts
        mask[list(counted)] = True
        keep = mask[columns]
        rows, columns, candidate = rows[keep], columns[keep], candidate[keep]
        # rows with at least min_fields distinct counted columns, found without a loop
        fields = np.unique((rows << 8) | columns) >> 8
        matched, counts = np.unique(fields, return_counts=True)
        matched = matched[counts >= min_fields]
        if not len(matched):
            return []
        chosen = np.isin(rows, matched)
        return self._rows_found(
            candidates,
            zip(
                rows[chosen].tolist(),
                columns[chosen].tolist(),
                candidate[chosen].tolist(),
                strict=True,
            ),
            counted,
            min_fields,
        )

    def _anchored(
        self, candidates: Candidates, counted: frozenset[int], needed: int
    ) -> tuple[Indices, Indices, set[int] | None] | None:
        """The entries of every candidate, as ``match`` needs them, when some row has
        ``needed`` counted fields among the candidates that are not words, with the rows
        that do (None: any row may); None when no row does (no row can then match)."""
        scalars = np.array(candidates.hashes, dtype=np.uint64)
        first, first_candidates = self._hashes.entries(scalars, MAX_ROWS_PER_VALUE)
        if not len(first):
            return None
        only: set[int] | None = None
        if len(first) <= _FEW_ENTRIES:
            fields: dict[int, set[int]] = {}
            rows = self._row_ids[first].tolist()
            for row, column in zip(rows, self._column_ids[first].tolist(), strict=True):
                if column in counted:
                    fields.setdefault(row, set()).add(column)
            only = {row for row, found in fields.items() if len(found) >= needed}
            if not only:
                return None
        later, later_candidates = self._hashes.entries(candidates.of_words(), MAX_ROWS_PER_VALUE)
        return (
            np.concatenate((first, later)),
            np.concatenate((first_candidates, later_candidates + len(scalars))),
            only,
        )

    def _rows_found(
        self,
        candidates: Candidates,
        entries: Iterable[tuple[int, int, int]],
        counted: frozenset[int],
        min_fields: int,
        only: set[int] | None = None,
    ) -> list[RecordMatch]:
        """The rows of ``entries`` (row, column, candidate) with ``min_fields`` counted
        columns, in the order they first appear; only those of ``only`` if given (rows
        that cannot have enough)."""
        per_row: dict[int, dict[int, list[int]]] = {}
        for row, column, index in entries:
            if column in counted and (only is None or row in only):
                per_row.setdefault(row, {}).setdefault(column, []).append(index)
        found: list[RecordMatch] = []
        for row, columns_found in per_row.items():
            if len(columns_found) < min_fields:
                continue
            spans = sorted(
                {
                    candidates.span(i)
                    for hits_of_column in columns_found.values()
                    for i in hits_of_column
                }
            )
            found.append(RecordMatch(self.name, row, len(columns_found), tuple(spans)))
        return found
