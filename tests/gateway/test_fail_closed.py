"""Failures on the request path: before forwarding they refuse, after it they show."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.body import ReadBody
from gateway.extraction import Extract
from gateway.identity import Identify
from gateway.inspection import Decide, Detect
from gateway.routing import Route
from gateway.transform import Transform
from tests.support.stack import gateway_stack
from tests.support.values import RRN

BODY = orjson.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]})
CHAT = "/openai/v1/chat/completions"


def chat(text: str, *, stream: bool = False) -> bytes:
    messages = [{"role": "user", "content": text}]
    return orjson.dumps({"model": "gpt-4o", "messages": messages, "stream": stream})


@pytest.mark.parametrize("stage", [Identify, Route, ReadBody, Extract, Detect, Decide, Transform])
def test_an_exception_in_any_stage_is_a_recorded_refusal(stack, fake, monkeypatch, stage) -> None:
    async def broken(self, exchange) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr(stage, "__call__", broken)
    response = httpx.post(stack.url("/openai/v1/chat/completions"), content=BODY, timeout=10)
    assert response.status_code == 500
    assert response.headers["x-haetae-decision"] == "error"
    assert "internal detail" not in response.text
    assert fake.received == []
    request_id = response.headers["x-haetae-request-id"]
    (record,) = [r for r in stack.audit_tail(20) if r.request_id == request_id]
    assert (record.decision, record.error, record.status) == ("error", "KeyError", 500)


def test_a_refusal_that_cannot_be_recorded_is_still_refused_and_nothing_passes_after(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The audit write behind a refusal fails (its table was dropped under the running
    store, spool off): the client still gets the refusal, the log says the record was
    lost, and from then on every request is refused with 503 until the store is fixed."""
    with gateway_stack(tmp_path, settings={"audit.spool": "off"}) as stack:
        with contextlib.closing(sqlite3.connect(tmp_path / "audit.db")) as conn:
            conn.execute("DROP TABLE audit_records")
        blocked = httpx.post(stack.url(CHAT), content=chat(f"id {RRN}"), timeout=10)
        assert blocked.status_code == 403
        assert blocked.headers["x-haetae-decision"] == "block"
        assert RRN not in blocked.text
        assert "audit flush failed before a refusal: AuditStoreError" in caplog.text
        assert RRN not in caplog.text

        harmless = httpx.post(stack.url(CHAT), content=chat("hello"), timeout=10)
        assert harmless.status_code == 503
        assert harmless.json()["error"]["code"] == "audit_unavailable"
        assert stack.fake.received == []  # neither request reached the provider
        assert httpx.get(stack.url("/readyz"), timeout=5).status_code == 503


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
@pytest.mark.slow
def test_an_upstream_failing_after_the_head_ends_the_stream_in_error_and_is_recorded(
    tmp_path: Path, transport: str
) -> None:
    """The provider sends its head and a first event, then stalls past the read timeout:
    the status is already on its way, so the stream ends in an error event in the
    provider's format (not a clean end that would pass for a complete answer), and the
    record names the error."""
    settings = {"timeouts.read": 1.0, "forward.transport": transport}
    stall = {"x-fake-chunks": "3", "x-fake-chunk-delay-ms": "60000"}
    with gateway_stack(tmp_path, settings=settings) as stack:
        with httpx.stream(
            "POST", stack.url(CHAT), content=chat("hello", stream=True), headers=stall, timeout=10
        ) as response:
            assert response.status_code == 200
            request_id = response.headers["x-haetae-request-id"]
            body = b"".join(response.iter_raw())
        assert body.startswith(b"data: ")  # the first event did arrive
        events = [line for line in body.split(b"\n") if line.startswith(b"data: ")]
        assert b"upstream_timeout" in events[-1]  # the stream's last word is the error
        assert b"[DONE]" not in body
        record = stack.record(request_id)
        assert (record.decision, record.status, record.error) == ("allow", 200, "upstream_timeout")
        assert stack.fake.wait_for_no_streams(timeout=5.0)  # the stalled stream was closed
