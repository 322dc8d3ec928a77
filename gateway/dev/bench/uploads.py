"""``haetae bench --uploads``: what reading an uploaded file costs over the same prompt text.

An uploaded file's text is scanned by the same engine as a prompt's, so the scan
costs the same for the same characters; what uploads add is reading the body: the
multipart parse, charset detection (for text that is not UTF-8), a batch file's
JSONL lines each read by their dialect, and, when forwarded, the body written out
again. Each row runs the Extract stage (and the re-rendering Transform does for a
clean request) on one body and is compared with the same text sent as a Chat
Completions prompt in the same run, on this machine today.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from gateway.dev.bench.proxy import prompt_of
from gateway.exchange import Exchange
from gateway.extraction import Extract
from gateway.providers.endpoints import resolve_endpoint
from gateway.transform import as_scanned

__all__ = ["run_upload_benchmark"]

ROOT = Path(__file__).resolve().parents[3]
_BOUNDARY = b"bench-boundary-7f3a"


def _multipart(data: bytes, purpose: str, filename: str) -> bytes:
    return (
        b"--" + _BOUNDARY + b'\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n'
        + purpose.encode() + b"\r\n--" + _BOUNDARY
        + b'\r\nContent-Disposition: form-data; name="file"; filename="' + filename.encode()
        + b'"\r\nContent-Type: text/plain\r\n\r\n' + data + b"\r\n--" + _BOUNDARY + b"--\r\n"
    )  # fmt: skip


def _batch(text: str, lines: int) -> bytes:
    step = max(1, len(text) // lines)
    out = []
    for index in range(lines):
        piece = text[index * step : (index + 1) * step]
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": piece}]}
        url = "/v1/chat/completions"
        line = {"custom_id": f"r{index}", "method": "POST", "url": url, "body": body}
        out.append(orjson.dumps(line))
    return b"\n".join(out) + b"\n"


def _exchange(path: str, body: bytes, content_type: bytes, policy: Any) -> Exchange:
    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    exchange = Exchange(
        request_id="bench",
        method="POST",
        path="/openai" + path,
        query=b"",
        headers=[(b"content-type", content_type), (b"host", b"bench")],
        client_address=None,
        receive=receive,
        policy=policy,
    )
    exchange.upstream_path = path
    exchange.endpoint = resolve_endpoint("openai", "POST", path)
    exchange.body = body
    return exchange


def _time_ms(run: Callable[[], None], number: int) -> float:
    """Best of five, milliseconds per call."""
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        for _ in range(number):
            run()
        best = min(best, (time.perf_counter() - began) / number)
    return best * 1000


def run_upload_benchmark(quick: bool = False, output: Path | None = None) -> int:
    from gateway.detect import SUPPORTED_ENTITIES
    from gateway.policy.loader import load_policy

    policy = load_policy(ROOT / "policies" / "default.yaml", frozenset(SUPPORTED_ENTITIES))
    extract = Extract()
    loop = asyncio.new_event_loop()
    rows = [
        "| size | body | Extract + re-render ms | × prompt | segments |",
        "| --- | --- | --- | --- | --- |",
    ]
    sizes = (4_096, 65_536) if quick else (4_096, 65_536, 524_288)
    for size in sizes:
        text = prompt_of(size)
        chat = orjson.dumps(
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
        )
        utf8 = _multipart(text.encode(), "user_data", "a.txt")
        cp949 = _multipart(text.encode("cp949"), "user_data", "a.txt")
        batch = _multipart(_batch(text, 20), "batch", "b.jsonl")
        cases = [
            ("prompt (baseline)", "/v1/chat/completions", chat, b"application/json"),
            ("file, UTF-8", "/v1/files", utf8, None),
            ("file, CP949", "/v1/files", cp949, None),
            ("batch file, 20 lines", "/v1/files", batch, None),
        ]
        baseline = 0.0
        number = max(3, min(200, 2_000_000 // size)) // (4 if quick else 1)
        for name, path, body, content_type in cases:
            kind = content_type or b"multipart/form-data; boundary=" + _BOUNDARY

            def run(path: str = path, body: bytes = body, kind: bytes = kind) -> None:
                exchange = _exchange(path, body, kind, policy)
                loop.run_until_complete(extract(exchange))
                as_scanned(exchange)

            run()
            probe = _exchange(path, body, kind, policy)
            loop.run_until_complete(extract(probe))
            ms = _time_ms(run, number)
            baseline = baseline or ms
            rows.append(
                f"| {size // 1024} KB | {name} | {ms:.3f} | {ms / baseline:.2f} | "
                f"{len(probe.segments)} |"
            )
    loop.close()
    table = "\n".join(rows)
    print(table)
    if output is not None:
        output.write_text(table + "\n")
    return 0
