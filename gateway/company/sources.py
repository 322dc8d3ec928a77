"""Where registered rows and documents come from: CSV files, PostgreSQL queries,
directories, git working trees and uploaded files.

Documents are read by the attachment reader (``attachments.extract``): PDF, Office,
HWP, RTF and plain text become text the same way they do when a user attaches them, so
a registered report and the same report pasted or attached give the same tokens.
"""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from gateway.attachments.extract import extract
from gateway.attachments.result import AttachmentLimits, UninspectableAttachment
from gateway.detect.company.documents import CODE_SUFFIXES
from gateway.errors import ConfigError

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "DocumentText",
    "csv_rows",
    "document_files",
    "document_text",
    "postgres_rows",
    "read_bounded",
]

#: Directories never registered (build output, dependencies, version control).
_SKIPPED_DIRS: Final = frozenset(
    {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", "dist", "build"}
)
#: a file larger than this is not registered (a document, not a data dump)
MAX_DOCUMENT_BYTES: Final = 32 * 1024 * 1024

DocumentText = tuple[str, str, bool]  # registered name, text, read as code


def csv_rows(path: Path, columns: Sequence[str]) -> Iterator[list[str | None]]:
    """The ``columns`` of each row of a CSV file with a header line, in that order."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in columns if c not in header]
        if missing:
            raise ConfigError(
                f"{path}: no column {', '.join(missing)} (it has {', '.join(header)})"
            )
        for row in reader:
            yield [row.get(c) for c in columns]


def postgres_rows(url: str, query: str, columns: Sequence[str]) -> Iterator[list[str | None]]:
    """The ``columns`` of each row ``query`` returns, streamed with a server-side cursor."""
    try:
        import psycopg
    except ImportError:
        raise ConfigError("reading from PostgreSQL needs the 'postgres' extra") from None
    try:
        with psycopg.connect(url) as connection, connection.cursor(name="haetae_register") as cur:
            cur.itersize = 10_000
            cur.execute(query)  # the admin's own query, by design
            names = [d.name for d in cur.description or []]
            missing = [c for c in columns if c not in names]
            if missing:
                raise ConfigError(
                    f"the query returns no column {', '.join(missing)} (it has {', '.join(names)})"
                )
            positions = [names.index(c) for c in columns]
            for row in cur:
                yield [None if row[i] is None else str(row[i]) for i in positions]
    except psycopg.Error as exc:
        raise ConfigError(f"PostgreSQL: {_described(exc)}") from None


def _described(exc: Any) -> str:
    """The error's kind, and its text only for a mistake in the query itself.

    Driver messages can quote the connection string (its password) or a row's
    value ("invalid input syntax for type integer: ..."); a syntax or naming
    error (SQLSTATE class 42) quotes only the query's own words.
    """
    state = getattr(exc, "sqlstate", None)
    kind = f"{type(exc).__name__} {state}" if state else type(exc).__name__
    if state and state.startswith("42"):
        return f"{kind}: {exc.diag.message_primary}"
    return kind


def document_files(root: Path, git: bool = False) -> Iterator[Path]:
    """Every regular file under ``root`` (a file itself, a directory walked, or with
    ``git`` the files git tracks in that working tree)."""
    if root.is_file():
        yield root
        return
    if not root.is_dir():
        raise ConfigError(f"{root} is neither a file nor a directory")
    if git:
        try:
            listed = subprocess.run(
                ["git", "-C", str(root), "ls-files", "-z"],
                capture_output=True,
                check=True,
                timeout=120,
            ).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConfigError(f"{root}: not a git working tree ({type(exc).__name__})") from None
        for name in sorted(listed.decode("utf-8", "replace").split("\0")):
            if name and (root / name).is_file():
                yield root / name
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _SKIPPED_DIRS.intersection(path.relative_to(root).parts):
            yield path


def document_text(
    data: bytes, filename: str, limits: AttachmentLimits | None = None
) -> tuple[str, bool] | None:
    """A file's text and whether it is read as code; None for what holds no text
    (an image without OCR text, a binary)."""
    as_code = Path(filename).suffix.lower() in CODE_SUFFIXES
    try:
        read = extract(data, None, filename, limits or AttachmentLimits(ocr=False))
    except UninspectableAttachment:
        return None
    text = "\n".join(text for _, text in read.texts)
    return (text, as_code) if text.strip() else None


def read_bounded(path: Path) -> bytes | None:
    """A file's bytes; None for one over 32 MB (a document, not a data dump)."""
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        return None
    return path.read_bytes()
