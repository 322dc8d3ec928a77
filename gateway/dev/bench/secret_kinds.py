"""``python -m gateway.dev.bench.secret_kinds``: what one recognizer for the secret kinds saves.

One process, two engines of the same entities: the secret kinds registered with
Presidio one by one ("one by one", as before ``recognizers/secrets/dispatch.py``) and
behind one ``SecretKinds`` ("dispatched", as the engine builds them), scanned
alternately in rounds; the table gives the median process CPU time per scan of each,
their ratio, and whether both found the same. Texts: the evaluation's 1 KB prompt and
50 KB of logs and code, and a 1 KB prompt holding a few credentials.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING
from unittest import mock

from gateway.dev.bench.alternating import compare_scans
from gateway.dev.evaluation.speed import code_and_logs, default_policy_entities, prompt_1kb

if TYPE_CHECKING:
    from gateway.detect import DetectionEngine

__all__ = ["TEXTS", "run_secret_kinds_benchmark"]


def _with_credentials() -> str:
    # Built from parts so that no secret scanner reads a literal key here.
    github = "ghp_" + "USZGi6HWGK10Zb0RLZ5TR9SPofbciO46Sm9V"
    return (
        prompt_1kb()[:700]
        + f"\nexport GITHUB_TOKEN={github}\npassword = 'Kx9#mQ2vLp7!'\n"
        + "aws_access_key_id = AKIA"
        + "IOSFODNN7EXAMPLE\n"
    )


TEXTS: dict[str, tuple[str, Callable[[], str]]] = {
    "prompt": ("1 KB prompt", prompt_1kb),
    "logs": ("50 KB logs and code", code_and_logs),
    "keys": ("1 KB prompt with credentials", _with_credentials),
}


def _engines(entities: Collection[str] | None) -> tuple[DetectionEngine, DetectionEngine]:
    """(one by one, dispatched): the first built with the engine's dispatch step skipped."""
    from gateway.detect import DetectionEngine

    with mock.patch("gateway.detect.engine.dispatched", list):
        one_by_one = DetectionEngine(entities)
    return one_by_one, DetectionEngine(entities)


def run_secret_kinds_benchmark(
    rounds: int = 9, names: Sequence[str] = tuple(TEXTS), every_entity: bool = False
) -> int:
    before, after = _engines(None if every_entity else default_policy_entities())

    def same(text: str) -> str:
        return "yes" if before.scan(text) == after.scan(text) else "NO"

    which = "every entity" if every_entity else "default policy"
    compare_scans(
        f"Secret kinds one by one vs dispatched — {which}",
        ("one by one", "dispatched", "same findings"),
        before.scan,
        after.scan,
        ((TEXTS[name][0], TEXTS[name][1]()) for name in names),
        rounds,
        same,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.dev.bench.secret_kinds", description=__doc__
    )
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--texts", default=",".join(TEXTS), help="comma list")
    parser.add_argument("--all", action="store_true", help="every entity, not the policy's")
    args = parser.parse_args(argv)
    return run_secret_kinds_benchmark(args.rounds, tuple(args.texts.split(",")), args.all)


if __name__ == "__main__":
    sys.exit(main())
