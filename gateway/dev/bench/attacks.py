"""``haetae bench --attacks``: what other clients see while an attacker sends crafted input.

One row per input of issue 10 §5: a crafted Azure connection string, a marking word
repeated thousands of times, megabytes of digits and separators, half a million tiny
content parts and a deeply nested body; and large bodies within every limit, which
are read, scanned and forwarded (a prompt whose e-mail address is pseudonymized,
megabytes of audio), and a gzip body. A fake provider and the gateway (``haetae
serve``, a policy that blocks markings, secrets and identifiers and pseudonymizes
contacts, as the shipped ones do) run in their own processes. Four well-behaved
clients send small chat completions, first alone (the baseline), then while two
attackers send one crafted input over and over; only requests sent while an attack
runs count, and the ratios compare them with the baseline of the same run.

The gateway runs under ``gateway.dev.bench.loopwatch``: each row also gives the longest
time its event loop could not run (max and p99 of the gaps of a 1 ms ticker: the
gateway's own work and the machine's load together), the loop thread's CPU time per
event-loop callback (max and p99, and how many callbacks took over 10 ms: what the
gateway itself held the loop for, whatever the load), the longest wait inside one
callback (for the GIL or a core), the loop thread's waiting summed over the phase, inside
callbacks and for a core (Linux's run-queue time over the phase: waiting inside callbacks
beyond it was for the GIL, a lower bound), the gateway process's peak resident memory
during the phase, and, below the table, the heaviest callbacks and where the loop was when it
stalled for more than 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import io
import os
import random
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiohttp
import orjson

from gateway.dev.bench import loopwatch
from gateway.dev.bench.hostile import _good_clients
from gateway.dev.bench.proxy import Sample, _Child, _free_port

__all__ = ["ATTACKS", "run_attack_benchmark"]

POLICY = """\
policy: bench-attacks
default_language: en
rules:
  - {id: markings, when: {entities: [CONFIDENTIAL_MARKER]}, action: block}
  - id: secrets
    when: {entities: [SECRET_AZURE_CONNECTION_STRING, SECRET_AWS_ACCESS_KEY]}
    action: block
  - {id: identifiers, when: {entities: [KR_RRN, CREDIT_CARD]}, action: block}
  - {id: contacts, when: {entities: [EMAIL_ADDRESS, PHONE_NUMBER]}, action: pseudonymize}
"""
PATH = "/openai/v1/chat/completions"
_HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-bench"}


def _chat(content: object) -> bytes:
    return orjson.dumps(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]}
    )


def azure(_: float) -> bytes:
    """16,000 characters of connection-string parts with a key name and no key."""
    return _chat("Endpoint=x;" * 1450 + "AccountKey=")


def markings(_: float) -> bytes:
    """``대외비 `` written 4,000 times on one line."""
    return _chat("대외비 " * 4000)


def digits(megabytes: float) -> bytes:
    """Groups of 2-4 digits joined by ordinary and unusual separators."""
    rng = random.Random(20261207)
    separators = [" ", "-", ".", "  ", "\t", " - ", "\n"]
    parts: list[str] = []
    size = 0
    target = int(megabytes * 1_000_000)
    while size < target:
        group = str(rng.randrange(10, 10_000)) + rng.choice(separators)
        parts.append(group)
        size += len(group)
    return _chat("".join(parts))


def parts(_: float) -> bytes:
    """500,000 one-letter text parts in one message."""
    return _chat([{"type": "text", "text": "a"}] * 500_000)


def allowed_parts(_: float) -> bytes:
    """60,000 content parts of 12 digits each: under every limit, so scanned in full."""
    rng = random.Random(20261207)
    return _chat([{"type": "text", "text": f"{rng.randrange(10**12):012d}"} for _ in range(60_000)])


def large_prompt(_: float) -> bytes:
    """A 1.5 MB Korean prompt (600,000 characters) with an e-mail address at its end:
    within every limit, scanned, the address pseudonymized, written out again, forwarded."""
    prose = "분기 보고서는 매출과 채용, 출시 계획을 다룹니다. "
    return _chat(prose * 22_000 + " kim.minsu@example.com 으로 보내 주세요")


def audio(megabytes: float) -> bytes:
    """A prompt with N MB of recorded audio (base64): within every limit, forwarded."""
    data = base64.b64encode(random.Random(20261207).randbytes(int(megabytes * 750_000)))
    part = {"type": "input_audio", "input_audio": {"data": data.decode(), "format": "wav"}}
    return _chat([{"type": "text", "text": "Transcribe this."}, part])


def gzipped_digits(megabytes: float) -> bytes:
    """The digits body, gzip-compressed (sent with ``content-encoding: gzip``)."""
    return gzip.compress(digits(megabytes), 6)


def nested(_: float) -> bytes:
    """A metadata value nested 1,000 levels deep (orjson reads up to 1,024)."""
    return b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":' + (
        b'{"a":' * 1000 + b'"x"' + b"}" * 1000 + b"}"
    )


ATTACKS: dict[str, tuple[str, Callable[[float], bytes]]] = {
    "azure": ("crafted Azure connection string, 16,000 chars", azure),
    "markings": ("`대외비 ` × 4,000", markings),
    "digits": ("{mb:g} MB of digits and separators", digits),
    "parts": ("500,000 tiny content parts", parts),
    "allowed-parts": ("60,000 content parts of 12 digits (within every limit)", allowed_parts),
    "nested": ("body nested 1,000 levels", nested),
    "large-prompt": (
        "1.5 MB Korean prompt, an e-mail pseudonymized (within every limit)",
        large_prompt,
    ),
    "audio": ("{mb:g} MB of audio in base64 (within every limit)", audio),
    "gzip": ("{mb:g} MB of digits, gzip-compressed", gzipped_digits),
}
#: inputs sent with a Content-Encoding
_ENCODED = {"gzip": "gzip"}


@dataclass
class AttackOutcome:
    seconds: list[float]
    statuses: dict[int, int]


async def _attacker(
    url: str, body: bytes, minimum: float, limit: float, headers: dict[str, str]
) -> AttackOutcome:
    """Send ``body`` again and again for ``minimum`` seconds (at least once)."""
    seconds: list[float] = []
    statuses: dict[int, int] = {}
    began = time.perf_counter()
    client_timeout = aiohttp.ClientTimeout(total=limit)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        while not seconds or time.perf_counter() - began < minimum:
            start = time.perf_counter()
            try:
                async with session.post(url, data=io.BytesIO(body), headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0  # timed out or the connection broke
            seconds.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
    return AttackOutcome(seconds, statuses)


async def _under_attack(
    url: str,
    body: bytes,
    attackers: int,
    minimum: float,
    limit: float,
    encoding: str | None = None,
) -> tuple[Sample, AttackOutcome]:
    headers = _HEADERS | ({"content-encoding": encoding} if encoding else {})
    attack = asyncio.gather(
        *(_attacker(url, body, minimum, limit, headers) for _ in range(attackers))
    )
    await asyncio.sleep(0.05)  # the attack is under way before the others start
    # _good_clients only asks the future whether it is done
    good = await _good_clients(url, 4, cast("asyncio.Future[Any]", attack), 0.0)
    outcomes = await attack
    seconds = [s for outcome in outcomes for s in outcome.seconds]
    statuses: dict[int, int] = {}
    for outcome in outcomes:
        for status, count in outcome.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return good, AttackOutcome(seconds, statuses)


def _start_gateway(upstream_url: str, workdir: Path, loop: str = "asyncio") -> _Child:
    port = _free_port()
    policy = workdir / "policy.yaml"
    policy.write_text(POLICY)
    config = workdir / "gateway.yaml"
    config.write_text(
        orjson.dumps(
            {
                "listen": {"host": "127.0.0.1", "port": port},
                "policy": str(policy),
                "audit": {"url": f"sqlite:///{workdir}/audit.db"},
                "providers": {"openai": {"base_url": upstream_url}},
                "log_level": "error",
            }
        ).decode()
    )
    os.environ.setdefault("HAETAE_PSEUDONYM_KEY", "bench-" + "k" * 32)
    return _Child(
        ["gateway.dev.bench.loopwatch", "--config", str(config), "--loop", loop],
        base_url=f"http://127.0.0.1:{port}",
    )


def _watch(base_url: str) -> dict[str, Any]:
    """The gateway's loop stalls and peak memory since the last call (and a reset)."""
    with urllib.request.urlopen(base_url + loopwatch.PATH, timeout=30) as response:
        report: dict[str, Any] = orjson.loads(response.read())
    return report


def run_attack_benchmark(
    names: tuple[str, ...] = tuple(ATTACKS),
    megabytes: float = 10.0,
    attackers: int = 2,
    seconds: float = 5.0,
    timeout: float = 180.0,
    output: Path | None = None,
    loop: str = "asyncio",
) -> int:
    """Print (and optionally write) the table; the baseline is measured in the same run.

    ``loop``: the gateway's event loop; the CPU per callback is measured on ``asyncio``
    only (uvloop, as ``haetae serve`` runs, gives the wall-clock columns alone).
    """
    upstream = _Child(["gateway.dev.bench.hostile", "serve-upstream"])
    workdir = Path(tempfile.mkdtemp(prefix="haetae-bench-attacks-"))
    gateway = _start_gateway(upstream.base_url, workdir, loop)
    url = gateway.base_url + PATH
    rows = []
    places: list[str] = []
    try:
        asyncio.run(_good_clients(url, 4, None, 1.0))  # warm up
        _watch(gateway.base_url)
        base = asyncio.run(_good_clients(url, 4, None, seconds))
        watched = _watch(gateway.base_url)
        rows.append(_row("baseline (no attacker)", base, base, None, watched))
        places.extend(_places("baseline", watched))
        for name in names:
            label, build = ATTACKS[name]
            body = build(megabytes)
            good, outcome = asyncio.run(
                _under_attack(url, body, attackers, seconds, timeout, _ENCODED.get(name))
            )
            watched = _watch(gateway.base_url)
            rows.append(_row(label.format(mb=megabytes), good, base, outcome, watched))
            places.extend(_places(name, watched))
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        gateway.stop()
        upstream.stop()
    report = "\n".join(
        [
            f"Haetae attack benchmark — {time.strftime('%Y-%m-%d %H:%M')} — "
            f"{os.cpu_count()} CPUs, load average {_load()} — {loop} loop — "
            f"4 well-behaved clients, {attackers} attackers",
            "",
            "| input | requests | p50 ms | p99 ms | max ms | p50 × base | p99 × base "
            "| errors | loop stall max / p99 ms | loop CPU per callback max / p99 ms "
            "| callbacks > 10 ms CPU | wait in a callback max ms "
            "| loop thread waiting s: in callbacks / for a core "
            "| peak RSS MB: gateway + workers "
            "| attacker: requests, median s, max s, statuses |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Heaviest callbacks (loop-thread CPU, wall) and where the loop was during "
            "stalls over 5 ms (samples every 2 ms):",
            "",
            *(places or ["- none"]),
        ]
    )
    print(report)
    if output is not None:
        output.write_text(report + "\n", encoding="utf-8")
    return 0


def _row(
    label: str,
    sample: Sample,
    base: Sample,
    outcome: AttackOutcome | None,
    watched: dict[str, Any],
) -> str:
    attack = "—"
    if outcome is not None:
        times = sorted(outcome.seconds)
        statuses = ", ".join(
            f"{count}× {status or 'timeout'}" for status, count in sorted(outcome.statuses.items())
        )
        attack = f"{len(times)}, {times[len(times) // 2]:.2f}, {times[-1]:.2f}, {statuses}"
    nan = float("nan")
    stall = f"{watched.get('max_ms', nan):.1f} / {watched.get('p99_ms', nan):.1f}"
    clock = watched.get("callbacks", {})
    cpu = f"{clock.get('cpu_max_ms', nan):.1f} / {clock.get('cpu_p99_ms', nan):.2f}"
    over = str(clock.get("cpu_over_10ms", "—"))
    wait = f"{clock.get('wait_max_ms', nan):.1f}"
    # in callbacks: for the GIL or a core; for a core: the OS's share (whole phase)
    waiting = f"{clock.get('wait_total_s', nan):.2f} / {clock.get('run_queue_s', nan):.2f}"
    memory = (
        f"{watched.get('peak_rss_mb', 0.0):.0f} + {watched.get('workers_peak_rss_mb', 0.0):.0f}"
    )
    return (
        f"| {label} | {sample.cells(base)} | {stall} | {cpu} | {over} | {wait} | {waiting} "
        f"| {memory} | {attack} |"
    )


def _places(name: str, watched: dict[str, Any]) -> list[str]:
    heaviest = [
        f"- {name}: callback {heavy['cpu_ms']:.1f} ms CPU ({heavy['wall_ms']:.1f} wall): "
        f"{heavy['callback']}" + "".join(f"; {count}× {place}" for place, count in heavy["places"])
        for heavy in watched.get("callbacks", {}).get("heaviest", [])[:3]
    ]
    stalls = [f"- {name}: {count}× {place}" for place, count in watched.get("places", [])]
    return heaviest + stalls


def _load() -> str:
    try:
        return " ".join(f"{load:.1f}" for load in os.getloadavg())
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.dev.bench.attacks", description=__doc__
    )
    parser.add_argument("--attacks", default=",".join(ATTACKS), help="comma list of inputs")
    parser.add_argument("--mb", type=float, default=10.0, help="size of the digits prompt")
    parser.add_argument("--attackers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0, help="minimum time per phase")
    parser.add_argument("--timeout", type=float, default=180.0, help="per attacker request")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    parser.add_argument(
        "--loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="the gateway's loop: asyncio also measures CPU per callback",
    )
    args = parser.parse_args(argv)
    return run_attack_benchmark(
        tuple(args.attacks.split(",")),
        args.mb,
        args.attackers,
        args.seconds,
        args.timeout,
        args.output,
        args.loop,
    )


if __name__ == "__main__":
    sys.exit(main())
