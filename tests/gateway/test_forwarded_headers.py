"""What the provider sees of the caller: its request, not the gateway's or the network's."""

from __future__ import annotations

import httpx
import orjson
import pytest

from gateway.audit import SQLiteAuditStore
from tests.gateway.e2e import INJECTED_KEY
from tests.support.values import RRN

BODY = orjson.dumps({"model": "solar-pro", "messages": [{"role": "user", "content": "hi"}]})


def test_gateway_and_network_headers_never_reach_the_provider(stack, fake) -> None:
    response = httpx.post(
        stack.url("/openai/v1/chat/completions"),
        content=BODY,
        headers={
            "authorization": "Bearer sk-user",
            "x-haetae-client": "my-tool",
            "x-forwarded-for": "10.1.2.3",
            "x-real-ip": "10.1.2.3",
            "forwarded": "for=10.1.2.3",
            "openai-organization": "org-123",
            "user-agent": "my-tool/1.0",
        },
    )
    assert response.status_code == 200
    sent = fake.received[0].headers
    assert sent["authorization"] == "Bearer sk-user"
    assert sent["openai-organization"] == "org-123"
    assert sent["user-agent"] == "my-tool/1.0"
    for name in ("x-haetae-client", "x-forwarded-for", "x-real-ip", "forwarded"):
        assert name not in sent
    assert "python-httpx" not in sent.get("user-agent", "")


def test_injected_key_replaces_every_caller_credential(stack, fake) -> None:
    response = httpx.post(
        stack.url("/upstage/v1/chat/completions"),
        content=BODY,
        headers={"authorization": "Bearer user-key", "x-api-key": "other", "api-key": "x"},
    )
    assert response.status_code == 200
    sent = fake.received[0].headers
    assert sent["authorization"] == f"Bearer {INJECTED_KEY}"
    assert "x-api-key" not in sent and "api-key" not in sent


def test_gemini_query_key_is_dropped_when_the_gateway_injects(stack, fake) -> None:
    body = orjson.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    response = httpx.post(
        stack.url("/gemini/v1beta/models/gemini-2.5-flash:generateContent?key=user-key&x=1"),
        content=body,
    )
    assert response.status_code == 200
    received = fake.received[0]
    assert "user-key" not in received.query and "x=1" in received.query
    assert received.headers["x-goog-api-key"] == INJECTED_KEY


def test_large_prompts_are_scanned_off_the_event_loop_and_still_blocked(stack, fake) -> None:
    filler = "회의록 요약입니다. " * 2000  # well above the offload threshold
    body = orjson.dumps(
        {"model": "gpt-4o", "messages": [{"role": "user", "content": filler + RRN}]}
    )
    response = httpx.post(stack.url("/openai/v1/chat/completions"), content=body, timeout=10)
    assert response.status_code == 403
    assert fake.received == []


def test_audit_failure_refuses_every_request(stack, fake, monkeypatch) -> None:
    monkeypatch.setattr(SQLiteAuditStore, "healthy", property(lambda self: False))
    response = httpx.post(stack.url("/openai/v1/chat/completions"), content=BODY)
    assert response.status_code == 503
    assert "audit" in response.json()["error"]["message"]
    assert fake.received == []
    assert httpx.get(stack.url("/readyz")).status_code == 503


@pytest.mark.parametrize("method", ["DELETE", "PUT"])
def test_unsafe_methods_on_listings_are_refused(stack, fake, method) -> None:
    response = httpx.request(method, stack.url("/openai/v1/models/gpt-4o"))
    assert response.status_code == 403
    assert fake.received == []


def test_a_body_sent_to_a_read_only_listing_is_refused_not_forwarded(stack, fake) -> None:
    response = httpx.request(
        "GET", stack.url("/openai/v1/models"), content=b'{"note": "900101-1234568"}'
    )
    assert response.status_code == 400
    assert fake.received == []
