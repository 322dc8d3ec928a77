"""Bad input gets the right status, in the provider's error format, and nothing leaks."""

from __future__ import annotations

import gzip
import logging

import httpx
import orjson
import pytest

from gateway.detect import DetectionEngine
from tests.gateway.e2e import READ_TIMEOUT
from tests.support.values import AWS_KEY, RRN

CHAT = "/openai/v1/chat/completions"


def chat_body(text: str = "hi") -> bytes:
    return orjson.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]})


def post(stack, path: str, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(stack.url(path), content=content, headers=headers, timeout=10)


def test_malformed_json_is_400_in_openai_format(stack, fake) -> None:
    response = post(
        stack, CHAT, b'{"model": "gpt-4o", "messages": [', **{"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]
    assert fake.received == []


def test_malformed_json_is_400_in_anthropic_format(stack, fake) -> None:
    response = post(stack, "/anthropic/v1/messages", b"{nope")
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_body_over_the_limit_is_413(stack, fake) -> None:
    response = post(stack, CHAT, chat_body("x" * 300_000))
    assert response.status_code == 413
    assert "limit" in response.json()["error"]["message"]
    assert fake.received == []


def test_unsupported_content_encoding_is_415(stack, fake) -> None:
    response = post(stack, CHAT, chat_body(), **{"content-encoding": "br"})
    assert response.status_code == 415
    assert fake.received == []


def test_gzip_bodies_are_decoded_scanned_and_forwarded_decoded(stack, fake) -> None:
    response = post(
        stack, CHAT, gzip.compress(chat_body(f"rrn {RRN}")), **{"content-encoding": "gzip"}
    )
    assert response.status_code == 403
    response = post(stack, CHAT, gzip.compress(chat_body("fine")), **{"content-encoding": "gzip"})
    assert response.status_code == 200
    assert "content-encoding" not in fake.received[0].headers
    assert fake.received[0].json()["messages"][0]["content"] == "fine"


def test_unknown_provider_is_404(stack, fake) -> None:
    response = post(stack, "/nosuchai/v1/chat/completions", chat_body())
    assert response.status_code == 404
    assert "unknown provider" in response.json()["error"]["message"]


def test_paths_outside_the_allow_list_are_refused(stack, fake) -> None:
    response = post(stack, "/openai/v1/audio/transcriptions", b"data")
    assert response.status_code == 403
    assert "builtin.uninspected-endpoint" in response.headers.get("x-haetae-decision", "") or (
        "only inspected APIs" in response.json()["error"]["message"]
    )
    traversal = httpx.get(stack.url("/openai/v1/models/../chat/completions"), timeout=5)
    assert traversal.status_code == 403
    assert fake.received == []


def test_token_id_embeddings_cannot_be_inspected(stack, fake) -> None:
    body = orjson.dumps({"model": "text-embedding-3-small", "input": [[1, 2, 3]]})
    response = post(stack, "/openai/v1/embeddings", body)
    assert response.status_code == 400
    assert fake.received == []


def test_unreachable_upstream_is_502(stack) -> None:
    response = post(stack, "/mistral/v1/chat/completions", chat_body())
    assert response.status_code == 502
    assert "could not reach provider 'mistral'" in response.json()["error"]["message"]


@pytest.mark.slow
def test_upstream_timeout_is_504(stack, fake) -> None:
    delay_ms = int((READ_TIMEOUT + 1) * 1000)
    response = post(stack, CHAT, chat_body(), **{"x-fake-delay-ms": str(delay_ms)})
    assert response.status_code == 504
    assert "timed out" in response.json()["error"]["message"]


def test_scanner_failure_fails_closed_and_is_recorded(stack, fake, monkeypatch) -> None:
    def explode(self, texts, *args, **options):
        raise RuntimeError(f"boom {texts}")

    monkeypatch.setattr(DetectionEngine, "scan_segments", explode)
    response = post(stack, CHAT, chat_body("perfectly fine text"))
    assert response.status_code == 500
    assert "fail closed" in response.json()["error"]["message"]
    assert fake.received == []
    request_id = response.headers["x-haetae-request-id"]
    record = next(r for r in stack.audit_tail(20) if r.request_id == request_id)
    assert (record.decision, record.error) == ("error", "RuntimeError")


def test_nothing_raw_reaches_logs_or_error_messages(stack, fake, caplog, monkeypatch) -> None:
    caplog.set_level(logging.DEBUG)
    response = post(stack, CHAT, chat_body(f"{RRN} {AWS_KEY}"))
    assert response.status_code == 403
    assert RRN not in response.text and AWS_KEY not in response.text

    def explode(self, texts, *args, **options):
        raise ValueError(f"leaky {texts}")

    monkeypatch.setattr(DetectionEngine, "scan_segments", explode)
    post(stack, CHAT, chat_body(f"secret {AWS_KEY}"))
    assert "inspection failed" in caplog.text
    assert RRN not in caplog.text and AWS_KEY not in caplog.text
