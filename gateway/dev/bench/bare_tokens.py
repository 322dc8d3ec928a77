"""``python -m gateway.dev.bench.bare_tokens``: what bare tokens and URL credentials add.

One process, two engines built for the shipped default policy: the policy's entities
without ``GENERIC_SECRET`` and ``SECRET_URL_CREDENTIALS`` ("before"), and with them
("after"), scanned alternately in rounds; the table gives the median process CPU time
per scan of each and their ratio. The texts are the evaluation's 1 KB prompt and 50 KB
of logs and code (the budgets are 0.3 ms and 20 ms), and a token-dense worst case: 50 KB
of hashes, UUIDs, base64, identifiers, paths and random keys, every word a candidate.
"""

from __future__ import annotations

import argparse
import base64
import random
import string
import sys
import uuid
from collections.abc import Callable, Sequence

from gateway.dev.bench.alternating import compare_scans
from gateway.dev.evaluation.speed import code_and_logs, default_policy_entities, prompt_1kb

__all__ = ["NEW_ENTITIES", "TEXTS", "run_bare_token_benchmark", "token_dense"]

NEW_ENTITIES = frozenset({"GENERIC_SECRET", "SECRET_URL_CREDENTIALS"})
_ALNUM = string.ascii_letters + string.digits


def token_dense(size: int = 50 * 1024, seed: int = 11) -> str:
    """``size`` characters in which almost every word is a bare-token candidate."""
    rng = random.Random(seed)
    makers: tuple[Callable[[], str], ...] = (
        lambda: f"{rng.getrandbits(256):064x}",
        lambda: str(uuid.UUID(int=rng.getrandbits(128))),
        lambda: base64.b64encode(rng.randbytes(rng.choice((30, 48)))).decode(),
        lambda: "".join(rng.choice(_ALNUM) for _ in range(rng.choice((24, 40)))),
        lambda: "getUserAccountDetailsById" + str(rng.randrange(100)),
        lambda: f"/srv/app/releases/v{rng.randrange(9)}.{rng.randrange(20)}/lib/module.py",
        lambda: f"https://cdn.example.com/assets/{rng.getrandbits(64):016x}/bundle.js",
    )
    words: list[str] = []
    total = 0
    while total < size:
        word = rng.choice(makers)()
        words.append(word)
        total += len(word) + 1
    return " ".join(words)[:size]


TEXTS: dict[str, tuple[str, Callable[[], str]]] = {
    "prompt": ("1 KB prompt (budget 0.3 ms)", prompt_1kb),
    "logs": ("50 KB logs and code (budget 20 ms)", code_and_logs),
    "dense": ("50 KB of tokens, hashes, ids, paths (worst case)", token_dense),
}


def run_bare_token_benchmark(rounds: int = 9, names: Sequence[str] = tuple(TEXTS)) -> int:
    from gateway.detect import DetectionEngine

    after_entities = default_policy_entities()
    before = DetectionEngine(after_entities - NEW_ENTITIES)
    after = DetectionEngine(after_entities)

    def new_findings(text: str) -> str:
        return str(sum(1 for f in after.scan(text) if f.entity_type in NEW_ENTITIES))

    compare_scans(
        "Bare tokens and URL credentials — default policy",
        ("before", "after", "new findings"),
        before.scan,
        after.scan,
        ((TEXTS[name][0], TEXTS[name][1]()) for name in names),
        rounds,
        new_findings,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.dev.bench.bare_tokens", description=__doc__
    )
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--texts", default=",".join(TEXTS), help="comma list")
    args = parser.parse_args(argv)
    return run_bare_token_benchmark(args.rounds, tuple(args.texts.split(",")))


if __name__ == "__main__":
    sys.exit(main())
