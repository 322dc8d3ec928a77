"""``haetae company register-table | register-documents | list``: the company index.

Registration runs offline, where the data is: it reads a table (CSV or a PostgreSQL
query) or documents (files, directories, git working trees), hashes them with the company
key and writes the index directory every replica mounts. Only registered names, counts
and sizes are printed: never a value. Running gateways keep the index they loaded until
told to reload it (``POST /admin/v1/company/reload``): the commands say so.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError

__all__ = ["RELOAD_HINT", "register"]

RELOAD_HINT = (
    "running gateways still serve the index they loaded: call POST /admin/v1/company/reload "
    "(role company.register) on one replica; the others follow through Redis"
)


def register(commands: Any, config_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """Adds ``company`` to the ``haetae`` command's subparsers; ``config_options`` adds
    ``--config`` (company.index_dir and the key come from it)."""
    company = commands.add_parser(
        "company", help="register customer tables and confidential documents (hashed only)"
    )
    sub = company.add_subparsers(title="company commands")

    table = sub.add_parser(
        "register-table", help="hash a table's cells into the index (COMPANY_RECORD)"
    )
    _index_options(table, config_options)
    table.add_argument("name", help="the table's registered name (shown in findings)")
    source = table.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", type=Path, help="a CSV file with a header line")
    source.add_argument("--postgres", metavar="URL", help="a PostgreSQL connection URL")
    table.add_argument("--query", help="with --postgres: the SELECT that returns the rows")
    table.add_argument(
        "--column",
        action="append",
        required=True,
        metavar="COLUMN=TYPE",
        help="a column to index and its type: name, phone, email, account, rrn, id, text "
        "(repeatable; columns not named are not read)",
    )
    table.add_argument("--region", default="KR", help="phone numbers' home region (KR)")
    table.set_defaults(run=_register_table)

    documents = sub.add_parser(
        "register-documents",
        help="fingerprint documents or source code (COMPANY_DOCUMENT, COMPANY_SOURCE_CODE)",
    )
    _index_options(documents, config_options)
    documents.add_argument("name", help="the collection's registered name")
    documents.add_argument("paths", nargs="+", type=Path, help="files or directories")
    documents.add_argument(
        "--kind",
        choices=["document", "source_code"],
        default="document",
        help="what a match is reported as (default: document)",
    )
    documents.add_argument(
        "--git", action="store_true", help="directories are git working trees: tracked files only"
    )
    documents.add_argument(
        "--keep-comments", action="store_true", help="code comments count (default: dropped)"
    )
    documents.set_defaults(run=_register_documents)

    listing = sub.add_parser("list", help="registered tables and collections (names, counts)")
    _index_options(listing, config_options)
    listing.set_defaults(run=_list)


def _index_options(
    parser: argparse.ArgumentParser, config_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    config_options(parser)
    parser.add_argument("--index-dir", type=Path, help="instead of company.index_dir")


def _index_and_key(args: argparse.Namespace) -> tuple[Path, bytes]:
    from gateway.keys import load_company_key
    from gateway.settings import load_settings

    settings = load_settings(Path(args.config) if args.config else None).company
    folder = args.index_dir or settings.index_dir
    if folder is None:
        raise ConfigError("no company index: give --index-dir or set company.index_dir")
    return folder, load_company_key(settings)


def _registrar() -> str | None:
    """Who registers, for the part's ``registered_by`` (the admin API records the token)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def _register_table(args: argparse.Namespace) -> int:
    from gateway.company.registry import checked_name, parse_columns, table_errors, table_folder
    from gateway.company.sources import csv_rows, postgres_rows
    from gateway.detect.company.records import build_table

    name = checked_name(args.name)
    folder, key = _index_and_key(args)
    columns = parse_columns(args.column)
    names = [c.name for c in columns]
    if args.postgres:
        if not args.query:
            raise ConfigError("--postgres needs --query")
        rows = postgres_rows(args.postgres, args.query, names)
    else:
        rows = csv_rows(args.csv, names)
    with table_errors():
        target = table_folder(folder, name)
        stats = build_table(target, name, columns, rows, key, args.region, _registrar())
    print(
        f"table {stats.name}: {stats.rows} rows, {stats.cells} cells hashed, "
        f"{stats.bytes / 1e6:.1f} MB, {stats.seconds:.1f} s → {folder / 'tables' / name}"
    )
    print(RELOAD_HINT)
    return 0


def _register_documents(args: argparse.Namespace) -> int:
    from gateway.company.registry import checked_name, register_documents
    from gateway.company.sources import document_files, read_bounded

    name = checked_name(args.name)
    folder, key = _index_and_key(args)

    def files() -> Iterator[tuple[str, bytes | None]]:
        for root in args.paths:
            for path in document_files(root, git=args.git):
                shown = path.name if path == root else str(Path(root.name) / path.relative_to(root))
                yield shown, read_bounded(path)

    stats = register_documents(
        folder,
        name,
        files(),
        key,
        kind=args.kind,
        keep_comments=args.keep_comments,
        registered_by=_registrar(),
    )
    print(
        f"collection {name}: {stats.documents} files fingerprinted, {stats.skipped} without "
        f"text skipped, {stats.bytes / 1e6:.1f} MB → {folder / 'documents' / name}"
    )
    print(RELOAD_HINT)
    return 0


def _list(args: argparse.Namespace) -> int:
    from gateway.detect.company.index import CompanyIndex, CompanyIndexError

    folder, key = _index_and_key(args)
    try:
        index = CompanyIndex.open(folder, key)
    except CompanyIndexError as exc:
        raise ConfigError(str(exc)) from None
    report = {
        "tables": {
            name: {"rows": t.rows, "columns": {c.name: c.type for c in t.columns}}
            for name, t in index.tables.items()
        },
        "collections": {name: {"documents": len(c)} for name, c in index.collections.items()},
    }
    sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0
