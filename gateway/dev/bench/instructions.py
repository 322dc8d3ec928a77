"""``haetae bench --instructions``: instructions per request, checkout against checkout.

CPU time on a shared machine moves with the other work on it; the number of
instructions a request executes does not. Each tree named with ``--tree NAME=PATH``
(this checkout by default) runs ``writer_cpu_workload.py`` under valgrind's callgrind
with its own ``gateway`` and ``.venv``: 1 KB chat requests one at a time, in process,
with the seven headers ``haetae bench``'s load generator sends (every forwarded header
value is scanned, so fewer would undercount a served request), the default policy, a
SQLite audit file, the production default upstream client (aiohttp) against a provider
in another process. Counting is switched on after the
warm-up, one count per thread; the table gives the event loop's thread, the other
threads (the audit writer above all) and the ratio of the whole to the first tree.
Scan worker processes are not counted: a 1 KB prompt is scanned on the loop.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["count_per_thread", "run_instruction_benchmark"]

_WORKLOAD = Path(__file__).resolve().with_name("writer_cpu_workload.py")
_TOTALS = re.compile(rb"^totals:\s+(\d+)", re.MULTILINE)


def count_per_thread(folder: Path) -> list[int]:
    """Instructions counted in each thread's callgrind file, in thread order."""
    counts = []
    for file in sorted(folder.glob("callgrind.out-*")):
        found = _TOTALS.search(file.read_bytes())
        counts.append(int(found.group(1)) if found else 0)
    return counts


def _count_tree(tree: Path, requests: int) -> tuple[float, float]:
    own = tree / ".venv" / "bin" / "python"
    python = str(own) if own.exists() else sys.executable
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "HAETAE_BENCH_UPSTREAM": "aiohttp",
        "HAETAE_BENCH_CALLGRIND": "1",
    }
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            "--separate-threads=yes",
            f"--callgrind-out-file={folder}/callgrind.out",
            python,
            str(_WORKLOAD),
            str(requests),
        ]
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tree}: workload failed: {done.stderr.decode()[-2000:]}")
        # the first thread (callgrind.out-01) is the main one, where the event loop runs
        loop, *others = count_per_thread(Path(folder))
    return loop / requests / 1000, sum(others) / requests / 1000


def run_instruction_benchmark(trees: list[tuple[str, Path]], *, requests: int = 200) -> int:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print(
            "haetae bench --instructions needs valgrind (Debian: apt-get install valgrind)",
            file=sys.stderr,
        )
        return 2
    measured = []
    for name, tree in trees:
        loop, other = _count_tree(tree, requests)
        measured.append((name, loop, other))
        print(f"{name}: loop {loop:,.0f}k, other threads {other:,.0f}k", file=sys.stderr)
    base = measured[0][1] + measured[0][2]
    print(
        f"Instructions per 1 KB chat request (thousands), {requests} requests after 100 "
        "warm-up, default policy, aiohttp upstream, SQLite audit; ratio of the whole to "
        f"{measured[0][0]}\n"
    )
    print("| tree | event-loop thread | other threads | whole | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, loop, other in measured:
        whole = loop + other
        print(f"| {name} | {loop:,.0f} | {other:,.0f} | {whole:,.0f} | ×{whole / base:.2f} |")
    return 0
