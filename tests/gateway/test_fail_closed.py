"""An unexpected error in any stage before forwarding refuses the request."""

from __future__ import annotations

import httpx
import orjson
import pytest

from gateway.body import ReadBody
from gateway.identity import Identify
from gateway.inspection import Decide, Detect, Extract, Transform
from gateway.routing import Route

BODY = orjson.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]})


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
