"""``haetae bench --durable``: what waiting for the opening's commit costs, through the gateway.

A forwarded request waits for its opening record to be committed before it
leaves (docs/audit.md, two records). The baseline is the same gateway, same
settings, whose flush returns at once: records are queued and committed in the
background, which is all a forwarded request paid before issue 12. The two run
alternately, several rounds, in one run, so the shared machine's load falls on
both; the table gives each round and the medians, and the issue's targets:
added p50 at concurrency 1 (≤ 0.5 ms) and throughput at concurrency 32 (within
10 % of the baseline).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from gateway.dev.bench.proxy import ROOT, _Child, _cpu_seconds, _free_port, _load, chat_body

__all__ = ["run_durable_benchmark"]


@dataclass
class _Round:
    added_p50_c1: float  # ms over the direct call
    cpu_c1: float  # gateway CPU ms per request
    rps_c32: float
    cpu_c32: float


def _start(upstream_url: str, workdir: Path, *, awaited: bool, n: int) -> _Child:
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
                },
                "forward": {"transport": "aiohttp"},
                "providers": {"openai": {"base_url": upstream_url}},
                "log_level": "warning",
            }
        ).decode()
    )
    command = ["gateway.cli", "serve"] if awaited else ["gateway.dev.bench.durable"]
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
    measured: dict[bool, list[_Round]] = {True: [], False: []}
    lines = [
        "| round | opening | c1: added p50 ms | c1: CPU/req ms | c32: gateway rps "
        "| c32: CPU/req ms |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    try:
        n = 0
        for round_number in range(1, rounds + 1):
            for awaited in (False, True):
                n += 1
                gateway = _start(upstream.base_url, workdir, awaited=awaited, n=n)
                try:
                    result = _measure(upstream, gateway, scale)
                finally:
                    gateway.stop()
                measured[awaited].append(result)
                lines.append(
                    f"| {round_number} | {'awaited' if awaited else 'not awaited (baseline)'} "
                    f"| {result.added_p50_c1:.2f} | {result.cpu_c1:.2f} | {result.rps_c32:,.0f} "
                    f"| {result.cpu_c32:.2f} |"
                )
                print(lines[-1], file=sys.stderr, flush=True)
    finally:
        upstream.stop()

    def median(awaited: bool, name: str) -> float:
        return float(statistics.median(getattr(r, name) for r in measured[awaited]))

    added = median(True, "added_p50_c1") - median(False, "added_p50_c1")
    ratio = median(True, "rps_c32") / median(False, "rps_c32")
    print(
        "\n".join(
            [
                f"Durable openings through the gateway — {time.strftime('%Y-%m-%d %H:%M')}, "
                "aiohttp, SQLite, default policy, 1 KB prompts",
                "",
                *lines,
                "",
                "| median | baseline | awaited | difference | target |",
                "| --- | ---: | ---: | ---: | --- |",
                f"| c1: added p50 ms | {median(False, 'added_p50_c1'):.2f} "
                f"| {median(True, 'added_p50_c1'):.2f} | {added:+.2f} ms | ≤ +0.5 ms: "
                f"{'met' if added <= 0.5 else 'missed'} |",
                f"| c32: gateway rps | {median(False, 'rps_c32'):,.0f} "
                f"| {median(True, 'rps_c32'):,.0f} | {ratio:.2f}× | ≥ 0.90×: "
                f"{'met' if ratio >= 0.9 else 'missed'} |",
                f"| c32: CPU/req ms | {median(False, 'cpu_c32'):.2f} "
                f"| {median(True, 'cpu_c32'):.2f} "
                f"| {median(True, 'cpu_c32') / median(False, 'cpu_c32'):.2f}× | |",
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

    async def queued_only(self: ThreadedAuditStore, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        self._check_usable()

    ThreadedAuditStore.flush = queued_only  # type: ignore[method-assign]
    settings = load_settings(config)
    configure_logging(settings.log_level, settings.log_format)
    run_gateway(settings)


if __name__ == "__main__":
    _serve_without_waiting(Path(sys.argv[sys.argv.index("--config") + 1]))
