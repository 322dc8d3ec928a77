"""Registering, listing and removing the parts of the company index: what the CLI
(``haetae company``) and the admin API (``/admin/v1/company``) share.

A part is a table (``tables/<name>/``) or a document collection (``documents/<name>/``),
written whole beside the old one and renamed into place (``detect/company/store.py``).
A listing reads each part's ``meta.json`` only: names, counts, columns, who registered
it and when, never a value (the index holds none).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal

from gateway.company.sources import MAX_DOCUMENT_BYTES, document_text
from gateway.detect.company.documents import DocumentIndexBuilder, SourceKind
from gateway.detect.company.index import NAME
from gateway.detect.company.records import Column
from gateway.detect.company.tokens import key_check
from gateway.errors import ConfigError

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_ZIP_MEMBERS",
    "CollectionStats",
    "PartKind",
    "checked_name",
    "delete_part",
    "list_parts",
    "parse_columns",
    "register_documents",
    "table_errors",
    "table_folder",
    "zip_documents",
]

PartKind = Literal["table", "documents"]
_FOLDERS: Final[dict[PartKind, str]] = {"table": "tables", "documents": "documents"}
#: files read from one zip at most (a collection of tens of thousands: several uploads)
MAX_ZIP_MEMBERS: Final = 20_000


@dataclass(frozen=True, slots=True)
class CollectionStats:
    name: str
    documents: int
    skipped: int
    fingerprints: int
    bytes: int


def checked_name(name: str) -> str:
    """A registered name (it ends up in findings and audit records: no paths, no spaces)."""
    if not NAME.fullmatch(name):
        raise ConfigError(f"name {name!r}: letters, digits, '.', '_' or '-', at most 64")
    return name


def parse_columns(specs: Sequence[str]) -> list[Column]:
    """``name=type`` (or ``name:type``) column specs."""
    columns: list[Column] = []
    for spec in specs:
        separator = "=" if "=" in spec else ":"
        column, _, kind = spec.partition(separator)
        if not column.strip() or not kind.strip():
            raise ConfigError(f"column {spec!r}: give name=type")
        try:
            columns.append(Column(column.strip(), kind.strip()))  # type: ignore[arg-type]
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    if not columns:
        raise ConfigError("name at least one column and its type (name=type)")
    return columns


def table_folder(folder: Path, name: str) -> Path:
    """Where table ``name`` of the index at ``folder`` is written (``build_table``)."""
    return folder / "tables" / checked_name(name)


@contextlib.contextmanager
def table_errors() -> Iterator[None]:
    """A table that cannot be registered (a bad cell count, an undecodable CSV) as a
    ConfigError naming the reason, never quoting the row."""
    try:
        yield
    except UnicodeDecodeError:  # its message quotes a byte of the row
        raise ConfigError("the CSV cannot be read: UTF-8 with a header line") from None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def register_documents(
    folder: Path,
    name: str,
    files: Iterable[tuple[str, bytes | None]],
    key: bytes,
    *,
    kind: SourceKind = "document",
    keep_comments: bool = False,
    registered_by: str | None = None,
) -> CollectionStats:
    """Fingerprint ``(shown name, content)`` pairs (content None: too large, skipped)."""
    builder = DocumentIndexBuilder(key, keep_comments=keep_comments)
    skipped = 0
    fingerprints = 0
    for shown, data in files:
        read = document_text(data, shown) if data is not None else None
        if read is None:
            skipped += 1
            continue
        text, as_code = read
        fingerprints += builder.add(shown, text, kind, as_code)
    if not builder.sources:
        raise ConfigError("no readable document among the given files")
    size = builder.write(folder / "documents" / checked_name(name), name, registered_by)
    return CollectionStats(name, len(builder.sources), skipped, fingerprints, size)


def zip_documents(data: io.BufferedIOBase | Path) -> Iterator[tuple[str, bytes | None]]:
    """The files of a zip archive as ``(path in the archive, content)``; content None for
    a file over ``MAX_DOCUMENT_BYTES``, whatever its header claims (read bounded)."""
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError):
        raise ConfigError("the upload is not a readable zip archive") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ConfigError(f"a zip may hold at most {MAX_ZIP_MEMBERS} files")
        for member in members:
            shown = str(PurePosixPath(member.filename.replace("\\", "/")))
            parts = PurePosixPath(shown).parts
            if any(p in ("..", "__MACOSX") or p.startswith(".") for p in parts):
                continue  # resource forks, hidden files, odd paths: not documents
            if member.file_size > MAX_DOCUMENT_BYTES:
                yield shown, None
                continue
            try:
                with archive.open(member) as handle:
                    content = handle.read(MAX_DOCUMENT_BYTES + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
                yield shown, None  # encrypted, corrupt or an unknown compression
                continue
            yield shown, content if len(content) <= MAX_DOCUMENT_BYTES else None


def list_parts(folder: Path, key: bytes | None = None) -> list[dict[str, Any]]:
    """Every registered part, from its ``meta.json``; ``key``: also whether it was built
    with that key (a part built with another matches nothing and fails start-up)."""
    check = key_check(key) if key is not None else None
    out: list[dict[str, Any]] = []
    for kind, sub in _FOLDERS.items():
        base = folder / sub
        if not base.is_dir():
            continue
        for child in sorted(base.iterdir()):
            if child.name.startswith(".") or not child.is_dir():
                continue
            try:
                meta = json.loads((child / "meta.json").read_text("utf-8"))
            except (OSError, ValueError):
                out.append({"name": child.name, "kind": kind, "readable": False})
                continue
            entry: dict[str, Any] = {
                "name": str(meta.get("name", child.name)),
                "kind": kind,
                "readable": True,
                "registered_at": meta.get("built_at"),
                "registered_by": meta.get("registered_by"),
                "bytes": sum(p.stat().st_size for p in child.iterdir() if p.is_file()),
            }
            if kind == "table":
                entry["rows"] = meta.get("rows")
                entry["cells"] = meta.get("cells")
                entry["columns"] = [
                    {"name": c.get("name"), "type": c.get("type")} for c in meta.get("columns", [])
                ]
            else:
                sources = meta.get("sources", [])
                entry["documents"] = len(sources)
                entry["source_code"] = sum(1 for s in sources if s.get("kind") == "source_code")
                entry["fingerprints"] = meta.get("fingerprints")
            if check is not None:
                entry["key_matches"] = meta.get("key_check") == check
            out.append(entry)
    return out


def delete_part(folder: Path, kind: PartKind, name: str) -> bool:
    """Remove a part (renamed aside first, so a replica opening the index never sees half
    of it); False when there is none of that name."""
    target = folder / _FOLDERS[kind] / checked_name(name)
    if not target.is_dir():
        return False
    aside = target.with_name(f".{name}.deleted-{os.getpid()}")
    target.rename(aside)
    shutil.rmtree(aside, ignore_errors=True)
    return True
