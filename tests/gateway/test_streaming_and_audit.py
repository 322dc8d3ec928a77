"""Streaming behaviour and the audit trail, seen from outside the gateway."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson

from tests.support.values import EMAIL, RRN

CHAT = "/openai/v1/chat/completions"


def stream_body(text: str = "one two three four five") -> bytes:
    return orjson.dumps(
        {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": text}]}
    )


def test_stream_events_are_relayed_as_they_arrive(stack, fake) -> None:
    """Events reach the client while the provider is still streaming, not in one burst
    at the end: this stream would last 1000 × 100 ms, and three events arrive long before."""
    assert fake.wait_for_no_streams(timeout=5.0)  # earlier tests' streams have ended
    headers = {"x-fake-chunk-delay-ms": "100", "x-fake-chunks": "1000"}
    with httpx.stream(
        "POST", stack.url(CHAT), content=stream_body(), headers=headers, timeout=10
    ) as response:
        assert response.status_code == 200
        events = (line for line in response.iter_lines() if line.startswith("data: "))
        for _ in range(3):
            assert next(events).startswith('data: {"id":')
            assert fake.active_streams == 1  # the provider has not finished


def test_client_leaving_mid_stream_closes_the_upstream_stream(stack, fake) -> None:
    assert fake.wait_for_no_streams(timeout=5.0)  # earlier tests' streams have ended
    # Left alone, this stream would run for 5000 × 20 ms = 100 s.
    headers = {"x-fake-chunk-delay-ms": "20", "x-fake-chunks": "5000"}
    with httpx.stream(
        "POST", stack.url(CHAT), content=stream_body(), headers=headers, timeout=10
    ) as response:
        assert response.status_code == 200
        assert next(response.iter_raw()).startswith(b"data: ")
        request_id = response.headers["x-haetae-request-id"]
    assert fake.wait_for_no_streams(timeout=5.0)
    assert stack.record(request_id).error == "client_disconnected"


def test_every_decision_is_one_audit_record_without_values(stack, fake) -> None:
    ids = {}
    for name, text in [("allow", "hello"), ("redact", f"to {EMAIL}"), ("block", f"id {RRN}")]:
        response = httpx.post(
            stack.url(CHAT),
            content=orjson.dumps(
                {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
            ),
            timeout=10,
        )
        ids[name] = response.headers["x-haetae-request-id"]
        assert response.headers["x-haetae-decision"] == name
    records = {request_id: stack.record(request_id) for request_id in ids.values()}
    allow, redact, block = (records[ids[k]] for k in ("allow", "redact", "block"))
    assert (allow.decision, allow.status, allow.provider, allow.model) == (
        "allow",
        200,
        "openai",
        "gpt-4o",
    )
    assert (redact.decision, redact.rule_ids, redact.entities) == (
        "redact",
        ["redact-contacts"],
        {"EMAIL_ADDRESS": 1},
    )
    assert (block.decision, block.status, block.rule_ids) == (
        "block",
        403,
        ["pipa-resident-number"],
    )
    assert block.policy_version == stack.app.policy.version
    assert "total" in block.timings_ms
    database = Path(stack.audit_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert RRN.encode() not in raw and EMAIL.encode() not in raw


def test_health_and_readiness(stack) -> None:
    assert httpx.get(stack.url("/healthz")).json() == {"status": "ok"}
    ready = httpx.get(stack.url("/readyz"))
    assert ready.status_code == 200
    assert ready.json()["policy"] == "corp-default"
