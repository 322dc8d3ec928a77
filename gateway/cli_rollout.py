"""``haetae rollout …``: tools around sharing the active policy between replicas."""

from __future__ import annotations

import argparse
from pathlib import Path
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
    keygen = sub.add_parser(
        "keygen",
        help="make the Ed25519 key pair that signs shared policy state",
        description="Writes rollout-signing.pem (private, mode 0600: rollout.signing_key_file "
        "on replicas that change the policy) and rollout-verify.pem (public: "
        "rollout.verify_key_file on every replica). Never overwrites a file.",
    )
    keygen.add_argument("--out", type=Path, required=True, help="folder to write the two files to")
    keygen.set_defaults(run=_keygen)


def _keygen(args: argparse.Namespace) -> int:
    from gateway.errors import ConfigError
    from gateway.rollout.signing import generate_key_pair, key_id

    try:
        signing, verify = generate_key_pair(args.out)
    except ConfigError as exc:
        raise SystemExit(f"haetae rollout keygen: {exc}") from None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    public = load_pem_public_key(verify.read_bytes())
    assert isinstance(public, Ed25519PublicKey)
    print(f"signing key (keep secret): {signing}")
    print(f"verification key:          {verify}")
    print(f"key id:                    {key_id(public)}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from gateway.dev.bench.rollout import run_rollout_bench

    if args.activations < 1:
        raise SystemExit("haetae rollout bench: --activations must be at least 1")
    return run_rollout_bench(args.activations, args.redis_url, args.poll_interval)
