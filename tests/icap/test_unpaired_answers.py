"""``icap.unpaired_answers``: an AI API's answer whose request this process never judged."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.icap.support import IcapClient, IcapStack, icap_stack, reqmod, respmod, still_in_step
from tests.support.polling import wait_for

OPENAI = "https://api.openai.com/v1/chat/completions"
ANTHROPIC = "https://api.anthropic.com/v1/messages"
SECRET_ANSWER = b'{"choices": [{"message": {"content": "the quarterly numbers"}}]}'


@pytest.fixture(scope="module")
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IcapStack]:
    settings = {"icap.unpaired_answers": "refuse", "icap.answer_wait_seconds": 0.5}
    with icap_stack(tmp_path_factory.mktemp("unpaired"), settings) as stack:
        yield stack


@pytest.fixture
def client(refusing: IcapStack) -> Iterator[IcapClient]:
    with refusing.client() as connection:
        yield connection


def test_an_unseen_answer_is_refused_in_the_providers_format(
    client: IcapClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "haetae.icap"):
        client.send(respmod(OPENAI, 200, SECRET_ANSWER, preview=0))
        answer = client.read()
    assert answer.status == 200 and answer.sections == ["res-hdr", "res-body"]
    assert answer.http_status == 502
    error = orjson.loads(answer.body)["error"]
    assert error["code"] == "icap_answer_unpaired"
    assert "icap.unpaired_answers" in error["message"]
    assert b"quarterly" not in answer.body
    assert "refused provider=openai" in caplog.text
    assert "quarterly" not in caplog.text  # the reason is logged, never the content
    still_in_step(client, "respmod")


def test_the_refusal_is_in_korean_and_in_anthropics_format(client: IcapClient) -> None:
    korean = {"Accept-Language": "ko-KR,ko;q=0.9"}
    client.send(respmod(ANTHROPIC, 200, b"{}", request_headers=korean, preview=0))
    answer = client.read()
    assert answer.http_status == 502
    assert answer.http_header("content-language") == "ko"
    body = orjson.loads(answer.body)
    assert body["type"] == "error"  # Anthropic's envelope
    assert "응답을 전달하지 않았습니다" in body["error"]["message"]
    still_in_step(client, "respmod")


def test_an_answer_from_another_host_still_passes(client: IcapClient) -> None:
    client.send(respmod("https://example.com/", 200, b"<html>", preview=0))
    assert client.read().status == 204
    still_in_step(client, "respmod")


def test_an_answer_after_the_wait_is_refused_and_its_request_recorded_as_unseen(
    refusing: IcapStack, client: IcapClient
) -> None:
    tag = {"X-Haetae-Transaction": "late-1", "X-Authenticated-User": "late-user"}
    client.send(reqmod(OPENAI, b'{"model": "gpt-4o-mini", "messages": []}', icap_headers=tag))
    assert client.read().status == 204
    time.sleep(0.8)  # past icap.answer_wait_seconds (0.5)
    client.send(respmod(OPENAI, 200, SECRET_ANSWER, icap_headers=tag, preview=0))
    assert client.read().http_status == 502
    record = wait_for(
        lambda: next(
            (
                r
                for r in refusing.stack.audit_tail(30)
                if r.user == "late-user" and r.decision == "complete"
            ),
            None,
        ),
        5,
    )
    assert record.error == "icap_answer_not_seen"
    still_in_step(client, "respmod")


def test_by_default_an_unseen_answer_passes_unjudged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, "haetae.icap"),
        icap_stack(tmp_path) as icap,
        icap.client() as client,
    ):
        client.send(respmod(OPENAI, 200, SECRET_ANSWER, preview=0))
        assert client.read().status == 204
    assert "passed unjudged provider=openai" in caplog.text
