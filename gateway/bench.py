"""``haetae bench``: the gateway's cost, measured against direct calls in one run.

The fake provider and the gateway each run in their own process, as in
production; the load generator (aiohttp) runs in this one. For every prompt
size and concurrency the same requests go straight to the fake provider and
through the gateway, so the table reports what the gateway adds on this machine
today rather than absolute numbers from another day. The gateway's CPU time is
read from /proc for its process only.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson

__all__ = ["run_benchmark"]

ROOT = Path(__file__).resolve().parent.parent
_SENTENCE = (
    "이번 분기 판매 실적을 요약하고 다음 달 마케팅 계획 초안을 작성해 주세요. "
    "Please also list three risks for the launch and how to mitigate them. "
)


def prompt_of(size: int) -> str:
    """Natural mixed Korean/English text of about ``size`` UTF-8 bytes, without PII."""
    text = ""
    while len(text.encode()) < size:
        text += _SENTENCE
    return text.encode()[:size].decode("utf-8", "ignore")


def chat_body(size: int, stream: bool = False) -> bytes:
    return orjson.dumps(
        {
            "model": "gpt-4o-mini",
            "stream": stream,
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": prompt_of(size)},
            ],
        }
    )


@dataclass
class Sample:
    latencies_ms: list[float]
    seconds: float
    errors: int

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _load(url: str, body: bytes, total: int, concurrency: int, ttfb: bool = False) -> Sample:
    latencies: list[float] = []
    errors = 0
    remaining = total
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                began = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    if ttfb:
                        await response.content.readany()
                        latencies.append((time.perf_counter() - began) * 1000)
                        await response.read()
                    else:
                        await response.read()
                        latencies.append((time.perf_counter() - began) * 1000)
                    if response.status != 200:
                        errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Sample(latencies, time.perf_counter() - began, errors)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Child:
    """A server in its own process; it prints its port, then serves until killed."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway.bench", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"benchmark server failed to start: {self.process.stderr.read()}")  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _serve(kind: str, upstream_url: str | None, transport: str | None) -> None:
    import uvicorn

    from gateway.app import build_app
    from gateway.server import uvicorn_config
    from gateway.settings import load_settings
    from gateway.testing import FakeUpstream

    if kind == "upstream":
        app: object = FakeUpstream(record=False)
    else:
        audit = Path(tempfile.mkdtemp(prefix="haetae-bench-")) / "audit.db"
        settings = load_settings(
            environ={},
            overrides={
                "providers.openai.base_url": upstream_url,
                "audit.url": f"sqlite:///{audit}",
                "forward.transport": transport,
                "policy": str(ROOT / "policies" / "default.yaml"),
            },
        )
        app = build_app(settings)
    import socket

    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets created with it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # connections wait in the backlog until uvicorn serves
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn_config(app, "127.0.0.1", 0, "error")).run(sockets=[sock])


def run_benchmark(
    quick: bool = False,
    transports: Sequence[str] = ("httpx", "aiohttp"),
    output: Path | None = None,
) -> int:
    scale = 0.1 if quick else 1.0
    cases = [(1024, 1, 2000), (1024, 32, 4000), (32 * 1024, 1, 500), (32 * 1024, 32, 1000)]
    upstream = _Child("serve", "upstream")
    lines = [
        "| transport | prompt | conc. | direct rps | gateway rps | direct p50 | gateway p50 "
        "| added p50 | direct p99 | gateway p99 | added p99 | gateway CPU/req | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ttfb_lines = [
        "| transport | direct TTFB p50 | gateway TTFB p50 | added p50 | direct p99 | gateway p99 |",
        "|---|---|---|---|---|---|",
    ]
    try:
        for transport in transports:
            gateway = _Child("serve", "gateway", upstream.base_url, transport)
            try:
                lines += _run_cases(cases, scale, transport, upstream, gateway)
                ttfb_lines.append(_ttfb(scale, transport, upstream, gateway))
            finally:
                gateway.stop()
    finally:
        upstream.stop()
    report = "\n".join(
        [
            f"Haetae benchmark — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} CPUs",
            "",
            "Non-streaming chat completions, default policy (scanning on), times in ms:",
            "",
            *lines,
            "",
            "Streaming: time to first byte, concurrency 1, 1 KB prompt:",
            "",
            *ttfb_lines,
        ]
    )
    print(report)
    if output is not None:
        output.write_text(report + "\n", encoding="utf-8")
    return 0


def _run_cases(
    cases: list[tuple[int, int, int]],
    scale: float,
    transport: str,
    upstream: _Child,
    gateway: _Child,
) -> list[str]:
    rows = []
    for size, concurrency, count in cases:
        total = max(concurrency * 4, int(count * scale))
        body = chat_body(size)
        path = "/v1/chat/completions"
        asyncio.run(_load(gateway.base_url + "/openai" + path, body, 50, concurrency))  # warm up
        asyncio.run(_load(upstream.base_url + path, body, 50, concurrency))
        direct = asyncio.run(_load(upstream.base_url + path, body, total, concurrency))
        cpu_before = _cpu_seconds(gateway.pid)
        through = asyncio.run(_load(gateway.base_url + "/openai" + path, body, total, concurrency))
        cpu_ms = (_cpu_seconds(gateway.pid) - cpu_before) * 1000 / max(1, len(through.latencies_ms))
        rows.append(
            f"| {transport} | {size // 1024} KB | {concurrency} | {direct.rps:.0f} | "
            f"{through.rps:.0f} | {direct.pct(0.5):.2f} | {through.pct(0.5):.2f} | "
            f"**{through.pct(0.5) - direct.pct(0.5):.2f}** | {direct.pct(0.99):.2f} | "
            f"{through.pct(0.99):.2f} | **{through.pct(0.99) - direct.pct(0.99):.2f}** | "
            f"{cpu_ms:.2f} | {direct.errors + through.errors} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def _ttfb(scale: float, transport: str, upstream: _Child, gateway: _Child) -> str:
    body = chat_body(1024, stream=True)
    path = "/v1/chat/completions"
    total = max(20, int(500 * scale))
    direct = asyncio.run(_load(upstream.base_url + path, body, total, 1, ttfb=True))
    through = asyncio.run(_load(gateway.base_url + "/openai" + path, body, total, 1, ttfb=True))
    return (
        f"| {transport} | {direct.pct(0.5):.2f} | {through.pct(0.5):.2f} | "
        f"**{through.pct(0.5) - direct.pct(0.5):.2f}** | {direct.pct(0.99):.2f} | "
        f"{through.pct(0.99):.2f} |"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        kind = sys.argv[2]
        _serve(kind, *(sys.argv[3:5] if kind == "gateway" else (None, None)))
    else:
        sys.exit(run_benchmark(quick="--quick" in sys.argv))
