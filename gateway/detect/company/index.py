"""The company index directory: registered tables and document collections, opened once.

Layout (one directory, on storage every replica mounts read-only; written only by
``haetae company register-*``)::

    <index_dir>/tables/<name>/       meta.json hashes.npy rows.npy columns.npy
                                     filter.npy directory.npy
    <index_dir>/documents/<name>/    meta.json fingerprints.npy documents.npy
                                     filter.npy directory.npy

Every part records a check value of the key it was hashed with; opening it with another
key is an error, because every lookup would silently miss.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from gateway.detect.company.documents import FORMAT as DOCUMENTS_FORMAT
from gateway.detect.company.documents import DocumentCollection
from gateway.detect.company.records import FORMAT as TABLE_FORMAT
from gateway.detect.company.records import RecordTable
from gateway.detect.company.tokens import TokenHasher, key_check

__all__ = ["NAME", "CompanyIndex", "CompanyIndexError", "reopen_index"]

#: Registered names: they end up in findings and audit records, so no paths or spaces.
NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class CompanyIndexError(Exception):
    """The index directory cannot be used (missing, wrong key, unknown format)."""


@dataclass(frozen=True, slots=True, eq=False)
class CompanyIndex:
    folder: Path
    tables: dict[str, RecordTable]
    collections: dict[str, DocumentCollection]
    hasher: TokenHasher
    _key: bytes

    @classmethod
    def open(cls, folder: Path, key: bytes) -> CompanyIndex:
        if not folder.is_dir():
            raise CompanyIndexError(f"company index {folder} is not a directory")
        check = key_check(key)
        tables: dict[str, RecordTable] = {}
        for part in _parts(folder / "tables", TABLE_FORMAT, check):
            tables[part[0].name] = RecordTable(*part)
        collections: dict[str, DocumentCollection] = {}
        for part in _parts(folder / "documents", DOCUMENTS_FORMAT, check):
            collections[part[0].name] = DocumentCollection(*part)
        return cls(folder, tables, collections, TokenHasher(key), key)

    def __reduce__(self) -> tuple[object, ...]:
        # scan worker processes map the same files; nothing but the path and key travels
        return (reopen_index, (str(self.folder), self._key))

    @property
    def documents(self) -> int:
        return sum(len(c) for c in self.collections.values())


def reopen_index(folder: str, key: bytes) -> CompanyIndex:
    return CompanyIndex.open(Path(folder), key)


def _parts(folder: Path, expected: str, check: str) -> list[tuple[Path, dict[str, object]]]:
    if not folder.is_dir():
        return []
    parts = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue  # a registration in progress or an old copy being removed
        try:
            meta = json.loads((child / "meta.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise CompanyIndexError(
                f"{child}: unreadable meta.json ({type(exc).__name__})"
            ) from None
        if meta.get("format") != expected:
            raise CompanyIndexError(f"{child}: not a {expected} index")
        if meta.get("key_check") != check:
            raise CompanyIndexError(
                f"{child}: built with another company key; register it again with this key"
            )
        parts.append((child, meta))
    return parts
