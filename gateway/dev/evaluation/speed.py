"""Detection speed and start-up cost, against out-of-the-box Presidio in the same run.

Two texts: a 1 KB mixed Korean/English prompt with an e-mail address and a phone number
(the common case), and 50 KB of application logs and code (numbers everywhere, the worst
case for pattern recognizers). Each detector scans each text repeatedly after one warm-up
call; the table reports the median and the ratio to Presidio measured minutes apart on the
same machine, not numbers from another day.

Start-up is measured in fresh interpreters, because imports and model loads happen once per
process: seconds from interpreter start to an engine ready to scan (``warm_up`` included)
and the resident set size (VmRSS) at that point.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "SpeedRow",
    "StartupRow",
    "code_and_logs",
    "default_policy_entities",
    "measure_speed",
    "measure_startup",
    "prompt_1kb",
    "render_speed",
]

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_POLICY = ROOT / "policies" / "default.yaml"

_PROMPT_SENTENCES = (
    "이번 분기 판매 실적을 요약하고 다음 달 마케팅 계획 초안을 작성해 주세요. ",
    "Please also list three risks for the launch and how to mitigate them. ",
    "회의는 2025년 3월 14일 오후 2시에 3층 대회의실에서 진행합니다. ",
    "The budget is 12,500,000 KRW, version 2.4.1 ships on 2025-04-01. ",
)


def prompt_1kb() -> str:
    """About 1 KB (UTF-8) of an ordinary prompt holding one e-mail and one phone number."""
    text = "담당자 메일은 minsu.kim@example.co.kr, 연락처는 010-2345-6789입니다. "
    at = 0
    while len(text.encode()) < 1024:
        text += _PROMPT_SENTENCES[at % len(_PROMPT_SENTENCES)]
        at += 1
    return text.encode()[:1024].decode("utf-8", "ignore")


def code_and_logs(size: int = 50 * 1024, seed: int = 7) -> str:
    """``size`` bytes of logs and code: timestamps, IPs, ids, hashes, paths, numbers."""
    rng = random.Random(seed)
    lines: list[str] = []
    total = 0
    while total < size:
        kind = rng.randrange(4)
        if kind == 0:
            line = (
                f"2025-03-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z "
                f"INFO  [worker-{rng.randint(1, 16)}] "
                f"GET /api/v2/orders/{rng.randint(10**5, 10**6)}"
                f" 200 {rng.randint(3, 900)}ms from 10.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
                f".{rng.randint(1, 254)} trace={rng.getrandbits(64):016x}"
            )
        elif kind == 1:
            line = (
                f"    def handle_{rng.randint(1, 99)}"
                f"(self, request_id: int = {rng.randint(1, 9999)})"
                f" -> dict[str, float]:  # see PR #{rng.randint(100, 9999)}"
            )
        elif kind == 2:
            line = (
                f"        total += price[{rng.randint(0, 64)}] * {rng.uniform(0, 100):.4f}"
                f"  # rows {rng.randint(1, 500)}-{rng.randint(501, 999)}, v{rng.randint(1, 9)}."
                f"{rng.randint(0, 20)}.{rng.randint(0, 99)}"
            )
        else:
            line = (
                f"ERROR job {rng.getrandbits(128):032x} failed after {rng.randint(1, 9)} retries "
                f"(exit {rng.randint(1, 255)}), queue depth {rng.randint(0, 10**4)}"
            )
        lines.append(line)
        total += len(line.encode()) + 1
    return "\n".join(lines).encode()[:size].decode("utf-8", "ignore")


def default_policy_entities() -> frozenset[str]:
    """The entity types the shipped default policy scans (what the gateway builds)."""
    from gateway.detect import SUPPORTED_ENTITIES
    from gateway.policy import load_policy

    policy = load_policy(DEFAULT_POLICY, SUPPORTED_ENTITIES)
    return frozenset(policy.scanned_entities & SUPPORTED_ENTITIES)


@dataclass(frozen=True)
class SpeedRow:
    text: str
    size_bytes: int
    p50_ms: dict[str, float]  # detector name -> median wall-clock milliseconds per scan
    cpu_p50_ms: dict[str, float]  # the same, CPU time of this process only


def _medians_ms(scan: Callable[[str], object], text: str, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds; CPU time is what other load cannot inflate."""
    scan(text)  # warm-up: lazy loads and first-call caches are not per-request costs
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        scan(text)
        cpu.append(time.process_time() - began_cpu)
        wall.append(time.perf_counter() - began)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def measure_speed(
    detectors: Sequence[tuple[str, Callable[[str], object]]],
    runs_1kb: int = 200,
    runs_50kb: int = 9,
) -> list[SpeedRow]:
    """Median scan time of every detector on the 1 KB prompt and the 50 KB log/code text."""
    rows = []
    for label, text, runs in (
        ("1 KB prompt", prompt_1kb(), runs_1kb),
        ("50 KB logs and code", code_and_logs(), runs_50kb),
    ):
        medians = {name: _medians_ms(scan, text, runs) for name, scan in detectors}
        rows.append(
            SpeedRow(
                label,
                len(text.encode()),
                {name: wall for name, (wall, _) in medians.items()},
                {name: cpu for name, (_, cpu) in medians.items()},
            )
        )
    return rows


@dataclass(frozen=True)
class StartupRow:
    label: str
    entities: int
    seconds: float
    rss_mb: float


_STARTUP_SCRIPT = """
import json, sys, time
began = time.perf_counter()
spec = json.loads(sys.argv[1])
if spec["presidio"]:
    from gateway.dev.evaluation.score import presidio_baseline
    scan = presidio_baseline()
    count = len(scan.supported)
else:
    from gateway.detect import DetectionEngine
    engine = DetectionEngine(spec["entities"])
    engine.warm_up()
    scan, count = engine.scan, len(engine.entities)
scan("warm 홍길동 고객님 kim@example.com")
seconds = time.perf_counter() - began
rss_kb = next(
    int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:")
)
print(json.dumps({"seconds": seconds, "rss_mb": rss_kb / 1024, "entities": count}))
"""


def measure_startup(
    label: str, entities: Collection[str] | None, presidio: bool = False
) -> StartupRow:
    """Start a fresh interpreter, build the engine (and warm it up); time it, read its RSS.

    ``entities`` None means every supported entity; ``presidio`` builds the baseline instead.
    """
    spec: dict[str, Any] = {
        "entities": None if entities is None else sorted(entities),
        "presidio": presidio,
    }
    done = subprocess.run(
        [sys.executable, "-c", _STARTUP_SCRIPT, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"start-up measurement failed: {done.stderr.strip()[-500:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return StartupRow(
        label, int(result["entities"]), float(result["seconds"]), float(result["rss_mb"])
    )


def render_speed(rows: Sequence[SpeedRow], baseline: str, startup: Sequence[StartupRow]) -> str:
    """Markdown: scan medians with the ratio to ``baseline``, then start-up time and RSS."""
    names = list(rows[0].p50_ms) if rows else []
    others = [name for name in names if name != baseline]
    header = ["text", *(f"{name}: p50 (CPU)" for name in names)]
    header += [f"{baseline} / {name}" for name in others]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [f"{row.text} ({row.size_bytes:,} B)"]
        cells += [f"{_ms(row.p50_ms[n])} ({_ms(row.cpu_p50_ms[n])})" for n in names]
        cells += [f"{row.p50_ms[baseline] / row.p50_ms[name]:.0f}×" for name in others]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "p50 is wall-clock time per scan, CPU the process's own CPU time (other load on the "
        "machine inflates the first, not the second); ratios use wall-clock.",
        "",
        "Start-up in a fresh interpreter (imports, engine, `warm_up()`, first scan) and the "
        "resident set size afterwards:",
        "",
        "| engine | entity types | start-up | RSS |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {row.label} | {row.entities} | {row.seconds:.2f} s | {row.rss_mb:.0f} MB |"
        for row in startup
    ]
    return "\n".join(lines)


def _ms(value: float) -> str:
    return f"{value * 1000:.0f} µs" if value < 1 else f"{value:.1f} ms"
