"""``haetae usage``: requests, tokens and cost by user, group, provider, model and day.

Reads the audit store directly, like ``haetae audit`` (``--config`` or
``--url``), in ``audit.timezone`` unless ``--tz`` names another zone.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from gateway.cli_audit import command, read_store, record_read, zone_of, zone_option
from gateway.errors import ConfigError

__all__ = ["register"]

_COLUMNS = (
    ("requests", "requests"),
    ("limited", "limited"),
    ("blocked", "blocked"),
    ("input_tokens", "tokens in"),
    ("output_tokens", "tokens out"),
    ("cost_usd", "cost (USD)"),
    ("unpriced", "unpriced"),
)


def register(commands: Any) -> None:
    usage = command(
        commands, "usage", "report requests, tokens and cost from the audit log", _run,
        records="audit.stats", prefix="haetae",
    )  # fmt: skip
    usage.add_argument(
        "--by",
        default="user",
        help="one or more of user, group, provider, model, day, comma-separated (user,day)",
    )
    usage.add_argument("--since", help="from this time: ISO 8601, unix seconds, or ago (30d)")
    usage.add_argument("--until", help="before this time (exclusive), in the same forms")
    for name in ("user", "group", "provider"):
        usage.add_argument(f"--{name}", help=f"only this {name}")
    usage.add_argument("--json", action="store_true", help="one JSON object per row")
    zone_option(usage)


def _run(args: argparse.Namespace) -> int:
    from gateway.audit.query import AuditFilter, parse_time
    from gateway.audit.usage_report import parse_usage_dimensions, usage_report

    zone = zone_of(args)
    try:
        by = parse_usage_dimensions(args.by)
        start = parse_time(args.since, zone) if args.since else None
        end = parse_time(args.until, zone) if args.until else None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    where = AuditFilter(
        start=start, end=end, user=args.user, group=args.group, provider=args.provider
    )
    store = read_store(args)
    record_read(store, args)  # a usage report is an audit read, on record like the others
    rows = usage_report(store, where, by, zone)
    if args.json:
        for row in rows:
            print(orjson.dumps(row.to_dict()).decode())
        return 0
    header = [*by, *(title for _, title in _COLUMNS)]
    table = [
        [
            *(row.keys[name] or "-" for name in by),
            *(
                f"{row.cost_usd:.6f}" if name == "cost_usd" else str(getattr(row, name))
                for name, _ in _COLUMNS
            ),
        ]
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *table, strict=True)]
    for line in (header, *table):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))
    print(f"{len(rows)} rows, time zone {zone}", file=sys.stderr)
    return 0
