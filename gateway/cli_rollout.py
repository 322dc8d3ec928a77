"""``haetae rollout …``: tools around sharing the active policy between replicas."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``rollout`` command group to the ``haetae`` parser."""
    from gateway.dev.bench.rollout import add_arguments

    rollout = commands.add_parser("rollout", help="policy rollout across replicas")
    sub = rollout.add_subparsers(title="rollout commands")
    bench = sub.add_parser(
        "bench",
        help="time a policy switch across two local replicas sharing Redis",
        description="Starts two gateway replicas on loopback against Redis, activates policy "
        "versions on one and prints how long the other takes to serve each.",
    )
    add_arguments(bench)
    bench.set_defaults(run=_bench)


def _bench(args: argparse.Namespace) -> int:
    from gateway.dev.bench.rollout import run_rollout_bench

    if args.activations < 1:
        raise SystemExit("haetae rollout bench: --activations must be at least 1")
    return run_rollout_bench(args.activations, args.redis_url, args.poll_interval)
