"""``haetae audit …``: read, search, count, export, verify and purge the decision log.

Every command finds the store the way ``serve`` does (``--config FILE`` or
``$HAETAE_CONFIG``), or takes ``--url``. Nothing here needs the gateway to be
running; the commands read the database directly.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from gateway.config_file import CONFIG_FILE_VARIABLE
from gateway.errors import ConfigError

__all__ = ["add_audit_commands"]

_FILTERS = ("user", "group", "provider", "jurisdiction", "decision", "rule", "entity")


def add_audit_commands(commands: Any) -> None:
    """Register ``audit`` and its subcommands on the ``haetae`` parser's subparsers."""
    audit = commands.add_parser("audit", help="review, export and verify the audit log")
    sub = audit.add_subparsers(title="audit commands")

    tail = _command(sub, "tail", "show the latest decisions", _tail)
    tail.add_argument("-n", "--lines", type=int, default=20)
    tail.add_argument("-f", "--follow", action="store_true", help="keep printing new records")
    tail.add_argument("--interval", type=float, default=1.0, help="seconds between polls (-f)")
    tail.add_argument("--json", action="store_true", help="one JSON object per line")

    search = _command(sub, "search", "find records by time, who, where and what", _search)
    _filter_options(search)
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--cursor", help="continue after a previous page (printed on stderr)")
    search.add_argument("--order", choices=["desc", "asc"], default="desc")
    search.add_argument("--json", action="store_true", help="one JSON object per line")

    stats = _command(sub, "stats", "count decisions per hour or day", _stats)
    _filter_options(stats)
    from gateway.audit.query import BUCKETS, STATS_DIMENSIONS

    stats.add_argument("--by", choices=STATS_DIMENSIONS, default="decision")
    stats.add_argument("--per", choices=list(BUCKETS), default="day")
    stats.add_argument("--json", action="store_true")

    export = _command(sub, "export", "write matching records as JSON lines or CSV", _export)
    _filter_options(export)
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", type=Path, help="file to write (default: stdout)")

    verify = _command(sub, "verify", "check the hash chain and signed checkpoints", _verify)
    verify.add_argument(
        "--public-key", type=Path, help="Ed25519 public key (PEM); default: audit.signing_key_file"
    )

    purge = _command(
        sub, "purge", "delete records older than a date (the purge is recorded)", _purge
    )
    purge.add_argument("--before", required=True, help="ISO date/time or unix seconds")
    purge.add_argument("--yes", action="store_true", help="really delete (otherwise a dry run)")

    evidence = _command(
        sub, "evidence", "open the sealed evidence of matching records (needs the private key)",
        _evidence,
    )  # fmt: skip
    _filter_options(evidence)
    evidence.add_argument("--private-key", type=Path, required=True, help="X25519 key (PEM)")
    evidence.add_argument("--request-id", help="only this request")

    bench = _command(sub, "bench", "time searches over many generated records", _bench)
    bench.add_argument("--records", type=int, default=1_000_000)
    bench.add_argument("--repeat", type=int, default=20)


def _command(
    sub: Any, name: str, help_text: str, run: Callable[[argparse.Namespace], int]
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get(CONFIG_FILE_VARIABLE),
        help=f"YAML config file, as for serve (or ${CONFIG_FILE_VARIABLE})",
    )
    parser.add_argument("--url", help="audit store URL (default: audit.url from the config)")
    parser.set_defaults(run=_reporting_store_errors(run))
    return parser


def _reporting_store_errors(
    run: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """A store that can't be reached is one line naming it, not a traceback.

    The error kind only: driver messages can quote the URL and its password.
    """

    def guarded(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (ConfigError, KeyboardInterrupt):
            raise
        except Exception as exc:
            where = getattr(args, "store_label", "the audit store")
            kind = getattr(exc, "sqlstate", None) or getattr(exc, "sqlite_errorname", None)
            detail = f"{type(exc).__name__}:{kind}" if kind else type(exc).__name__
            print(f"haetae: cannot use audit store {where} ({detail})", file=sys.stderr)
            return 1

    return guarded


def _filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", help="from this time (ISO 8601 or unix seconds)")
    parser.add_argument("--until", help="before this time (exclusive)")
    for name in _FILTERS:
        parser.add_argument(f"--{name}")
    parser.add_argument(
        "--direction",
        choices=("request", "response"),
        help="--entity (and with response --decision) in the request or the answer; "
        "alone: records with findings there",
    )


def _store(args: argparse.Namespace) -> Any:
    from gateway.audit.open import open_audit_store
    from gateway.audit.setup import configured_store

    if args.url:
        try:
            store = open_audit_store(args.url)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    else:
        store = configured_store(_settings(args).audit, writer=False)
    args.store_label = store.label
    return store


def _settings(args: argparse.Namespace) -> Any:
    from gateway.settings import load_settings

    return load_settings(Path(args.config) if args.config else None)


def _filter(args: argparse.Namespace) -> Any:
    from gateway.audit.query import AuditFilter, parse_time

    try:
        start = parse_time(args.since) if args.since else None
        end = parse_time(args.until) if args.until else None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return AuditFilter(
        start=start,
        end=end,
        direction=args.direction,
        **{n: getattr(args, n) for n in _FILTERS},
    )


def _print_record(record: Any, as_json: bool) -> None:
    from gateway.audit.format import format_record_line

    if as_json:
        sys.stdout.write(orjson.dumps(record.to_dict()).decode() + "\n")
    else:
        sys.stdout.write(format_record_line(record) + "\n")


def _tail(args: argparse.Namespace) -> int:
    store = _store(args)
    records = store.tail(args.lines)
    for record in records:
        _print_record(record, args.json)
    if not args.follow:
        return 0
    seq = records[-1].seq if records else 0
    while True:
        sys.stdout.flush()
        time.sleep(args.interval)
        for record in store.after(seq or 0):
            _print_record(record, args.json)
            seq = record.seq


def _search(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        page = store.search(_filter(args), limit=args.limit, cursor=args.cursor, order=args.order)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    for record in page.records:
        _print_record(record, args.json)
    if page.next_cursor:
        print(f"more: --cursor {page.next_cursor}", file=sys.stderr)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from gateway.audit.format import iso_time

    rows = _store(args).stats(_filter(args), by=args.by, per=args.per)
    for row in rows:
        if args.json:
            item = {"start": iso_time(row.bucket), "key": row.key, "count": row.count}
            print(orjson.dumps(item).decode())
        else:
            print(
                f"{iso_time(row.bucket)}  {row.count:>8}  {row.key if row.key is not None else '-'}"
            )
    return 0


def _all_pages(store: Any, where: Any, page_size: int = 1000) -> Iterator[Any]:
    cursor = None
    while True:
        page = store.search(where, limit=page_size, cursor=cursor, order="asc")
        yield from page.records
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _export(args: argparse.Namespace) -> int:
    from gateway.audit.export import write_csv, write_jsonl

    store, where = _store(args), _filter(args)
    out: IO[str]
    with args.output.open("w", encoding="utf-8", newline="") if args.output else _stdout() as out:
        records = _all_pages(store, where)
        count = write_csv(records, out) if args.format == "csv" else write_jsonl(records, out)
    print(f"exported {count} records", file=sys.stderr)
    return 0


class _stdout:
    """stdout as a context manager that is not closed afterwards."""

    def __enter__(self) -> IO[str]:
        return sys.stdout

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()


def _verify(args: argparse.Namespace) -> int:
    from gateway.audit.chain import load_public_key
    from gateway.audit.verify import verify_chain

    key_file = args.public_key
    if key_file is None and not args.url:
        key_file = _settings(args).audit.signing_key_file
    public_key = load_public_key(key_file) if key_file else None
    store = _store(args)
    checkpoints = store.checkpoints()
    report = verify_chain(store.iter_chain(), checkpoints, public_key)
    for problem in report.problems:
        print(f"TAMPERED  {problem}")
    span = f"seq {report.first_seq}–{report.last_seq}" if report.records else "no records"
    print(f"{report.records} records ({span}), {report.checkpoints} signed checkpoints verified")
    if public_key is None and checkpoints:
        print(f"note: {len(checkpoints)} checkpoints not checked: pass --public-key")
    elif report.unanchored:
        print(f"note: the last {report.unanchored} records are after the last checkpoint")
    if report.ok:
        print("OK: the chain is intact")
        return 0
    print(f"FAILED: {len(report.problems)} problem(s)")
    return 1


def _purge(args: argparse.Namespace) -> int:
    from gateway.audit.format import iso_time
    from gateway.audit.query import AuditFilter, parse_time

    try:
        before = parse_time(args.before)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    store = _store(args)
    if not args.yes:
        older = store.stats(AuditFilter(end=before), by="decision", per="day")
        total = sum(row.count for row in older)
        print(f"would delete up to {total} records before {iso_time(before)}; add --yes to do it")
        return 0
    result = store.purge(before, actor=getpass.getuser())
    print(
        f"deleted {result.deleted} records (through seq {result.through_seq}); "
        f"recorded as seq {result.record.seq}"
    )
    return 0


def _evidence(args: argparse.Namespace) -> int:
    """Print the opened evidence as JSON lines; the values go to stdout only."""
    from gateway.audit.evidence import EvidenceError, load_evidence_private_key, open_evidence

    key = load_evidence_private_key(args.private_key)
    opened = failed = 0
    for record in _all_pages(_store(args), _filter(args)):
        if record.evidence is None or (args.request_id and record.request_id != args.request_id):
            continue
        try:
            values = open_evidence(record.evidence, record.record_id, key)
        except EvidenceError as exc:
            failed += 1
            print(f"seq {record.seq}: {exc}", file=sys.stderr)
            continue
        item = {"seq": record.seq, "request_id": record.request_id, "evidence": values}
        sys.stdout.write(orjson.dumps(item).decode() + "\n")
        opened += 1
    print(f"opened {opened} records' evidence, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


def _bench(args: argparse.Namespace) -> int:
    from gateway.dev.bench.audit import run_search_benchmark

    url = args.url or _settings(args).audit.url
    return run_search_benchmark(url, records=args.records, repeat=args.repeat)
