"""``python -m gateway.dev.bench.joined``: what the joined view (split values) adds to a scan.

Each request is scanned by one engine (the default policy's entities) with the joined
view off and on, alternating, in rounds; the table gives the median process CPU time of
each and their ratio (the target is at most ×1.5), and how many characters the view
adds against what the gateway allows it (``view_allowance``; more is refused, and the
time is then what the refusal cost). The requests range from an ordinary prompt to the
worst case for the view: short messages every one of which ends and starts with a
number, so that every boundary is read.
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.detect import DetectionEngine

from gateway.detect.engine import SEGMENT_SEPARATOR
from gateway.detect.joined import JoinedViewTooLarge, joined_view, view_allowance

__all__ = ["REQUESTS", "run_joined_benchmark"]

ROOT = Path(__file__).resolve().parents[3]

_PROSE = (
    "Please summarise the attached quarterly report and list the three biggest risks. "
    "배포 일정과 담당자를 정리해 주세요. The launch moved to the second week of March; "
)


def _prompt(_: random.Random) -> list[str]:
    return [(_PROSE * 8)[:1024]]


def _request(_: random.Random) -> list[str]:
    return ["You are a helpful assistant for the finance team.", (_PROSE * 8)[:1000]]


def _chat(rng: random.Random) -> list[str]:
    lines = [
        "회의는 3월 14일 오후 2시에 있습니다.",
        "1. 예산 검토\n2. 일정 확인\n3. 담당자 배정",
        "The build took 14 minutes and 3 tests failed.",
        "네, 확인했습니다. 다음 주에 다시 이야기해요.",
        "Order 4411 shipped on the 12th.",
        "Thanks!",
    ]
    return [rng.choice(lines) for _ in range(12)]


def _numbers(rng: random.Random) -> list[str]:
    out = []
    for _ in range(21):
        head = str(rng.randrange(1, 100)) + " " if rng.random() < 0.5 else ""
        tail = " " + str(rng.randrange(1, 10_000)) if rng.random() < 0.5 else "."
        out.append(f"{head}items were counted in room{tail}")
    return out


def _worst(rng: random.Random) -> list[str]:
    return [
        f"{rng.randrange(10, 10_000)} rows were read from table {rng.randrange(10, 10_000)}"
        for _ in range(20)
    ]


def _digit_parts(rng: random.Random) -> list[str]:
    return [f"{rng.randrange(10**6):06d}" for _ in range(200)]


def _logs(rng: random.Random) -> list[str]:
    lines: list[str] = []
    while sum(map(len, lines)) < 50_000:
        lines.append(
            f"2026-12-07T06:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z INFO worker-"
            f"{rng.randrange(8)} processed batch {rng.randrange(10**6)} in {rng.randrange(999)} ms"
        )
    return ["\n".join(lines)]


REQUESTS: dict[str, tuple[str, Callable[[random.Random], list[str]]]] = {
    "prompt": ("1 KB prompt, one message", _prompt),
    "request": ("1 KB prompt as a request (system + user)", _request),
    "chat": ("chat of 12 Korean/English messages (lists, numbers)", _chat),
    "numbers": ("21 messages, many ending or starting with numbers", _numbers),
    "worst": ("20 messages every one of which ends and starts with a number", _worst),
    "digit-parts": ("200 content parts of 6 digits each", _digit_parts),
    "logs": ("50 KB logs, one text", _logs),
}


def _joined(engine: DetectionEngine, texts: list[str], allowance: int) -> object:
    try:
        return engine.scan_segments(texts, max_view_chars=allowance)
    except JoinedViewTooLarge:
        return None  # the gateway refuses it (uninspectable): what that costs is measured


def _cpu(scan: Callable[[], object], repeat: int) -> float:
    began = time.process_time()
    for _ in range(repeat):
        scan()
    return (time.process_time() - began) / repeat


def run_joined_benchmark(rounds: int = 9, names: Sequence[str] = tuple(REQUESTS)) -> int:
    from gateway.detect import SUPPORTED_ENTITIES, DetectionEngine
    from gateway.policy.active import detector_spec
    from gateway.policy.loader import load_policy

    policy = load_policy(ROOT / "policies" / "default.yaml", SUPPORTED_ENTITIES)
    engine = DetectionEngine(detector_spec(policy)[0])
    rows = []
    for name in names:
        label, build = REQUESTS[name]
        texts = build(random.Random(20261207))
        size = sum(map(len, texts))
        view = joined_view(texts, SEGMENT_SEPARATOR)
        extra = len(view.text) if view is not None else 0
        allowance = view_allowance(size)  # as the gateway limits it
        repeat = max(1, 20_000 // max(size, 1))
        plain: list[float] = []
        joined: list[float] = []
        for _ in range(rounds):
            plain.append(_cpu(functools.partial(engine.scan_segments, texts, joined=False), repeat))
            joined.append(_cpu(functools.partial(_joined, engine, texts, allowance), repeat))
        off, on = statistics.median(plain), statistics.median(joined)
        outcome = f"×{on / off:.2f}" if extra <= allowance else f"refused (×{on / off:.2f})"
        rows.append(
            f"| {label} | {size:,} | {extra:,} / {allowance:,} | {off * 1e6:,.0f} "
            f"| {on * 1e6:,.0f} | {outcome} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    print(
        "\n".join(
            [
                f"Joined view cost — {time.strftime('%Y-%m-%d %H:%M')} — default policy, median "
                f"process CPU of {rounds} alternating rounds",
                "",
                "| request | characters | view characters / allowed | plain µs | with view µs "
                "| ratio |",
                "|---|---|---|---|---|---|",
                *rows,
            ]
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.dev.bench.joined", description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", default=",".join(REQUESTS), help="comma list")
    args = parser.parse_args(argv)
    return run_joined_benchmark(args.rounds, tuple(args.requests.split(",")))


if __name__ == "__main__":
    sys.exit(main())
