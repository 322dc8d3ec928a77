"""What inspecting answers costs, with it on and off in the same run (``haetae bench --answers``).

Two gateways are built in this process: the shipped default policy (its
``answers-mask-identifiers`` rule judges every answer) and the same policy
without its answer rules. Both sit in front of an in-process upstream (httpx
``MockTransport``) and are driven straight through the ASGI app, no sockets,
so the numbers are the gateway's own work:

* **time to first byte** of a clean streamed answer (OpenAI chat SSE, 40
  deltas of 3–8 characters, mixed Korean and English prose), from the call to
  the first body message;
* **delay per event**: from the moment the upstream hands over an event to the
  moment the gateway sends it on (the hold-back releases prose at once, so a
  clean event is one-in, one-out);
* **whole answer**: a non-streamed 2 KB chat answer, request to last byte.

Rounds alternate between the two gateways; the table shows medians (p50) of
all samples and the difference. The machine is shared: compare the columns
of one run, not runs of different days.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml

from gateway.app import Gateway, build_app
from gateway.dev.bench.inprocess import chat_scope, one_body
from gateway.dev.bench.summary import emit, p90
from gateway.settings import load_settings

__all__ = ["run_answers_benchmark"]

ROOT = Path(__file__).resolve().parents[3]
_POLICY = ROOT / "policies" / "default.yaml"
_WORDS = (
    "이번 분기 실적은 예상보다 좋았고 다음 달에는 신제품 출시가 예정되어 있습니다. "
    "The launch plan has three risks and each has a clear owner and a mitigation. "
)
_EVENTS = 40


def _deltas() -> list[str]:
    pieces: list[str] = []
    text, size = _WORDS * 2, 3
    while text and len(pieces) < _EVENTS:
        pieces.append(text[:size])
        text, size = text[size:], 3 + (size + 2) % 6
    return pieces


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    event = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    return b"data: " + orjson.dumps({**event, "choices": [choice]}) + b"\n\n"


class _Stream(httpx.AsyncByteStream):
    """The upstream's events, each stamped as it is handed to the gateway."""

    def __init__(self, stamps: list[float]) -> None:
        self._stamps = stamps

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for delta in _deltas():
            await asyncio.sleep(0)  # a real upstream's events arrive in separate reads
            self._stamps.append(time.perf_counter())
            yield _chunk({"content": delta})
        yield _chunk({}, "stop") + b"data: [DONE]\n\n"


class _Whole(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        text = (_WORDS * 20)[:2000]
        message = {"role": "assistant", "content": text}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        yield orjson.dumps({"id": "c", "object": "chat.completion", "choices": [choice]})


def _without_answer_rules(folder: Path) -> Path:
    """The default policy minus its rules judging answers, includes made absolute."""
    document = yaml.safe_load(_POLICY.read_text(encoding="utf-8"))
    document["rules"] = [r for r in document["rules"] if r.get("direction", "request") == "request"]
    document["include"] = [str(_POLICY.parent / path) for path in document.get("include", [])]
    document["tests"] = [t for t in document["tests"] if "response" not in t]
    path = folder / "off.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _build(policy: Path, folder: Path, name: str, stamps: list[float]) -> Gateway:
    def answer(request: httpx.Request) -> httpx.Response:
        streamed = orjson.loads(request.content).get("stream") is True
        headers = {"content-type": "text/event-stream" if streamed else "application/json"}
        body = _Stream(stamps) if streamed else _Whole()
        return httpx.Response(200, headers=headers, stream=body)

    overrides = {
        "policy": str(policy),
        "audit.url": f"sqlite:///{folder}/audit-{name}.db",
        # an address, so the policy's endpoint rules judge it (loopback: allowed); the
        # mock transport answers, nothing connects
        "providers.openai.base_url": "http://127.0.0.1:9",
        "forward.transport": "httpx",
    }
    return build_app(
        load_settings(environ={}, overrides=overrides),
        transport=httpx.MockTransport(answer),
        environ={"HAETAE_PSEUDONYM_KEY": "bench-key-0123456789abcdef0123456789"},
    )


async def _one(app: Gateway, stream: bool, stamps: list[float]) -> tuple[float, list[float], float]:
    """(time to first byte, each event's delay, whole time), in ms."""
    body = orjson.dumps(
        {
            "model": "gpt-4o-mini",
            "stream": stream,
            "messages": [{"role": "user", "content": "Summarise the quarter's sales review."}],
        }
    )
    sent: list[float] = []
    status = 0

    async def send(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            if status != 200:
                raise RuntimeError(f"benchmark request failed: {status} {message['body']!r}")
            sent.append(time.perf_counter())

    stamps.clear()
    began = time.perf_counter()
    await app(chat_scope(), one_body(body), send)
    ended = time.perf_counter()
    delays = [(out - arrived) * 1000 for arrived, out in zip(stamps, sent, strict=False)]
    return (sent[0] - began) * 1000, delays, (ended - began) * 1000


async def _measure(apps: dict[str, tuple[Gateway, list[float]]], rounds: int) -> dict[str, Any]:
    results: dict[str, dict[str, list[float]]] = {
        name: {"ttfb": [], "event": [], "whole": []} for name in apps
    }
    for app, stamps in apps.values():
        app.audit.start()
        for _ in range(20):  # warm-up: first-use imports, caches, the engine
            await _one(app, True, stamps)
            await _one(app, False, stamps)
    for _ in range(rounds):
        for name, (app, stamps) in apps.items():
            ttfb, delays, _ = await _one(app, True, stamps)
            results[name]["ttfb"].append(ttfb)
            results[name]["event"] += delays
            results[name]["whole"].append((await _one(app, False, stamps))[2])
    for app, _ in apps.values():
        await app.upstream.aclose()
        app.audit.close()
    return results


def run_answers_benchmark(rounds: int = 200, output: Path | None = None) -> int:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        apps: dict[str, tuple[Gateway, list[float]]] = {}
        for name, policy in (("off", _without_answer_rules(folder)), ("on", _POLICY)):
            stamps: list[float] = []
            apps[name] = (_build(policy, folder, name, stamps), stamps)
        result = asyncio.run(_measure(apps, rounds))
    lines = [
        f"Answer inspection, default policy with and without its answer rules; {rounds} rounds, "
        f"streams of {_EVENTS} clean deltas; p50 ms (p90 in brackets)\n",
        "| measure | inspection off | inspection on | added |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key, label in (
        ("ttfb", "time to first byte, clean stream"),
        ("event", "delay per event, clean stream"),
        ("whole", "non-streamed 2 KB answer, whole request"),
    ):
        off, on = result["off"][key], result["on"][key]
        p50_off, p50_on = statistics.median(off), statistics.median(on)
        lines.append(
            f"| {label} | {p50_off:.3f} ({p90(off):.3f}) | {p50_on:.3f} ({p90(on):.3f}) "
            f"| {p50_on - p50_off:+.3f} |"
        )
    return emit("\n".join(lines), output)
