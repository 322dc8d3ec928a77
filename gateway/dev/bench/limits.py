"""What the limit check costs (``haetae bench --limits``): Redis on loopback, memory, none.

Three gateways are built in this process from one policy that differs only in
its ``limits:``: none; a requests limit and a token budget counted in this
process; the same counted in Redis (``--redis-url``, default the local one, under
a prefix of its own that is deleted afterwards). Each sits in front of an
in-process upstream (httpx ``MockTransport``) and is driven through the ASGI
app, no sockets, so the numbers are the gateway's own work. Rounds alternate
between the gateways, each going first in turn, and between two requests the audit writer
catches up (untimed), so no row pays for another's records. The table shows p50 (p90) of
the whole request and of the limits stage alone (its timing in the audit
record), and the whole request's added time and ratio against no limits.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from gateway.app import Gateway, build_app
from gateway.dev.bench.inprocess import chat_scope, one_body
from gateway.dev.bench.summary import emit, p90
from gateway.rollout.signing import generate_key_pair
from gateway.settings import load_settings

__all__ = ["run_limits_benchmark"]

_POLICY = """\
policy: bench-limits
rules:
  - id: redact-email
    when: { entities: [EMAIL_ADDRESS] }
    action: redact
"""
_LIMITS = """\
limits:
  - id: per-user-rate
    per: [user, client_app]
    requests: 100000000
    window: 60s
  - id: daily-tokens
    per: provider
    tokens: 1000000000000
    window: 1d
"""
_ANSWER = orjson.dumps(
    {
        "id": "c",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
    }
)


class _Answer(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield _ANSWER


def _answer(_: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "application/json"}, stream=_Answer())


def _build(folder: Path, name: str, policy: str, extra: dict[str, Any]) -> Gateway:
    path = folder / f"{name}.yaml"
    path.write_text(policy, encoding="utf-8")
    overrides = {
        "policy": str(path),
        "audit.url": f"sqlite:///{folder}/audit-{name}.db",
        "providers.openai.base_url": "http://127.0.0.1:9",  # the mock answers; nothing connects
        "forward.transport": "httpx",
        **extra,
    }
    return build_app(
        load_settings(environ={}, overrides=overrides),
        transport=httpx.MockTransport(_answer),
        environ={"HAETAE_PSEUDONYM_KEY": "bench-key-0123456789abcdef0123456789"},
    )


async def _one(app: Gateway) -> float:
    body = orjson.dumps(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Summarise the review."}]}
    )

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"benchmark request failed: {message['status']}")

    began = time.perf_counter()
    await app(chat_scope(), one_body(body), send)
    return (time.perf_counter() - began) * 1000


async def _measure(apps: dict[str, Gateway], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in apps}
    for app in apps.values():
        app.audit.start()
        for _ in range(30):  # warm-up: first-use imports, the script's load, pools
            await _one(app)
    gc.collect()
    gc.freeze()  # as the server does once started (app.py): long-lived objects left alone
    names = list(apps)
    for round_number in range(rounds):
        # each gateway goes first as often as the others: no place in the round is favoured
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(await _one(apps[name]))
            # Untimed: the audit writer thread finishes the request's records now, so
            # it does not compete for the GIL with the next request, whichever it is.
            await apps[name].audit.flush()
    for app in apps.values():
        await app.audit.flush()
        if app.limits is not None:
            await app.limits.aclose()
        await app.upstream.aclose()
    return times


def _stage_times(app: Gateway, rounds: int) -> list[float]:
    records = app.audit.tail(rounds * 2)
    return [r.timings_ms["limits"] for r in records if "limits" in r.timings_ms]


def _round_trip(url: str, count: int = 500) -> list[float]:
    """PING times in ms, from an asyncio client: what one Redis round trip costs here now."""
    import redis.asyncio as aioredis

    async def ping() -> list[float]:
        client = aioredis.Redis.from_url(url, socket_timeout=2)
        times = []
        try:
            for _ in range(count):
                began = time.perf_counter()
                await client.ping()
                times.append((time.perf_counter() - began) * 1000)
        finally:
            await client.aclose()
        return times

    return asyncio.run(ping())


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def _sweep(url: str, prefix: str) -> None:
    import redis

    with redis.Redis.from_url(url, socket_timeout=5) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def run_limits_benchmark(
    rounds: int = 500, redis_url: str = "redis://127.0.0.1:6379/0", output: Path | None = None
) -> int:
    prefix = f"haetae-bench:{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        specs: dict[str, tuple[str, dict[str, Any]]] = {
            "none": (_POLICY, {}),
            "memory": (_POLICY + _LIMITS, {}),
        }
        reachable = _redis_reachable(redis_url)
        if reachable:
            signing, _ = generate_key_pair(folder / "keys")
            specs["redis"] = (
                _POLICY + _LIMITS,
                {
                    "rollout.redis_url": redis_url,
                    "rollout.signing_key_file": str(signing),
                    "rollout.key_prefix": f"{prefix}policy:",
                    "rollout.file_poll_interval": 0,
                    "limits.redis_prefix": f"{prefix}limits:",
                },
            )
        apps = {name: _build(folder, name, text, extra) for name, (text, extra) in specs.items()}
        try:
            times = asyncio.run(_measure(apps, rounds))
            pings = _round_trip(redis_url) if reachable else []
            stages = {name: _stage_times(app, rounds) for name, app in apps.items()}
        finally:
            for app in apps.values():
                app.audit.close()
            if reachable:
                _sweep(redis_url, prefix)
    base = statistics.median(times["none"])
    labels = {
        "none": "no limits",
        "memory": "2 limits, counted in process",
        "redis": "2 limits, counted in Redis (loopback)",
    }
    lines = [
        f"Limit check: one chat request through the gateway (in process, mock upstream), "
        f"{rounds} rounds; p50 ms (p90 in brackets)\n",
        "| gateway | whole request | limits stage | added p50 | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, values in times.items():
        p50 = statistics.median(values)
        stage = stages[name]
        stage_text = f"{statistics.median(stage):.3f} ({p90(stage):.3f})" if stage else "–"
        lines.append(
            f"| {labels[name]} | {p50:.3f} ({p90(values):.3f}) | {stage_text} "
            f"| {p50 - base:+.3f} | {p50 / base:.2f}× |"
        )
    if pings:
        lines.append(
            f"| reference: one Redis PING from asyncio | – | {statistics.median(pings):.3f} "
            f"({p90(pings):.3f}) | – | – |"
        )
    if not reachable:
        lines.append(f"\nRedis at {redis_url} is not reachable: its row is missing.")
    return emit("\n".join(lines), output)
