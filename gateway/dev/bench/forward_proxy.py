"""``haetae bench --forward-proxy``: the forward proxy against the base-URL reverse proxy.

One gateway process serves both ways in; the same client (httpx, kept-alive
connections) sends the same requests to ``/openai/v1/...`` and, through the
proxy, to ``https://api.openai.com/v1/...``, in alternating batches so that
noise from other work on the machine falls on both alike. The added p50 is
the interception's cost per request (TLS inside, the host lookup, the rewrite).
A second table times new connections: CONNECT plus the TLS handshake with a
cached certificate, with a freshly minted one, and the minting alone.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from gateway.dev.bench.proxy import ROOT, Sample, _Child, _free_port, chat_body
from gateway.dev.testing.ca import make_ca
from gateway.proxy.certificates import CompanyCA, LeafContexts

__all__ = ["run_forward_proxy_benchmark"]

_PATH = "/v1/chat/completions"


def _start_gateway(upstream_url: str, workdir: Path) -> tuple[_Child, int, Path]:
    port, proxy_port = _free_port(), _free_port()
    cert, key = make_ca(workdir / "ca")
    config = workdir / "gateway-forward-proxy.yaml"
    config.write_text(
        orjson.dumps(
            {
                "listen": {"host": "127.0.0.1", "port": port},
                "policy": str(ROOT / "policies" / "default.yaml"),
                "audit": {"url": f"sqlite:///{workdir}/audit-forward-proxy.db"},
                "providers": {
                    "openai": {"base_url": upstream_url},
                    "azure-openai": {"base_url": upstream_url},
                },
                "proxy": {
                    "listen": f"127.0.0.1:{proxy_port}",
                    "ca_cert": str(cert),
                    "ca_key": str(key),
                },
                "log_level": "warning",
            }
        ).decode()
    )
    child = _Child(
        ["gateway.cli", "serve", "--config", str(config)], base_url=f"http://127.0.0.1:{port}"
    )
    return child, proxy_port, cert


async def _batch(client: httpx.AsyncClient, url: str, body: bytes, count: int, out: Sample) -> None:
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}
    for _ in range(count):
        began = time.perf_counter()
        response = await client.post(url, content=body, headers=headers)
        out.latencies_ms.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            out.errors += 1


async def _compare(
    gateway: str, proxy_port: int, ca: Path, size: int, total: int, concurrency: int
) -> tuple[Sample, Sample]:
    verify = ssl.create_default_context(cafile=str(ca))
    body = chat_body(size)
    reverse, forward = Sample([], 0.0, 0), Sample([], 0.0, 0)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with (
        httpx.AsyncClient(limits=limits, timeout=30) as direct,
        httpx.AsyncClient(
            proxy=f"http://127.0.0.1:{proxy_port}", verify=verify, limits=limits, timeout=30
        ) as proxied,
    ):
        targets = [
            (direct, gateway + "/openai" + _PATH, reverse),
            (proxied, "https://api.openai.com" + _PATH, forward),
        ]
        for client, url, _ in targets:  # warm up: connections, certificates, caches
            await asyncio.gather(*(_batch(client, url, body, 20, Sample([], 0, 0))
                                   for _ in range(concurrency)))  # fmt: skip
        per_batch = 25
        for _ in range(max(1, total // (per_batch * concurrency))):
            for client, url, sample in targets:
                began = time.perf_counter()
                await asyncio.gather(
                    *(_batch(client, url, body, per_batch, sample) for _ in range(concurrency))
                )
                sample.seconds += time.perf_counter() - began
    return reverse, forward


def _handshakes(proxy_port: int, ca: Path, hosts: list[str]) -> list[float]:
    """Milliseconds for each: TCP connect, CONNECT, and the TLS handshake to completion."""
    context = ssl.create_default_context(cafile=str(ca))
    times = []
    for host in hosts:
        began = time.perf_counter()
        with socket.create_connection(("127.0.0.1", proxy_port), timeout=10) as sock:
            sock.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(1024)
            assert head.startswith(b"HTTP/1.1 200"), head
            with context.wrap_socket(sock, server_hostname=host):
                times.append((time.perf_counter() - began) * 1000)
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_forward_proxy_benchmark(quick: bool = False, output: Path | None = None) -> int:
    scale = 0.1 if quick else 1.0
    workdir = Path(tempfile.mkdtemp(prefix="haetae-bench-proxy-"))
    upstream = _Child(["gateway.dev.bench.proxy", "serve-upstream"])
    lines = [
        "| prompt | conc. | requests | reverse p50 | forward p50 | added p50 | reverse p99 "
        "| forward p99 | added p99 | reverse rps | forward rps | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    try:
        gateway, proxy_port, ca = _start_gateway(upstream.base_url, workdir)
        try:
            for size, concurrency, count in [(1024, 1, 2000), (1024, 8, 4000), (32768, 1, 500)]:
                total = max(50 * concurrency, int(count * scale))
                reverse, forward = asyncio.run(
                    _compare(gateway.base_url, proxy_port, ca, size, total, concurrency)
                )
                lines.append(
                    f"| {size // 1024} KB | {concurrency} | {len(forward.latencies_ms)} | "
                    f"{reverse.pct(0.5):.2f} | {forward.pct(0.5):.2f} | "
                    f"**{forward.pct(0.5) - reverse.pct(0.5):.2f}** | {reverse.pct(0.99):.2f} | "
                    f"{forward.pct(0.99):.2f} | **{forward.pct(0.99) - reverse.pct(0.99):.2f}** | "
                    f"{reverse.rps:.0f} | {forward.rps:.0f} | {reverse.errors + forward.errors} |"
                )
            connections = max(20, int(300 * scale))
            cached = _handshakes(proxy_port, ca, ["api.openai.com"] * connections)
            minted = _handshakes(
                proxy_port, ca, [f"r{i}-{os.getpid()}.openai.azure.com" for i in range(connections)]
            )
        finally:
            gateway.stop()
    finally:
        upstream.stop()
    leaves = LeafContexts(CompanyCA.from_files(ca, ca.with_name("ca-key.pem")))
    began = time.perf_counter()
    for i in range(connections):
        leaves.context_for(f"m{i}.example")
    mint_ms = (time.perf_counter() - began) * 1000 / connections
    report = "\n".join(
        [
            f"Haetae forward proxy — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} CPUs",
            "",
            "Non-streaming chat completions, default policy, one kept-alive connection per "
            "client; reverse = base URL, forward = HTTPS_PROXY with TLS interception (ms):",
            "",
            *lines,
            "",
            "New connections through the proxy (TCP + CONNECT + TLS 1.3 handshake, client "
            f"included), {connections} each, ms:",
            "",
            "| connection | p50 | p99 |",
            "|---|---|---|",
            f"| cached certificate | {_pct(cached, 0.5):.2f} | {_pct(cached, 0.99):.2f} |",
            f"| new host: certificate minted | {_pct(minted, 0.5):.2f} | "
            f"{_pct(minted, 0.99):.2f} |",
            f"| minting alone (in process, mean) | {mint_ms:.2f} | |",
            "",
            "(leaf certificates valid 24 h, EC P-256 leaf key and CA)",
        ]
    )
    print(report)
    if output is not None:
        output.write_text(report + "\n", encoding="utf-8")
    return 0
