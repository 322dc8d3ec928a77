"""``haetae bench --hostile``: what well-behaved clients see while one upstream stream misbehaves.

A well-behaved provider (``openai``), a hostile one (``mistral``, served by
``gateway.dev.testing.hostile_upstream``) and the gateway (``haetae serve``, a
policy that pseudonymizes e-mail addresses, so every answer goes through
restoration) run in their own processes, so the providers' own work does not
show up as the gateway's. Well-behaved clients send streamed chat completions
that carry an e-mail address, first alone (the baseline), then while one
hostile stream of N MB is being served to another client on the same gateway.
Both phases are measured in the same run, so the table's ratios compare like
with like on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson

from gateway.dev.bench.proxy import Sample, _Child, _free_port

__all__ = ["run_hostile_benchmark"]

POLICY = """\
policy: bench-hostile
default_language: en
rules:
  - {id: pseudo-mail, when: {entities: [EMAIL_ADDRESS]}, action: pseudonymize}
"""
PATH = "/openai/v1/chat/completions"
HOSTILE_PATH = "/mistral/v1/chat/completions"
_HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-bench"}


def _body(text: str) -> bytes:
    return orjson.dumps(
        {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": text}]}
    )


GOOD = _body("Please write to kim.minsu@example.com about the launch plan and its risks.")
HOSTILE = _body("Summarise the thread with lee.jiwoo@example.com for me.")


@dataclass
class HostileOutcome:
    seconds: float
    bytes_received: int
    ended_with: str  # what the hostile client saw at the end


async def _good_clients(
    url: str, clients: int, until: asyncio.Future[HostileOutcome] | None, minimum: float
) -> Sample:
    """Streamed requests from ``clients`` loops until ``until`` is done (and ``minimum`` s)."""
    latencies: list[float] = []
    errors = 0
    began = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def loop() -> None:
            nonlocal errors
            sent = 0
            while True:
                elapsed = time.perf_counter() - began
                if sent and elapsed >= minimum and (until is None or until.done()):
                    return
                sent += 1
                start = time.perf_counter()
                try:
                    async with session.post(url, data=GOOD, headers=_HEADERS) as response:
                        body = await response.read()
                        if response.status != 200 or b"kim.minsu@example.com" not in body:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append((time.perf_counter() - start) * 1000)

        await asyncio.gather(*(loop() for _ in range(clients)))
    return Sample(latencies, time.perf_counter() - began, errors)


async def _hostile_client(url: str, mode: str, size: int) -> HostileOutcome:
    headers = {**_HEADERS, "x-hostile": mode, "x-hostile-bytes": str(size)}
    began = time.perf_counter()
    received = 0
    tail = b""
    timeout = aiohttp.ClientTimeout(total=1800)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        try:
            async with session.post(url, data=HOSTILE, headers=headers) as response:
                async for chunk in response.content.iter_any():
                    received += len(chunk)
                    tail = (tail + chunk)[-600:]
            ended = "error event" if b'"error"' in tail else f"{response.status}, end of body"
        except aiohttp.ClientError as exc:
            ended = f"connection error ({type(exc).__name__})"
    return HostileOutcome(time.perf_counter() - began, received, ended)


async def _under_attack(
    url: str, hostile_url: str, mode: str, size: int, clients: int
) -> tuple[Sample, HostileOutcome]:
    hostile = asyncio.ensure_future(_hostile_client(hostile_url, mode, size))
    await asyncio.sleep(0.05)  # the hostile stream is open before the others start
    # Only requests sent while the hostile stream is open count (at least one per client).
    good = await _good_clients(url, clients, hostile, 0.0)
    return good, await hostile


def _start_gateway(
    upstream_url: str, hostile_url: str, workdir: Path, max_event_bytes: int | None
) -> _Child:
    port = _free_port()
    forward = {} if max_event_bytes is None else {"max_event_bytes": max_event_bytes}
    policy = workdir / "policy.yaml"
    policy.write_text(POLICY)
    config = workdir / "gateway.yaml"
    config.write_text(
        orjson.dumps(
            {
                "listen": {"host": "127.0.0.1", "port": port},
                "policy": str(policy),
                "audit": {"url": f"sqlite:///{workdir}/audit.db"},
                "providers": {
                    "openai": {"base_url": upstream_url},
                    "mistral": {"base_url": hostile_url},
                },
                "log_level": "error",
                **({"forward": forward} if forward else {}),
            }
        ).decode()
    )
    os.environ.setdefault("HAETAE_PSEUDONYM_KEY", "bench-" + "k" * 32)
    return _Child(
        ["gateway.cli", "serve", "--config", str(config)], base_url=f"http://127.0.0.1:{port}"
    )


def _serve_upstream() -> None:
    import socket

    import uvicorn

    from gateway.dev.testing.fake_upstream import FakeUpstream
    from gateway.dev.testing.hostile_upstream import HostileUpstream
    from gateway.server import uvicorn_config

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    app = HostileUpstream(FakeUpstream(record=False))
    uvicorn.Server(uvicorn_config(app, "127.0.0.1", 0, "error")).run(sockets=[sock])


def run_hostile_benchmark(
    megabytes: float = 20.0,
    modes: tuple[str, ...] = ("endless", "giant"),
    clients: int = 4,
    baseline_seconds: float = 5.0,
    output: Path | None = None,
    max_event_bytes: int | None = None,
) -> int:
    """Print (and optionally write) the table; the baseline is measured in the same run."""
    size = int(megabytes * 1024 * 1024)
    upstream = _Child(["gateway.dev.bench.hostile", "serve-upstream"])
    attacker = _Child(["gateway.dev.bench.hostile", "serve-upstream"])
    workdir = Path(tempfile.mkdtemp(prefix="haetae-bench-hostile-"))
    gateway = _start_gateway(upstream.base_url, attacker.base_url, workdir, max_event_bytes)
    url, hostile_url = gateway.base_url + PATH, gateway.base_url + HOSTILE_PATH
    rows = []
    try:
        asyncio.run(_good_clients(url, clients, None, 1.0))  # warm up
        base = asyncio.run(_good_clients(url, clients, None, baseline_seconds))
        rows.append(_row("baseline (no hostile stream)", base, base, None))
        for mode in modes:
            good, outcome = asyncio.run(_under_attack(url, hostile_url, mode, size, clients))
            rows.append(_row(f"while one `{mode}` stream of {megabytes:g} MB", good, base, outcome))
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        gateway.stop()
        upstream.stop()
        attacker.stop()
    report = "\n".join(
        [
            f"Haetae hostile-upstream benchmark — {time.strftime('%Y-%m-%d %H:%M')} — "
            f"{os.cpu_count()} CPUs — {clients} well-behaved streaming clients, "
            "pseudonymizing policy, forward.max_event_bytes: "
            f"{'default' if max_event_bytes is None else max_event_bytes}",
            "",
            "| well-behaved clients | requests | p50 ms | p99 ms | max ms | p50 × base "
            "| p99 × base | errors | hostile stream: seconds, bytes relayed, end |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(report)
    if output is not None:
        output.write_text(report + "\n", encoding="utf-8")
    return 0


def _row(label: str, sample: Sample, base: Sample, outcome: HostileOutcome | None) -> str:
    hostile = "—"
    if outcome is not None:
        hostile = (
            f"{outcome.seconds:.1f} s, {outcome.bytes_received / 1e6:.2f} MB, {outcome.ended_with}"
        )
    return f"| {label} | {sample.cells(base)} | {hostile} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.dev.bench.hostile", description=__doc__
    )
    parser.add_argument("--mb", type=float, default=20.0, help="size of the hostile stream")
    parser.add_argument("--modes", default="endless,giant", help="endless, giant (comma list)")
    parser.add_argument("--clients", type=int, default=4, help="well-behaved clients")
    parser.add_argument("--seconds", type=float, default=5.0, help="minimum time per phase")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    parser.add_argument(
        "--max-event-bytes",
        type=int,
        help="the gateway's forward.max_event_bytes (default: its own)",
    )
    args = parser.parse_args(argv)
    return run_hostile_benchmark(
        args.mb,
        tuple(args.modes.split(",")),
        args.clients,
        args.seconds,
        args.output,
        args.max_event_bytes,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve-upstream"]:
        _serve_upstream()
    else:
        sys.exit(main())
