"""Secrets and personal data sent through the gateway appear in no log, span or metric."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.audit import AuditRecord
from gateway.audit.phases import ended_request
from gateway.extraction import Extract
from gateway.telemetry import configure_logging
from tests.support.polling import wait_for
from tests.support.telemetry import CHAT, Traced, traced_stack
from tests.support.values import AWS_KEY, EMAIL, RRN

BEARER = "sk-proj-Qm9vTHeakTest7fa1c2b3d4e5f6a7b8c9"
GEMINI_KEY = "AIzaSyLeakTest-0123456789abcdefghijk"
PROMPT = "Nightingale-7731 merger memo for the board"
BAGGAGE = "baggage-secret-9182"
FAILING = "failing-trigger-5521"
GITHUB = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW11ySowm"
VALUES = [RRN, EMAIL, AWS_KEY, BEARER, GEMINI_KEY, PROMPT, BAGGAGE, FAILING, "Nightingale", GITHUB]
VALUES += [AWS_KEY.lower(), GITHUB.lower()]  # application names used to be lower-cased


@pytest.fixture(params=["aiohttp", "httpx"])
def any_stack(request: pytest.FixtureRequest, traced: Traced, tmp_path: Path) -> Iterator[Traced]:
    """The shared gateway (aiohttp upstream client), and one using httpx's client."""
    if request.param == "aiohttp":
        traced.fake.reset()
        yield traced
        return
    with traced_stack(tmp_path, transport="httpx") as built:
        yield built


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The gateway's own logging set-up at DEBUG, in JSON, uvicorn's loggers included."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("debug", "json", stream=stream)
    uvicorn = logging.getLogger("uvicorn")
    uvicorn.addHandler(handler)
    try:
        yield stream
    finally:
        uvicorn.removeHandler(handler)
        root.removeHandler(handler)
        root.setLevel(level)


def _post(stack: Traced, path: str, body: object, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return httpx.post(stack.url(path), content=content, headers=headers, timeout=10)


def _records(stack: Traced, request_ids: list[str]) -> list[AuditRecord]:
    """The audit records of these requests, once the writer has stored them all."""

    def stored() -> list[AuditRecord] | None:
        tail = stack.app.audit.tail(1000)
        found = [ended_request(tail, request_id) for request_id in request_ids]
        return None if None in found else [r for r in found if r is not None]

    return wait_for(stored, message="some audit records never arrived")


def _chat(text: str, stream: bool = False) -> dict[str, object]:
    return {"model": "gpt-4o", "stream": stream, "messages": [{"role": "user", "content": text}]}


def test_no_raw_value_reaches_logs_spans_or_metrics(
    any_stack: Traced, debug_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = any_stack
    original = Extract.__call__

    async def fails_quoting_the_body(self: Extract, exchange: object) -> None:
        body = exchange.body.decode()  # type: ignore[attr-defined]
        if FAILING in body:
            raise ValueError(f"cannot handle {body}")  # the message quotes the prompt
        await original(self, exchange)  # type: ignore[arg-type]

    monkeypatch.setattr(Extract, "__call__", fails_quoting_the_body)
    auth = {"authorization": f"Bearer {BEARER}"}
    outcomes = {
        "allow": _post(stack, CHAT, _chat(PROMPT), **auth, baggage=f"user={BAGGAGE}"),
        "redact": _post(stack, CHAT, _chat(f"{PROMPT}, mail {EMAIL}"), **auth),
        "stream": _post(stack, CHAT, _chat(f"{PROMPT} {EMAIL}", stream=True), **auth),
        "block rrn": _post(stack, CHAT, _chat(f"{PROMPT} {RRN}"), **auth),
        "block key": _post(stack, CHAT, _chat(f"{PROMPT} {AWS_KEY}"), **auth),
        "bad json": _post(stack, CHAT, f'{{"messages": "{RRN} {PROMPT}'.encode(), **auth),
        "failure": _post(stack, CHAT, _chat(f"{FAILING} {RRN} {PROMPT}"), **auth),
        "gemini": _post(
            stack,
            f"/gemini/v1beta/models/gemini-2.0-flash:generateContent?key={GEMINI_KEY}",
            {"contents": [{"parts": [{"text": f"{PROMPT} {EMAIL}"}]}]},
        ),
        "unreachable": _post(stack, "/mistral/v1/chat/completions", _chat(PROMPT), **auth),
        "unknown": _post(stack, f"/nope/{GEMINI_KEY}?token={BEARER}", b"{}"),
        # labels: the caller names its application, and the path of a refused request
        "agent rrn": _post(stack, CHAT, _chat(PROMPT), **{"user-agent": RRN}),
        "client key": _post(stack, CHAT, _chat(PROMPT), **{"x-haetae-client": AWS_KEY}),
        "agent token": _post(stack, CHAT, _chat(PROMPT), **{"user-agent": f"{GITHUB}/1.0"}),
        "client rrn": _post(stack, CHAT, _chat(PROMPT), **{"x-haetae-client": RRN}),
        "agent email": _post(stack, CHAT, _chat(PROMPT), **{"user-agent": f"tool/1 {EMAIL}"}),
        "refused path": _post(
            stack, f"/openai/v1/{GITHUB}/assistants", b"{}", **{"x-haetae-client": GITHUB}
        ),
        "unknown labels": _post(stack, f"/nope/{AWS_KEY}", b"{}", **{"user-agent": RRN}),
    }
    statuses = {name: response.status_code for name, response in outcomes.items()}
    assert statuses == {
        "allow": 200, "redact": 200, "stream": 200, "block rrn": 403, "block key": 403,
        "bad json": 400, "failure": 500, "gemini": 200, "unreachable": 502, "unknown": 404,
        "agent rrn": 403, "client key": 403, "agent token": 403, "client rrn": 403,
        "agent email": 200, "refused path": 403,
        "unknown labels": 404,
    }  # fmt: skip
    # Every request is traced to its end (the server span closes just after the answer).
    for response in outcomes.values():
        stack.trace_of(response.headers["x-haetae-request-id"])

    logs = debug_log.getvalue()
    failure_id = outcomes["failure"].headers["x-haetae-request-id"]
    failure_lines = [orjson.loads(line) for line in logs.splitlines() if failure_id in line]
    assert any(
        line.get("request_id") == failure_id and "ValueError" in line["message"]
        for line in failure_lines
    ), "the inspection failure must be logged, with its request id"

    spans = "\n".join(span.to_json() for span in stack.spans.get_finished_spans())
    data = stack.metrics.get_metrics_data()
    metrics = data.to_json() if data else ""
    scraped = httpx.get(stack.url("/metrics")).text
    records = repr(_records(stack, [r.headers["x-haetae-request-id"] for r in outcomes.values()]))
    for where, text in [("logs", logs), ("spans", spans), ("metrics", metrics),
                        ("/metrics", scraped), ("audit records", records)]:  # fmt: skip
        leaked = [value for value in VALUES if value in text]
        assert not leaked, f"{where} contain {leaked}"
    assert "pipa-resident-number" in spans and "KR_RRN" in metrics  # what they should carry
