"""``haetae siem …``: delivering the audit trail to the configured SIEM sinks."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(commands: Any, config_options: Any) -> None:
    """Add the ``siem`` command group to the ``haetae`` parser."""
    siem = commands.add_parser("siem", help="deliver audit records to a SIEM")
    sub = siem.add_subparsers(title="siem commands")
    deliver = sub.add_parser(
        "deliver",
        help="send audit records to every sink in siem.sinks, from where each stopped",
        description="Reads the audit store named by audit.url in chain order and sends each "
        "sink what it has not acknowledged yet (at least once; the cursors are in "
        "siem.state_dir). Runs until stopped, or with --once until every sink is up to "
        "date. Run one per audit store.",
    )
    config_options(deliver)
    deliver.add_argument("--once", action="store_true", help="deliver what is pending, then exit")
    deliver.set_defaults(run=_deliver)


def _deliver(args: argparse.Namespace) -> int:
    from gateway.audit.setup import configured_store
    from gateway.settings import load_settings
    from gateway.siem.setup import build_delivery

    settings = load_settings(Path(args.config) if args.config else None)
    # A reader, as `haetae audit tail` is: no writer, no spool.
    store = configured_store(settings.audit, writer=False)
    delivery = build_delivery(settings.siem, store)
    return asyncio.run(_run(delivery, once=args.once, poll=settings.siem.poll_seconds))


async def _run(delivery: Any, *, once: bool, poll: float) -> int:
    if once:
        await delivery.start()
        try:
            counts = await delivery.deliver_pending()
        finally:
            await delivery.aclose()
        for route in delivery.routes:
            state = route.stopped or (
                f"failing ({route.failures} attempts)" if route.failures else "up to date"
            )
            sent = counts.get(route.sink.name, 0)
            print(f"{route.sink.name}: {sent} records sent; {state}")
        return 1 if any(r.stopped or r.failures for r in delivery.routes) else 0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await delivery.run(stop, poll)
    return 0
