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
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson

__all__ = ["run_benchmark"]

ROOT = Path(__file__).resolve().parents[3]
_SENTENCE = (
    "이번 분기 판매 실적을 요약하고 다음 달 마케팅 계획 초안을 작성해 주세요. "
    "Please also list three risks for the launch and how to mitigate them. "
)


#: how long a child may take to answer /readyz: on a loaded 2-core machine the gateway's
#: start-up (engines, scan workers) took longer than a minute
_READY_SECONDS = float(os.environ.get("HAETAE_BENCH_READY_SECONDS", "180"))


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

    def cells(self, base: Sample) -> str:
        """Markdown cells: requests, p50, p99 and max ms, p50 and p99 × ``base``, errors."""
        worst = max(self.latencies_ms, default=float("nan"))
        return (
            f"{len(self.latencies_ms)} | {self.pct(0.5):.1f} | {self.pct(0.99):.1f} | "
            f"{worst:.1f} | {self.pct(0.5) / base.pct(0.5):.2f} | "
            f"{self.pct(0.99) / base.pct(0.99):.2f} | {self.errors}"
        )


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
    """CPU time of a process and its descendants (uvicorn workers, scan workers), from /proc."""
    from gateway.dev.bench.loopwatch import family

    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


class _Child:
    """A server in its own process, stopped with its workers at the end."""

    def __init__(
        self, command: list[str], base_url: str | None = None, scheme: str = "http"
    ) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", *command],
            stdout=subprocess.PIPE if base_url is None else subprocess.DEVNULL,
            stderr=self._log,
            cwd=ROOT,
            text=True,
        )
        if base_url is None:  # the child prints the port it bound
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            if not line.startswith("PORT "):
                self._fail()
            base_url = f"{scheme}://127.0.0.1:{int(line.split()[1])}"
        self.base_url = base_url
        self._wait_ready()

    def _wait_ready(self) -> None:
        # a child serving HTTPS is a test double with a throwaway certificate
        context = None
        if self.base_url.startswith("https:"):
            context = ssl._create_unverified_context()
        deadline = time.monotonic() + _READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail()
            try:
                with urllib.request.urlopen(
                    self.base_url + "/readyz", timeout=1, context=context
                ) as response:
                    # measured once its scan workers are warm, not while they start
                    if b'"scan_workers":"starting"' not in response.read():
                        return
                    time.sleep(0.1)
            except urllib.error.HTTPError as exc:
                if exc.code != 503:
                    return  # it answers, even if not with a health page (the fake provider)
                time.sleep(0.1)
            except OSError:
                time.sleep(0.1)
        self._fail()

    def _fail(self) -> None:
        self.process.terminate()
        self.process.wait(15)
        self._log.seek(0)
        log = self._log.read().decode()
        self.stop()
        raise RuntimeError(f"benchmark server failed to start:\n{log}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """End the process and close what we held of it (its stdout pipe, its log)."""
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_gateway(upstream_url: str, transport: str, workers: int, workdir: Path) -> _Child:
    """``haetae serve`` exactly as an operator runs it, pointed at the fake provider."""
    port = _free_port()
    config = workdir / f"gateway-{transport}-{workers}.yaml"
    config.write_text(
        orjson.dumps(
            {
                "listen": {"host": "127.0.0.1", "port": port, "workers": workers},
                "policy": str(ROOT / "policies" / "default.yaml"),
                "audit": {"url": f"sqlite:///{workdir}/audit-{transport}-{workers}.db"},
                "forward": {"transport": transport},
                "providers": {"openai": {"base_url": upstream_url}},
                "log_level": "warning",
            }
        ).decode()  # JSON is YAML
    )
    return _Child(
        ["gateway.cli", "serve", "--config", str(config)], base_url=f"http://127.0.0.1:{port}"
    )


def _serve_upstream(tls: Sequence[str] = ()) -> None:
    """The fake provider; ``tls``: its certificate and key files, to serve HTTPS."""
    import uvicorn

    from gateway.dev.testing import FakeUpstream
    from gateway.server import uvicorn_config

    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets created with it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # connections wait in the backlog until uvicorn serves
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    app = FakeUpstream(record=False)
    options = {"ssl_certfile": tls[0], "ssl_keyfile": tls[1]} if tls else {}
    uvicorn.Server(uvicorn_config(app, "127.0.0.1", 0, "error", **options)).run(sockets=[sock])


def run_benchmark(
    quick: bool = False,
    transports: Sequence[str] = ("httpx", "aiohttp"),
    output: Path | None = None,
    workers: int = 1,
) -> int:
    """Print (and optionally write) the tables; ``workers`` > 1 adds an aiohttp run with them."""
    extra_runs = [("aiohttp", workers)] if workers > 1 else []
    scale = 0.1 if quick else 1.0
    cases = [(1024, 1, 2000), (1024, 32, 4000), (32 * 1024, 1, 500), (32 * 1024, 32, 1000)]
    upstream = _Child(["gateway.dev.bench.proxy", "serve-upstream"])
    workdir = Path(tempfile.mkdtemp(prefix="haetae-bench-"))
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
        for transport, workers in [(t, 1) for t in transports] + extra_runs:
            gateway = _start_gateway(upstream.base_url, transport, workers, workdir)
            label = transport if workers == 1 else f"{transport} ×{workers} workers"
            try:
                lines += _run_cases(cases, scale, label, upstream, gateway)
                ttfb_lines.append(_ttfb(scale, label, upstream, gateway))
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
    if sys.argv[1:2] == ["serve-upstream"]:
        _serve_upstream(sys.argv[2:4])
    else:
        sys.exit(run_benchmark(quick="--quick" in sys.argv))
