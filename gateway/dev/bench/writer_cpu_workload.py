"""One measurement for ``haetae bench --writer-cpu``, run in a child process per tree.

Run as a script (``python writer_cpu_workload.py REQUESTS [AUDIT_URL]``) with the
tree under test first on ``PYTHONPATH``, so an older checkout (which has none of
``gateway/dev/bench``) is measured with its own gateway: this file imports only
``gateway.app`` and ``gateway.settings`` from the tree, and the ASGI helpers
from the file beside it. It drives the app in process (default policy, 1 KB chat
requests with the headers ``haetae bench``'s load generator sends, a fake provider
answering at once, one request at a time) and prints one JSON line: CPU per request
of the event loop's thread and of every other thread, read from each thread's own CPU
clock.

Two switches in the environment, for ``haetae bench --instructions``:
``HAETAE_BENCH_UPSTREAM=aiohttp`` sends the requests through the production default
upstream client to ``echo_provider.py`` in a process of its own (instead of an httpx
mock transport), and ``HAETAE_BENCH_CALLGRIND=1`` switches valgrind's instruction
count on for the measured requests only (the process runs under callgrind).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import orjson

from gateway.app import build_app
from gateway.settings import load_settings

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_writer_cpu_inprocess", _HERE / "inprocess.py")
assert _spec is not None and _spec.loader is not None
_inprocess = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_inprocess)
_spec = importlib.util.spec_from_file_location("_writer_cpu_provider", _HERE / "echo_provider.py")
assert _spec is not None and _spec.loader is not None
_provider = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_provider)

#: thread id → (name, CPU seconds of its clock)
Seconds = dict[int, tuple[str, float]]
WARM_UP = 100
#: after the last request: the writer's linger and a quiet count (0.5 s) fall inside
SETTLE_SECONDS = 0.8
_SENTENCE = (
    "이번 분기 판매 실적을 요약하고 다음 달 마케팅 계획 초안을 작성해 주세요. "
    "Please also list three risks for the launch and how to mitigate them. "
)


def _chat_body(size: int) -> bytes:
    text = _SENTENCE * (size // len(_SENTENCE.encode()) + 1)
    prompt = text.encode()[:size].decode("utf-8", "ignore")
    return orjson.dumps(
        {
            "model": "gpt-4o-mini",
            "stream": False,
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": prompt},
            ],
        }
    )


class _Answer(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield _provider.ANSWER


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "application/json"}, stream=_Answer())


def _start_echo_provider() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = subprocess.Popen([sys.executable, str(_HERE / "echo_provider.py"), str(port)])
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        provider.kill()
        raise SystemExit("the echo provider did not start")
    return provider, f"http://127.0.0.1:{port}/v1"


def _count_instructions(on: bool) -> None:
    if os.environ.get("HAETAE_BENCH_CALLGRIND") == "1":
        switch = ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())]
        subprocess.run(switch, check=True, capture_output=True)


def _thread_seconds() -> Seconds:
    found = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            clock = time.pthread_getcpuclockid(thread.ident)
            found[thread.ident] = (thread.name, time.clock_gettime(clock))
        except (OSError, ProcessLookupError):  # ended meanwhile
            continue
    return found


async def _drive(app: Any, requests: int) -> tuple[list[int], Seconds, Seconds]:
    """Warm up, then send ``requests`` one at a time; their statuses and each thread's
    CPU clock before and after (counted by callgrind in between when it is on)."""
    app.audit.start()
    body = _chat_body(1024)
    # as a served request arrives: the load generator's headers and the body's length
    headers = [*_inprocess.CLIENT_HEADERS, (b"content-length", str(len(body)).encode())]
    statuses: list[int] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def one() -> None:
        await app(_inprocess.chat_scope(headers), _inprocess.one_body(body), send)

    for _ in range(WARM_UP):
        await one()
    await asyncio.sleep(SETTLE_SECONDS)
    _count_instructions(on=True)
    before = _thread_seconds()
    for _ in range(requests):
        await one()
    await asyncio.sleep(SETTLE_SECONDS)
    after = _thread_seconds()
    _count_instructions(on=False)
    await app.upstream.aclose()
    app.audit.close()
    return statuses, before, after


async def _measure(requests: int, audit_url: str | None, folder: Path) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        "policy": str(Path.cwd() / "policies" / "default.yaml"),
        "audit.url": audit_url or f"sqlite:///{folder}/audit.db",
        "providers.openai.base_url": "http://127.0.0.1:9",
        "forward.transport": "httpx",
    }
    if load_settings(environ={}).audit.signing_key_file is not None:
        overrides["audit.signing_key_file"] = str(folder / "keys" / "audit-signing.pem")
    environ = {"HAETAE_PSEUDONYM_KEY": "bench-key-0123456789abcdef0123456789"}
    provider = None
    try:
        if os.environ.get("HAETAE_BENCH_UPSTREAM") == "aiohttp":
            provider, overrides["providers.openai.base_url"] = _start_echo_provider()
            overrides["forward.transport"] = "aiohttp"
            app = build_app(load_settings(environ={}, overrides=overrides), environ=environ)
        else:
            settings = load_settings(environ={}, overrides=overrides)
            app = build_app(settings, transport=httpx.MockTransport(_answer), environ=environ)
        statuses, before, after = await _drive(app, requests)
    finally:
        # the provider shares this process's stdout: left running after a failure, it
        # would hold the pipe of whoever reads this workload's output open
        if provider is not None:
            provider.terminate()
    if set(statuses) != {200}:
        raise SystemExit(f"unexpected statuses {sorted(set(statuses))}")
    loop_id = threading.get_ident()
    threads: dict[str, float] = {}
    for ident, (name, seconds) in after.items():
        spent = (seconds - before.get(ident, (name, 0.0))[1]) / requests * 1000
        threads[name] = threads.get(name, 0.0) + spent
    loop_name = after[loop_id][0]
    return {
        "loop_ms": threads.pop(loop_name),
        "other_ms": sum(threads.values()),
        "threads": threads,
    }


def main() -> None:
    requests = int(sys.argv[1])
    audit_url = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(_measure(requests, audit_url, Path(folder)))
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
