"""``haetae bench --writer-cpu``: CPU per request outside the event loop, tree against tree.

Almost all of it is the audit writer thread (chaining, rows, commits, counts).
Each tree named with ``--tree NAME=PATH`` (this checkout by default, named
"this") runs ``writer_cpu_workload.py`` in a child process with its own
``gateway`` first on ``PYTHONPATH`` (and its own ``.venv`` if it has one),
rounds alternating between trees so the shared machine's load falls on all;
the table gives each round, the medians and the ratio to the first tree.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

from gateway.dev.bench.audit import scratch_url

__all__ = ["run_writer_cpu_benchmark"]

_WORKLOAD = Path(__file__).resolve().with_name("writer_cpu_workload.py")
_THIS = Path(__file__).resolve().parents[3]


def parse_trees(specs: list[str]) -> list[tuple[str, Path]]:
    """``NAME=PATH`` pairs (a bare path is named by its folder); none: this checkout."""
    trees = []
    for spec in specs:
        name, _, path = spec.rpartition("=")
        folder = Path(path).resolve()
        trees.append((name or folder.name, folder))
    return trees or [("this", _THIS)]


def _run_once(tree: Path, requests: int, audit_url: str | None) -> dict[str, float]:
    own = tree / ".venv" / "bin" / "python"
    python = str(own) if own.exists() else sys.executable
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [python, str(_WORKLOAD), str(requests), *([audit_url] if audit_url else [])]
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: workload failed: {done.stderr.strip()[-2000:]}")
    result = orjson.loads(done.stdout.strip().splitlines()[-1])
    return {"loop": float(result["loop_ms"]), "other": float(result["other_ms"])}


def run_writer_cpu_benchmark(
    trees: list[tuple[str, Path]],
    *,
    rounds: int = 5,
    requests: int = 2000,
    audit_url: str = "sqlite",
    output: Path | None = None,
) -> int:
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
    for n in range(rounds):
        order = trees if n % 2 == 0 else trees[::-1]
        for name, tree in order:
            with (
                tempfile.TemporaryDirectory() as folder,
                scratch_url(audit_url, Path(folder)) as url,
            ):
                # SQLite: the workload's own scratch file; PostgreSQL: a schema of its own
                given = url if url.startswith("postgresql") else None
                runs[name].append(_run_once(tree, requests, given))
            print(f"round {n + 1}, {name}: {runs[name][-1]['other']:.3f} ms", file=sys.stderr)
    store = "PostgreSQL" if audit_url.startswith("postgresql") else "SQLite"
    first = trees[0][0]
    base_other = statistics.median(r["other"] for r in runs[first])
    base_loop = statistics.median(r["loop"] for r in runs[first])
    lines = [
        f"CPU per request (ms), {requests} 1 KB chat requests one at a time, in process, "
        f"{store} audit store, {rounds} rounds alternating; ratios to {first}",
        "",
        "| tree | other threads, each round | other threads, median | ratio "
        "| event loop, median | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, _ in trees:
        other = [r["other"] for r in runs[name]]
        loop = statistics.median(r["loop"] for r in runs[name])
        median = statistics.median(other)
        each = " / ".join(f"{v:.3f}" for v in other)
        lines.append(
            f"| {name} | {each} | {median:.3f} | {median / base_other:.2f}× "
            f"| {loop:.3f} | {loop / base_loop:.2f}× |"
        )
    table = "\n".join(lines)
    print(table)
    if output is not None:
        output.write_text(table + "\n")
    return 0
