"""``haetae bench --durable``: what making each opening durable costs, through the gateway.

A forwarded request's opening record is durable before the request leaves
(docs/audit.md, two records). Three gateways, same settings otherwise, run
alternately, several rounds, in one run, so the shared machine's load falls on all:

- **baseline**: a flush that returns at once (records queued and committed in the
  background, all a forwarded request paid before issue 12; never shipped);
- **journal** (shipped on SQLite, ``audit.journal: true``): the opening appended to
  the process's journal, committed in batches;
- **commit** (``audit.journal: false``, as PostgreSQL does): each request waits for
  its opening's commit.

The table gives each round and the medians, and issue 12's targets: added p50 at
concurrency 1 (≤ 0.5 ms) and throughput at concurrency 32 (within 10 % of the
baseline).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson

from gateway.dev.bench.proxy import ROOT, _Child, _cpu_seconds, _free_port, _load, chat_body

__all__ = ["run_durable_benchmark"]

#: each gateway measured, in the order a round runs them
MODES: Final = ("baseline", "journal", "commit")


@dataclass
class _Round:
    added_p50_c1: float  # ms over the direct call
    cpu_c1: float  # gateway CPU ms per request
    rps_c32: float
    cpu_c32: float


def _start(upstream_url: str, workdir: Path, *, mode: str, n: int) -> _Child:
    port = _free_port()
    config = workdir / f"gateway-{n}.yaml"
    config.write_text(
        orjson.dumps(
            {
                "listen": {"host": "127.0.0.1", "port": port},
                "policy": str(ROOT / "policies" / "default.yaml"),
                "audit": {
                    "url": f"sqlite:///{workdir}/audit-{n}.db",
                    "signing_key_file": str(workdir / "keys" / "audit-signing.pem"),
                    "journal": mode != "commit",
                },
                "forward": {"transport": "aiohttp"},
                "providers": {"openai": {"base_url": upstream_url}},
                "log_level": "warning",
            }
        ).decode()
    )
    command = ["gateway.dev.bench.durable"] if mode == "baseline" else ["gateway.cli", "serve"]
    return _Child([*command, "--config", str(config)], f"http://127.0.0.1:{port}")


def _measure(upstream: _Child, gateway: _Child, scale: float) -> _Round:
    path = "/v1/chat/completions"
    body = chat_body(1024)
    url = gateway.base_url + "/openai" + path
    asyncio.run(_load(url, body, 50, 1))  # warm up
    results = []
    for concurrency, count in ((1, 1500), (32, 3000)):
        total = max(concurrency * 4, int(count * scale))
        direct = asyncio.run(_load(upstream.base_url + path, body, total, concurrency))
        cpu = _cpu_seconds(gateway.pid)
        through = asyncio.run(_load(url, body, total, concurrency))
        cpu_ms = (_cpu_seconds(gateway.pid) - cpu) * 1000 / max(1, len(through.latencies_ms))
        if through.errors:
            raise RuntimeError(f"{through.errors} requests failed through the gateway")
        results.append((through.pct(0.5) - direct.pct(0.5), through.rps, cpu_ms))
    (added, _, cpu_c1), (_, rps, cpu_c32) = results
    return _Round(added, cpu_c1, rps, cpu_c32)


def run_durable_benchmark(*, rounds: int = 3, quick: bool = False) -> int:
    scale = 0.1 if quick else 1.0
    upstream = _Child(["gateway.dev.bench.proxy", "serve-upstream"])
    workdir = Path(tempfile.mkdtemp(prefix="haetae-bench-durable-"))
    measured: dict[str, list[_Round]] = {mode: [] for mode in MODES}
    lines = [
        "| round | opening | c1: added p50 ms | c1: CPU/req ms | c32: gateway rps "
        "| c32: CPU/req ms |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    try:
        n = 0
        for round_number in range(1, rounds + 1):
            for mode in MODES:
                n += 1
                gateway = _start(upstream.base_url, workdir, mode=mode, n=n)
                try:
                    result = _measure(upstream, gateway, scale)
                finally:
                    gateway.stop()
                measured[mode].append(result)
                lines.append(
                    f"| {round_number} | {mode} "
                    f"| {result.added_p50_c1:.2f} | {result.cpu_c1:.2f} | {result.rps_c32:,.0f} "
                    f"| {result.cpu_c32:.2f} |"
                )
                print(lines[-1], file=sys.stderr, flush=True)
    finally:
        upstream.stop()

    def median(mode: str, name: str) -> float:
        return float(statistics.median(getattr(r, name) for r in measured[mode]))

    def row(label: str, name: str, number: str, added: bool, target: str = "") -> str:
        """Medians of ``name``: the baseline's, then each way's beside its difference
        from it (``added``) or its ratio to it."""
        base = median("baseline", name)
        cells = []
        for mode in ("journal", "commit"):
            value = median(mode, name)
            against = f"{value - base:+.2f}" if added else f"×{value / base:.2f}"
            cells.append(f"{value:{number}} ({against})")
        return f"| {label} | {base:{number}} | {cells[0]} | {cells[1]} | {target} |"

    added = median("journal", "added_p50_c1") - median("baseline", "added_p50_c1")
    ratio = median("journal", "rps_c32") / median("baseline", "rps_c32")
    summary = [
        "| median | baseline | journal (shipped) | commit awaited | target (issue 12) |",
        "| --- | ---: | ---: | ---: | --- |",
        row("c1: added p50 ms", "added_p50_c1", ".2f", True,
            f"≤ +0.5 ms: {'met' if added <= 0.5 else 'missed'}"),
        row("c1: CPU/req ms", "cpu_c1", ".2f", False),
        row("c32: gateway rps", "rps_c32", ",.0f", False,
            f"≥ 0.90×: {'met' if ratio >= 0.9 else 'missed'}"),
        row("c32: CPU/req ms", "cpu_c32", ".2f", False),
    ]  # fmt: skip
    print(
        "\n".join(
            [
                f"Durable openings through the gateway — {time.strftime('%Y-%m-%d %H:%M')}, "
                "aiohttp, SQLite, default policy, 1 KB prompts",
                "",
                *lines,
                "",
                *summary,
            ]
        )
    )
    return 0


def _serve_without_waiting(config: Path) -> None:
    """``haetae serve`` whose audit flush returns at once: the baseline, never shipped."""
    from gateway.audit.writer import ThreadedAuditStore
    from gateway.server import run_gateway
    from gateway.settings import load_settings
    from gateway.telemetry import configure_logging

    async def queued_only(
        self: ThreadedAuditStore,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        leaving: bool = False,
    ) -> None:
        self._check_usable()

    ThreadedAuditStore.flush = queued_only  # type: ignore[method-assign]
    settings = load_settings(config)
    configure_logging(settings.log_level, settings.log_format)
    run_gateway(settings)


if __name__ == "__main__":
    _serve_without_waiting(Path(sys.argv[sys.argv.index("--config") + 1]))
