"""The company index directory: registered tables and document collections, opened once.

Layout (one directory, on storage every replica mounts read-only; written only by
``haetae company register-*``)::

    <index_dir>/tables/<name>/       meta.json hashes.npy rows.npy columns.npy
                                     filter.npy directory.npy
    <index_dir>/documents/<name>/    meta.json fingerprints.npy documents.npy
                                     filter.npy directory.npy

Every part records a check value of the key it was hashed with; opening it with another
key is an error, because every lookup would silently miss.

An index's *generation* is a digest of its parts' names and ``meta.json`` files (which
change with every registration: they hold its time and counts, never a value): two
replicas that mount the same directory compute the same generation, and a reload that
finds it unchanged has nothing to do (``gateway/company/reload.py``).
"""

from __future__ import annotations

import hashlib
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

__all__ = ["NAME", "CompanyIndex", "CompanyIndexError", "index_generation", "reopen_index"]

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
    #: digest of the parts' names and meta.json files as opened (``index_generation``)
    generation: str = ""

    @classmethod
    def open(cls, folder: Path, key: bytes) -> CompanyIndex:
        _require_folder(folder)
        check = key_check(key)
        table_metas = _metas(folder, "tables")
        collection_metas = _metas(folder, "documents")
        tables = {
            child.name: RecordTable(child, meta)
            for child, meta in _checked(table_metas, TABLE_FORMAT, check)
        }
        collections = {
            child.name: DocumentCollection(child, meta)
            for child, meta in _checked(collection_metas, DOCUMENTS_FORMAT, check)
        }
        generation = _generation({"tables": table_metas, "documents": collection_metas})
        return cls(folder, tables, collections, TokenHasher(key), key, generation)

    def __reduce__(self) -> tuple[object, ...]:
        # scan worker processes map the same files; nothing but the path and key travels
        return (reopen_index, (str(self.folder), self._key))

    @property
    def documents(self) -> int:
        return sum(len(c) for c in self.collections.values())

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def reopen_index(folder: str, key: bytes) -> CompanyIndex:
    return CompanyIndex.open(Path(folder), key)


def index_generation(folder: Path) -> str:
    """The generation of the index at ``folder`` as it is on disk now, reading only the
    parts' ``meta.json`` files (no array is mapped, no key is needed); CompanyIndexError
    when the directory or a part's meta.json cannot be read."""
    _require_folder(folder)
    return _generation({sub: _metas(folder, sub) for sub in ("tables", "documents")})


def _require_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise CompanyIndexError(f"company index {folder} is not a directory")


def _generation(parts: dict[str, list[tuple[Path, bytes]]]) -> str:
    digest = hashlib.sha256()
    for sub, metas in sorted(parts.items()):
        for child, raw in metas:
            for piece in (sub.encode(), child.name.encode(), raw):
                digest.update(len(piece).to_bytes(8, "big"))
                digest.update(piece)
    return digest.hexdigest()[:16]


def _metas(folder: Path, sub: str) -> list[tuple[Path, bytes]]:
    """Each part under ``folder/sub`` with its meta.json's bytes, by name."""
    base = folder / sub
    if not base.is_dir():
        return []
    found = []
    for child in sorted(base.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue  # a registration in progress or an old copy being removed
        try:
            found.append((child, (child / "meta.json").read_bytes()))
        except OSError as exc:
            raise CompanyIndexError(
                f"{child}: unreadable meta.json ({type(exc).__name__})"
            ) from None
    return found


def _checked(
    metas: list[tuple[Path, bytes]], expected: str, check: str
) -> list[tuple[Path, dict[str, object]]]:
    parts = []
    for child, raw in metas:
        try:
            meta = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
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
