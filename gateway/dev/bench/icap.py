"""``haetae bench --icap``: ICAP through the real Squid, against Squid alone.

The fake provider and the gateway run in their own processes, Squid in its own
(``gateway.dev.testing.squid``); the client (httpx, kept-alive connections
through the proxy, TLS bumped by Squid with a throwaway CA) sends the same
requests through a Squid that asks Haetae (ICAP) and through one that does not,
in alternating batches so that noise falls on both alike. The added p50 is what
Haetae costs a request behind the company's proxy: the ICAP round trips and
the pipeline (identify, route, extract, detect, decide, audit). Two rows:

- REQMOD only (Squid sends requests; ``icap.answer_wait_seconds: 0``);
- REQMOD and RESPMOD with the default policy, whose answer rule reads each
  answer back through the pipeline before Squid relays it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson

from gateway.dev.bench.forward_proxy import _batch
from gateway.dev.bench.proxy import ROOT, Sample, _Child, _cpu_seconds, _free_port, chat_body
from gateway.dev.testing.ca import issue_certificate, make_ca
from gateway.dev.testing.squid import Squid, find_squid, run_squid

__all__ = ["run_icap_benchmark"]

_URL = "https://api.openai.com/v1/chat/completions"


@contextlib.contextmanager
def _gateway(workdir: Path, upstream_url: str, answer_wait: float) -> Iterator[tuple[int, int]]:
    """A gateway with ICAP on, trusting loopback; yields the ICAP port and its process id."""
    port, icap_port = _free_port(), _free_port()
    config = workdir / f"gateway-icap-{answer_wait:g}.yaml"
    config.write_text(
        orjson.dumps(
            {
                "listen": {"host": "127.0.0.1", "port": port},
                "policy": str(ROOT / "policies" / "default.yaml"),
                "audit": {"url": f"sqlite:///{workdir}/audit-icap-{answer_wait:g}.db"},
                "providers": {"openai": {"base_url": upstream_url}},
                "icap": {
                    "listen": f"127.0.0.1:{icap_port}",
                    "trusted_proxies": ["127.0.0.1/32"],
                    "answer_wait_seconds": answer_wait,
                },
                "log_level": "warning",
            }
        ).decode()
    )
    child = _Child(
        ["gateway.cli", "serve", "--config", str(config)], base_url=f"http://127.0.0.1:{port}"
    )
    try:
        yield icap_port, child.pid
    finally:
        child.stop()


async def _compare(
    alone: Squid, guarded: Squid, ca: Path, size: int, total: int, concurrency: int, pid: int
) -> tuple[Sample, Sample, float]:
    """Both ways's samples, and the gateway's CPU milliseconds per request."""
    verify = ssl.create_default_context(cafile=str(ca))
    body = chat_body(size)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    baseline, icap = Sample([], 0.0, 0), Sample([], 0.0, 0)
    async with (
        httpx.AsyncClient(
            proxy=alone.proxy_url("bench"), verify=verify, limits=limits, timeout=30
        ) as plain,
        httpx.AsyncClient(
            proxy=guarded.proxy_url("bench"), verify=verify, limits=limits, timeout=30
        ) as adapted,
    ):
        targets = [(plain, baseline), (adapted, icap)]
        for client, _ in targets:  # warm up: connections, bumped certificates, caches
            await asyncio.gather(
                *(_batch(client, _URL, body, 10, Sample([], 0, 0)) for _ in range(concurrency))
            )
        per_batch = 25
        cpu_before = _cpu_seconds(pid)  # only the Haetae side uses the gateway
        for _ in range(max(1, total // (per_batch * concurrency))):
            for client, sample in targets:
                began = time.perf_counter()
                await asyncio.gather(
                    *(_batch(client, _URL, body, per_batch, sample) for _ in range(concurrency))
                )
                sample.seconds += time.perf_counter() - began
        cpu_ms = (_cpu_seconds(pid) - cpu_before) * 1000 / max(1, len(icap.latencies_ms))
    return baseline, icap, cpu_ms


def _row(
    label: str, size: int, concurrency: int, alone: Sample, icap: Sample, cpu_ms: float
) -> str:
    added50, added99 = icap.pct(0.5) - alone.pct(0.5), icap.pct(0.99) - alone.pct(0.99)
    return (
        f"| {label} | {size // 1024} KB | {concurrency} | {len(icap.latencies_ms)} | "
        f"{alone.pct(0.5):.2f} | {icap.pct(0.5):.2f} | **{added50:.2f}** | "
        f"{icap.pct(0.5) / alone.pct(0.5):.2f} | {alone.pct(0.99):.2f} | {icap.pct(0.99):.2f} | "
        f"**{added99:.2f}** | {icap.pct(0.99) / alone.pct(0.99):.2f} | {cpu_ms:.2f} | "
        f"{alone.errors + icap.errors} |"
    )


def run_icap_benchmark(quick: bool = False, output: Path | None = None) -> int:
    if find_squid() is None:
        print("squid (Debian package squid-openssl) is not installed: make system-packages")
        return 1
    scale = 0.05 if quick else 1.0
    workdir = Path(tempfile.mkdtemp(prefix="haetae-bench-icap-"))
    ca, ca_key = make_ca(workdir / "ca")
    lines = [
        "| ICAP | prompt | conc. | requests | Squid p50 | +Haetae p50 | added p50 | × p50 "
        "| Squid p99 | +Haetae p99 | added p99 | × p99 | Haetae CPU/req | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    # Squid sends a bumped request on over TLS only: the fake provider speaks it
    cert, key = issue_certificate(ca, ca_key, "127.0.0.1", workdir / "provider")
    command = ["gateway.dev.bench.proxy", "serve-upstream", str(cert), str(key)]
    upstream = _Child(command, scheme="https")
    upstream_port = int(upstream.base_url.rsplit(":", 1)[1])
    try:
        squid = run_squid(ca, ca_key, upstream_port)
        with squid as alone:
            for label, respmod, wait in [("REQMOD", False, 0.0), ("REQMOD+RESPMOD", True, 60.0)]:
                with (
                    _gateway(workdir, upstream.base_url, wait) as (icap_port, pid),
                    run_squid(ca, ca_key, upstream_port, icap_port, respmod=respmod) as guarded,
                ):
                    for size, concurrency, count in [(1024, 1, 1000), (1024, 8, 2000)]:
                        total = max(25 * concurrency, int(count * scale))
                        baseline, icap, cpu_ms = asyncio.run(
                            _compare(alone, guarded, ca, size, total, concurrency, pid)
                        )
                        lines.append(_row(label, size, concurrency, baseline, icap, cpu_ms))
    finally:
        upstream.stop()
    report = "\n".join(
        [
            f"Haetae behind Squid (ICAP) — {time.strftime('%Y-%m-%d %H:%M')} — "
            f"{os.cpu_count()} CPUs",
            "",
            "Non-streaming chat completions through Squid 5 (ssl-bump, kept-alive client "
            "connections), default policy; Squid alone against Squid asking Haetae (ms; "
            "Haetae CPU/req: the gateway process's CPU time per request, which other load "
            "on the machine does not inflate):",
            "",
            *lines,
        ]
    )
    print(report)
    if output is not None:
        output.write_text(report + "\n", encoding="utf-8")
    return 0
