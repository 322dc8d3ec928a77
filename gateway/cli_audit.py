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

_FILTERS = (
    "user", "group", "provider", "jurisdiction", "decision", "rule", "entity", "fingerprint",
)  # fmt: skip


def add_audit_commands(commands: Any) -> None:
    """Register ``audit`` and its subcommands on the ``haetae`` parser's subparsers."""
    audit = commands.add_parser("audit", help="review, export and verify the audit log")
    sub = audit.add_subparsers(title="audit commands")

    tail = _command(sub, "tail", "show the latest decisions", _tail, records="audit.read")
    tail.add_argument("-n", "--lines", type=int, default=20)
    tail.add_argument("-f", "--follow", action="store_true", help="keep printing new records")
    tail.add_argument("--interval", type=float, default=1.0, help="seconds between polls (-f)")
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    _zone_option(tail)

    search = _command(
        sub, "search", "find records by time, who, where and what", _search, records="audit.read"
    )
    _filter_options(search)
    search.add_argument("--limit", type=int, default=50)
    search.add_argument("--cursor", help="continue after a previous page (printed on stderr)")
    search.add_argument("--order", choices=["desc", "asc"], default="desc")
    search.add_argument("--json", action="store_true", help="one JSON object per line")

    stats = _command(
        sub, "stats", "count decisions per hour or day, or cross-tabulate", _stats,
        records="audit.stats",
    )  # fmt: skip
    _filter_options(stats)
    from gateway.audit.export import CSV_ENCODINGS
    from gateway.audit.query import BUCKETS, STATS_DIMENSIONS

    stats.add_argument(
        "--by",
        default="decision",
        help=f"one or more of {', '.join(STATS_DIMENSIONS)}, comma-separated (user,provider)",
    )
    stats.add_argument(
        "--per", choices=list(BUCKETS), default="day", help="bucket; 'all': one for the range"
    )
    stats.add_argument("--json", action="store_true")

    export = _command(
        sub, "export", "write matching records as JSON lines or CSV", _export,
        records="audit.read",
    )  # fmt: skip
    _filter_options(export)
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", type=Path, help="file to write (default: stdout)")
    export.add_argument(
        "--encoding",
        choices=list(CSV_ENCODINGS),
        default="utf-8-sig",
        help="CSV encoding: utf-8-sig (UTF-8 with BOM, for Excel; default), cp949, utf-8",
    )

    verify = _command(
        sub, "verify", "check the hash chain, signed checkpoints and the witness", _verify,
        records="audit.verify",
    )  # fmt: skip
    verify.add_argument(
        "--public-key",
        type=Path,
        action="append",
        help="Ed25519 public key (PEM), repeatable for rotated or per-replica keys; default: "
        "audit.signing_key_file's .pub and audit.verify_key_files",
    )
    verify.add_argument(
        "--witness",
        help="witness to check against (a path, file:PATH, redis://…?key=NAME, off); "
        "default: audit.witness",
    )

    purge = _command(
        sub, "purge", "delete records older than a date (the purge is recorded)", _purge
    )
    purge.add_argument("--before", required=True, help="ISO date/time or unix seconds")
    purge.add_argument("--yes", action="store_true", help="really delete (otherwise a dry run)")
    _zone_option(purge)

    evidence = _command(
        sub, "evidence", "open the sealed evidence of matching records (needs the private key)",
        _evidence, records="audit.evidence",
    )  # fmt: skip
    _filter_options(evidence)
    evidence.add_argument("--private-key", type=Path, required=True, help="X25519 key (PEM)")
    evidence.add_argument("--request-id", help="only this request")

    fingerprint = _command(
        sub, "fingerprint", "print a value's audit fingerprint(s), to search with", _fingerprint
    )
    fingerprint.add_argument("--entity", required=True, help="entity type (KR_RRN, EMAIL_ADDRESS…)")
    fingerprint.add_argument(
        "value", nargs="?", help="the value (default: read from standard input, not echoed)"
    )

    bench = _command(sub, "bench", "time searches over many generated records", _bench)
    bench.add_argument("--records", type=int, default=1_000_000)
    bench.add_argument("--repeat", type=int, default=20)


def _command(
    sub: Any,
    name: str,
    help_text: str,
    run: Callable[[argparse.Namespace], int],
    *,
    records: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand; ``records`` names the admin action its reads are recorded as."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.set_defaults(audit_command=name, audit_action=records)
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
    parser.add_argument(
        "--since", help="from this time: ISO 8601, unix seconds, or ago (7d, 12h, 30m)"
    )
    parser.add_argument("--until", help="before this time (exclusive), in the same forms")
    for name in _FILTERS:
        parser.add_argument(f"--{name}")
    parser.add_argument(
        "--direction",
        choices=("request", "response"),
        help="--entity (and with response --decision) in the request or the answer; "
        "alone: records with findings there",
    )
    _zone_option(parser)


def _zone_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tz",
        help="time zone to show times, read dates and cut days in (Asia/Seoul); "
        "default: audit.timezone",
    )


def _zone(args: argparse.Namespace) -> Any:
    """``--tz``, else ``audit.timezone`` from the config (UTC with only --url)."""
    from gateway.audit.timezone import resolve_zone

    name = getattr(args, "tz", None)
    if name is None and not args.url:
        name = _settings(args).audit.timezone
    try:
        return resolve_zone(name)
    except ValueError as exc:
        raise ConfigError(f"--tz: {exc}") from None


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


#: arguments a read's record keeps: what was asked, never a key, a spec or a value
_QUERY_ARGS = (
    *_FILTERS, "since", "until", "direction", "tz", "by", "per", "format", "encoding", "limit",
    "cursor", "order", "lines", "follow", "request_id",
)  # fmt: skip


def _record_read(store: Any, args: argparse.Namespace, **found: object) -> None:
    """Put this read on record before its results are shown, as the admin API does.

    Fail closed: a read that cannot be recorded shows nothing. ``found`` is what
    the command found, for a verification (never a record's content).
    """
    from gateway.audit.admin_event import cli_admin_record

    query = {
        name: str(value)[:200]
        for name in _QUERY_ARGS
        if (value := getattr(args, name, None)) not in (None, False)
    }
    record = cli_admin_record(
        args.audit_action, f"haetae audit {args.audit_command}", extra={"query": query, **found}
    )
    try:
        store.append_now(record)
    except Exception as exc:
        raise ConfigError(
            f"this read could not be put on record in {store.label} ({type(exc).__name__}); "
            "every audit read is an admin record, so nothing was read. "
            "감사 기록을 남길 수 없어 조회를 거부했습니다."
        ) from None


def _settings(args: argparse.Namespace) -> Any:
    from gateway.settings import load_settings

    return load_settings(Path(args.config) if args.config else None)


def _filter(args: argparse.Namespace) -> Any:
    from gateway.audit.query import AuditFilter, parse_time

    zone = _zone(args)
    try:
        start = parse_time(args.since, zone) if args.since else None
        end = parse_time(args.until, zone) if args.until else None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return AuditFilter(
        start=start,
        end=end,
        direction=args.direction,
        **{n: getattr(args, n) for n in _FILTERS},
    )


def _print_record(record: Any, as_json: bool, zone: Any) -> None:
    from gateway.audit.format import format_record_line

    if as_json:
        sys.stdout.write(orjson.dumps(record.to_dict()).decode() + "\n")
    else:
        sys.stdout.write(format_record_line(record, zone) + "\n")


def _tail(args: argparse.Namespace) -> int:
    store, zone = _store(args), _zone(args)
    records = store.tail(args.lines)
    _record_read(store, args)
    for record in records:
        _print_record(record, args.json, zone)
    if not args.follow:
        return 0
    seq = records[-1].seq if records else 0
    while True:
        sys.stdout.flush()
        time.sleep(args.interval)
        for record in store.after(seq or 0):
            _print_record(record, args.json, zone)
            seq = record.seq


def _search(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        page = store.search(_filter(args), limit=args.limit, cursor=args.cursor, order=args.order)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    _record_read(store, args)
    zone = _zone(args)
    for record in page.records:
        _print_record(record, args.json, zone)
    if page.next_cursor:
        print(f"more: --cursor {page.next_cursor}", file=sys.stderr)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from gateway.audit.format import iso_time
    from gateway.audit.review import count

    zone = _zone(args)
    store = _store(args)
    try:
        counts = count(store, _filter(args), by=args.by, per=args.per, zone=zone)
    except ValueError as exc:
        raise ConfigError(f"--by: {exc}") from None
    _record_read(store, args)
    for row in counts.rows:
        start = iso_time(row.bucket, zone) if args.per != "all" else "all"
        if args.json:
            keys = dict(zip(counts.by, row.keys, strict=True))
            item = {"start": start, "key": row.key, "keys": keys, "count": row.count}
            print(orjson.dumps(item).decode())
        else:
            keys_text = "  ".join(k if k is not None else "-" for k in row.keys)
            print(f"{start}  {row.count:>8}  {keys_text}")
    if len(counts.by) > 1 and not args.json:
        print("totals:")
        for keys_found, n in counts.totals():
            print(f"  {n:>8}  " + "  ".join(k if k is not None else "-" for k in keys_found))
    # stderr, so that --json output stays one row per line
    print(f"total: {counts.records} records", file=sys.stderr)
    return 0


def _matching(store: Any, where: Any) -> Iterator[Any]:
    from gateway.audit.export import matching

    return matching(store, where)


def _export(args: argparse.Namespace) -> int:
    from gateway.audit.export import csv_lines, encode_lines, write_jsonl

    store, where, zone = _store(args), _filter(args), _zone(args)
    _record_read(store, args)  # streamed: on record before the first page is read
    records = _matching(store, where)
    if args.format == "csv":
        written = 0

        def counted() -> Iterator[Any]:
            nonlocal written
            for record in records:
                written += 1
                yield record

        lines = encode_lines(csv_lines(counted(), zone), args.encoding)
        with args.output.open("wb") if args.output else _stdout_bytes() as binary:
            for chunk in lines:
                binary.write(chunk)
        print(f"exported {written} records", file=sys.stderr)
        return 0
    out: IO[str]
    with args.output.open("w", encoding="utf-8", newline="") if args.output else _stdout() as out:
        count = write_jsonl(records, out)
    print(f"exported {count} records", file=sys.stderr)
    return 0


class _stdout_bytes:
    """stdout's bytes, for an export in an encoding of its own."""

    def __enter__(self) -> IO[bytes]:
        sys.stdout.flush()
        return sys.stdout.buffer

    def __exit__(self, *exc: object) -> None:
        sys.stdout.buffer.flush()


class _stdout:
    """stdout as a context manager that is not closed afterwards."""

    def __enter__(self) -> IO[str]:
        return sys.stdout

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()


def _verify(args: argparse.Namespace) -> int:
    from gateway.audit.verify_store import verify_store

    keys = _verify_keys(args)
    witness = _verify_witness(args)
    store = _store(args)
    result = verify_store(store, keys, witness)
    # after the walk, so the record never lands on the chain it checks
    _record_read(
        store, args, result={"ok": result.report.ok, "problems": len(result.report.problems)}
    )
    for line in describe_report(result):
        print(line)
    return 0 if result.report.ok else 1


def describe_report(result: Any) -> list[str]:
    """The lines ``verify`` prints: problems, totals, warnings, then the verdict."""
    report = result.report
    lines = [f"TAMPERED  {problem}" for problem in report.problems]
    span = f"seq {report.first_seq}–{report.last_seq}" if report.records else "no records"
    lines.append(
        f"{report.records} records ({span}), {report.checkpoints} signed checkpoints verified"
    )
    if result.witness_label is not None:
        lines.append(f"{report.witnessed} witnessed checkpoints match ({result.witness_label})")
    if result.keyed and report.unanchored:
        lines.append(f"note: the last {report.unanchored} records are after the last checkpoint")
    lines += [f"warning: {warning}" for warning in result.warnings]
    if report.ok:
        lines.append("OK: the chain is intact")
    else:
        lines.append(f"FAILED: {len(report.problems)} problem(s)")
    return lines


def _verify_keys(args: argparse.Namespace) -> list[Any]:
    from gateway.audit.chain import load_public_key
    from gateway.audit.setup import verify_keys

    if args.public_key:
        return [load_public_key(path) for path in args.public_key]
    return [] if args.url else verify_keys(_settings(args).audit)


def _verify_witness(args: argparse.Namespace) -> Any:
    from gateway.audit.witness import open_witness

    if args.witness is not None:
        return open_witness(args.witness, args.url or "")
    if args.url:
        return None
    audit = _settings(args).audit
    return open_witness(audit.witness, audit.url)


def _purge(args: argparse.Namespace) -> int:
    from gateway.audit.admin_event import cli_actor
    from gateway.audit.format import iso_time
    from gateway.audit.query import AuditFilter, parse_time

    zone = _zone(args)
    try:
        before = parse_time(args.before, zone)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    store = _store(args)
    if not args.yes:
        older = store.stats(AuditFilter(end=before), by="decision", per="day")
        total = sum(row.count for row in older)
        print(
            f"would delete up to {total} records before {iso_time(before, zone)}; "
            "add --yes to do it"
        )
        return 0
    result = store.purge(before, actor=cli_actor())
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
    store = _store(args)
    _record_read(store, args)  # opening evidence is the most sensitive read there is
    for record in _matching(store, _filter(args)):
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


def _fingerprint(args: argparse.Namespace) -> int:
    """The canonical fingerprint, and the as-written one older records may hold if different."""
    from gateway.audit.setup import configured_fingerprinter
    from gateway.keys import read_configured_key

    settings, environ = _settings(args), dict(os.environ)
    detection = settings.detection
    edit_key = read_configured_key(
        "detection.key_file", detection.key_file, detection.key_env, environ
    )
    audit = settings.audit
    keyless = audit.fingerprint_key_file is None and not environ.get(audit.fingerprint_key_env)
    if edit_key is None and keyless:
        raise ConfigError(
            f"no audit key ({audit.fingerprint_key_env} or audit.fingerprint_key_file) and no "
            f"pseudonym key ({detection.key_env} or detection.key_file): the gateway's "
            "fingerprints were made with a per-process key and can't be recomputed"
        )
    fingerprint = configured_fingerprinter(audit, edit_key or b"", environ)
    value = args.value
    if value is None:
        value = getpass.getpass("value: ") if sys.stdin.isatty() else sys.stdin.readline()
        value = value.rstrip("\r\n")
    canonical, written = fingerprint(value, args.entity), fingerprint(value)
    print(canonical)
    if written != canonical:
        print(f"{written}  (as written: records made before canonical fingerprints)")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from gateway.dev.bench.audit import run_search_benchmark

    url = args.url or _settings(args).audit.url
    return run_search_benchmark(url, records=args.records, repeat=args.repeat)
