"""The ICAP server spoken to over a raw socket, message by message (RFC 3507).

Each test sends exactly what a proxy would, reads the answer as framed, and then
checks the connection is still in step (or closed, after a broken message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from gateway.audit import AuditRecord, open_audit_store
from gateway.audit.phases import is_opening
from gateway.audit.writer import ThreadedAuditStore
from gateway.inspection import Detect
from tests.icap.support import (
    IcapClient,
    IcapStack,
    b64,
    chunked,
    icap_stack,
    reqmod,
    respmod,
    still_in_step,
)
from tests.support.polling import wait_for
from tests.support.stack import ROOT
from tests.support.values import EMAIL, RRN

OPENAI = "https://api.openai.com/v1/chat/completions"
ANTHROPIC = "https://api.anthropic.com/v1/messages"


def chat(text: str) -> bytes:
    return orjson.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]})


@pytest.fixture(scope="module")
def icap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IcapStack]:
    with icap_stack(tmp_path_factory.mktemp("icap")) as stack:
        yield stack


@pytest.fixture
def client(icap: IcapStack) -> Iterator[IcapClient]:
    with icap.client() as connection:
        yield connection


def settled(icap: IcapStack) -> None:
    """Wait until the store holds every record appended so far: an opening is durable in
    the journal when the 204 leaves, and committed with the writer's next batch."""
    icap.stack.settled()


def newest(icap: IcapStack, decision: str) -> object:
    settled(icap)
    return wait_for(
        lambda: next(
            (r for r in reversed(icap.stack.audit_tail(30)) if r.decision == decision), None
        ),
        5,
        message=f"no {decision} record",
    )


def completed(icap: IcapStack, user: str) -> AuditRecord:
    """The completion record of ``user``'s request, once its answer has been seen."""
    return wait_for(
        lambda: next(
            (r for r in icap.stack.audit_tail(30) if r.decision == "complete" and r.user == user),
            None,
        ),
        5,
        message=f"no completion for {user}",
    )


# ----------------------------------------------------------------------------- OPTIONS


@pytest.mark.parametrize("service", ["reqmod", "respmod"])
def test_options_name_the_method_preview_and_204(client: IcapClient, service: str) -> None:
    client.send(f"OPTIONS icap://127.0.0.1/{service} ICAP/1.0\r\nHost: x\r\n\r\n".encode())
    answer = client.read()
    assert answer.status == 200
    assert answer.headers["methods"] == service.upper()
    assert answer.headers["preview"] == "4096"  # the default icap.preview_bytes
    assert answer.headers["allow"] == "204"
    assert answer.headers["transfer-preview"] == "*"
    assert answer.headers["istag"].startswith('"haetae-') and len(answer.headers["istag"]) <= 34
    assert int(answer.headers["max-connections"]) > 0
    assert int(answer.headers["options-ttl"]) > 0
    still_in_step(client)


# ----------------------------------------------------------------------------- REQMOD


def test_an_allowed_request_is_204_and_recorded_with_the_proxys_user(
    icap: IcapStack, client: IcapClient
) -> None:
    headers = {"X-Authenticated-User": b64("Local://kim.minsu"), "X-Client-IP": "10.1.2.3"}
    client.send(reqmod(OPENAI, chat("hello"), icap_headers=headers))
    answer = client.read()
    assert answer.status == 204
    record = newest(icap, "allow")
    assert (record.user, record.client_address, record.provider) == (  # type: ignore[attr-defined]
        "kim.minsu",
        "10.1.2.3",
        "openai",
    )
    still_in_step(client)


def test_a_plain_user_name_is_taken_as_sent(icap: IcapStack, client: IcapClient) -> None:
    client.send(reqmod(OPENAI, chat("plain"), icap_headers={"X-Authenticated-User": "lee.jiwoo"}))
    assert client.read().status == 204
    assert newest(icap, "allow").user == "lee.jiwoo"  # type: ignore[attr-defined]


def test_a_resident_number_is_refused_in_openai_format_in_korean(
    icap: IcapStack, client: IcapClient
) -> None:
    client.send(
        reqmod(OPENAI, chat(f"주민번호 {RRN}"), http_headers={"Accept-Language": "ko-KR,ko"})
    )
    answer = client.read()
    assert answer.status == 200 and answer.sections == ["res-hdr", "res-body"]
    assert answer.http_status == 403
    assert answer.http_header("content-length") == str(len(answer.body))
    error = orjson.loads(answer.body)["error"]
    assert error["code"] == "blocked_by_policy" and "pipa-resident-number" in error["message"]
    assert "주민등록번호" in error["message"]
    assert RRN not in answer.body.decode()
    assert newest(icap, "block").provider == "openai"  # type: ignore[attr-defined]
    assert icap.stack.fake.received == []  # nothing is ever forwarded by Haetae itself
    still_in_step(client)


def test_a_refusal_to_anthropic_is_in_anthropics_format(client: IcapClient) -> None:
    body = orjson.dumps(
        {
            "model": "claude-3-5-haiku-latest",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": f"id {RRN}"}],
        }
    )
    client.send(reqmod(ANTHROPIC, body))
    answer = client.read()
    assert answer.http_status == 403
    document = orjson.loads(answer.body)
    assert document["type"] == "error" and document["error"]["type"] == "permission_error"


def test_an_email_address_is_redacted_in_a_modified_request(client: IcapClient) -> None:
    client.send(reqmod(OPENAI, chat(f"mail {EMAIL} please"), http_headers={"X-Note": "kept"}))
    answer = client.read()
    assert answer.status == 200 and answer.sections == ["req-hdr", "req-body"]
    assert answer.http_head.startswith(b"POST " + OPENAI.encode() + b" HTTP/1.1\r\n")
    assert EMAIL not in answer.body.decode()
    assert "<EMAIL_ADDRESS>" in answer.body.decode()
    assert answer.http_header("content-length") == str(len(answer.body))
    assert answer.http_header("x-note") == "kept"
    assert answer.http_header("host") == "api.openai.com"
    still_in_step(client)


def test_a_preview_of_zero_asks_for_the_body_of_an_ai_request(client: IcapClient) -> None:
    body = chat(f"rrn {RRN}")
    client.send(reqmod(OPENAI, body, preview=0))
    assert client.read().status == 100
    client.send(chunked(body, pieces=3))
    answer = client.read()
    assert answer.http_status == 403
    still_in_step(client)


def test_a_whole_body_in_the_preview_needs_no_continue(client: IcapClient) -> None:
    body = chat("short")
    client.send(reqmod(OPENAI, body, preview=4096))  # ends with "0; ieof"
    assert client.read().status == 204
    still_in_step(client)


def test_other_hosts_get_204_before_their_body_is_sent(icap: IcapStack, client: IcapClient) -> None:
    settled(icap)
    before = len(icap.stack.audit_tail(100))
    client.send(reqmod("https://example.com/upload", b"x" * 10_000, preview=0))
    assert client.read().status == 204  # no 100 Continue: the body never travels
    still_in_step(client)
    assert len(icap.stack.audit_tail(100)) == before  # not an AI request: not recorded


def test_without_allow_204_an_unchanged_request_comes_back_whole(client: IcapClient) -> None:
    body = chat("hello again")
    message = reqmod(OPENAI, body).replace(b"Allow: 204\r\n", b"")
    client.send(message)
    answer = client.read()
    assert answer.status == 200 and answer.sections == ["req-hdr", "req-body"]
    assert orjson.loads(answer.body) == orjson.loads(body)
    client.send(reqmod("http://example.com/x", b"abc").replace(b"Allow: 204\r\n", b""))
    echoed = client.read()
    assert echoed.status == 200 and echoed.body == b"abc"
    still_in_step(client)


def test_a_body_over_the_limit_is_refused_with_413(tmp_path: Path) -> None:
    with icap_stack(tmp_path, {"limits.max_body_bytes": 1024}) as icap, icap.client() as client:
        client.send(reqmod(OPENAI, chat("x" * 4000)))
        answer = client.read()
        assert answer.http_status == 413
        assert orjson.loads(answer.body)["error"]["type"] == "invalid_request_error"


def test_identity_headers_from_an_untrusted_proxy_are_ignored_and_recorded(
    tmp_path: Path,
) -> None:
    untrusted = {"icap.trusted_proxies": ["10.9.0.0/16"]}
    with icap_stack(tmp_path, untrusted) as icap, icap.client() as client:
        headers = {"X-Authenticated-User": b64("boss"), "X-Client-IP": "10.1.2.3"}
        client.send(reqmod(OPENAI, chat("hello"), icap_headers=headers))
        assert client.read().status == 204
        record = newest(icap, "allow")
        assert record.user is None  # type: ignore[attr-defined]
        assert record.client_address == "127.0.0.1"  # type: ignore[attr-defined]
        assert "X-Authenticated-User" in str(record.details)  # type: ignore[attr-defined]


def test_a_caller_cannot_type_the_trusted_identity_header_through_the_proxy(
    tmp_path: Path,
) -> None:
    settings = {"identity.trusted_headers.proxies": ["127.0.0.1/32"]}
    with icap_stack(tmp_path, settings) as icap, icap.client() as client:
        message = reqmod(OPENAI, chat("hi"), http_headers={"X-Forwarded-User": "ceo"})
        client.send(message)
        answer = client.read()
        assert answer.status == 200  # modified: the typed header does not go on
        assert answer.http_header("x-forwarded-user") is None
        assert newest(icap, "allow").user is None  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- RESPMOD


def test_an_answer_is_paired_with_its_request_and_completes_the_record(
    icap: IcapStack, client: IcapClient
) -> None:
    tag = {"X-Haetae-Transaction": "pair-1"}
    client.send(reqmod(OPENAI, chat("pair me"), icap_headers=tag))
    assert client.read().status == 204
    answer_body = orjson.dumps({"choices": [{"message": {"content": f"yours: {RRN}"}}]})
    client.send(respmod(OPENAI, 200, answer_body, icap_headers=tag))
    answer = client.read()
    assert answer.status == 200 and answer.sections == ["res-hdr", "res-body"]
    assert answer.http_status == 200
    assert RRN not in answer.body.decode()  # the default policy masks it in answers
    assert answer.http_header("x-haetae-answer") == "mask"
    record = newest(icap, "complete")
    assert record.status == 200  # type: ignore[attr-defined]
    still_in_step(client)


def test_an_answer_with_nothing_to_judge_is_204_and_still_recorded(tmp_path: Path) -> None:
    policies = shutil.copytree(ROOT / "policies", tmp_path / "policies")
    policy = policies / "default.yaml"
    policy.write_text(policy.read_text().replace("direction: response", "direction: request"))
    with icap_stack(tmp_path, policy=policy) as icap, icap.client() as client:
        tag = {"X-Haetae-Transaction": "t-204"}
        client.send(reqmod(OPENAI, chat("hello"), icap_headers=tag))
        assert client.read().status == 204
        client.send(respmod(OPENAI, 201, b'{"ok":true}', icap_headers=tag, preview=0))
        assert client.read().status == 204  # decided on the head: no 100 Continue
        still_in_step(client)
        assert newest(icap, "complete").status == 201  # type: ignore[attr-defined]


def test_an_answer_without_its_request_is_left_alone(client: IcapClient) -> None:
    client.send(respmod("https://example.com/", 200, b"<html>", preview=0))
    assert client.read().status == 204
    still_in_step(client)


def test_without_respmod_one_record_durable_before_204_says_the_answer_is_not_seen(
    tmp_path: Path,
) -> None:
    with icap_stack(tmp_path, {"icap.answer_wait_seconds": 0}) as icap, icap.client() as client:
        headers = {"X-Authenticated-User": b64("kim"), "X-Client-IP": "10.1.2.3"}
        client.send(reqmod(OPENAI, chat(f"mail {EMAIL} please"), icap_headers=headers))
        answer = client.read()
        assert answer.status == 200 and EMAIL not in answer.body.decode()  # still redacted
        # durable before the answer (journaled), stored with the writer's next batch
        settled(icap)
        records = icap.stack.audit_tail(30)
        assert len(records) == 1  # no opening and completion: one record
        record = records[0]
        assert (record.decision, record.status, record.error) == (
            "redact",
            504,
            "icap_answer_not_seen",
        )
        assert (record.user, record.client_address) == ("kim", "10.1.2.3")
        assert record.findings and not is_opening(record)
        still_in_step(client)


def test_without_respmod_a_request_given_up_before_its_record_is_durable_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gateway stops while a request waits for its record to be durable: the
    record that would have let it go is followed by one saying it was not."""

    flushing = threading.Event()

    async def never(
        self: ThreadedAuditStore,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        leaving: bool = False,
    ) -> None:
        flushing.set()
        await asyncio.Event().wait()

    with icap_stack(tmp_path, {"icap.answer_wait_seconds": 0}) as icap:
        url = icap.stack.audit_url
        client = icap.client()
        monkeypatch.setattr(ThreadedAuditStore, "flush", never)
        client.send(reqmod(OPENAI, chat("hello")))
        assert flushing.wait(10)  # the gateway stops while the pipeline waits on it
    client.close()
    records = open_audit_store(url).tail(10)
    assert [(r.decision, r.error) for r in records] == [
        ("allow", "icap_answer_not_seen"),
        ("error", "client_disconnected"),
    ]
    assert records[0].request_id == records[1].request_id


@pytest.mark.parametrize("wait", [0, 60])
def test_an_audit_store_that_cannot_record_refuses_with_503(tmp_path: Path, wait: int) -> None:
    settings = {"audit.spool": "off", "icap.answer_wait_seconds": wait}
    with icap_stack(tmp_path, settings) as icap, icap.client() as client:
        with contextlib.closing(sqlite3.connect(tmp_path / "audit.db")) as conn:
            conn.execute("DROP TABLE audit_records")
        client.send(reqmod(OPENAI, chat("hello")))
        answer = client.read()
        if answer.status == 204:
            # Its opening was journaled before the failure showed, at the writer's commit:
            # durable there (stored at the next start), and nothing leaves after it.
            journaled = b"".join(p.read_bytes() for p in tmp_path.glob("*.journal"))
            assert b'"decision":"allow"' in journaled
            wait_for(lambda: not icap.stack.app.audit.healthy or None, 5, message="healthy")
            client.send(reqmod(OPENAI, chat("hello")))
            answer = client.read()
        assert answer.status == 200 and answer.http_status == 503


# ----------------------------------------------------------------- fail closed, bounds


def test_a_scanner_failure_is_an_http_error_never_204(
    icap: IcapStack, client: IcapClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: Detect, exchange: object) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr(Detect, "__call__", broken)
    client.send(reqmod(OPENAI, chat("hello")))
    answer = client.read()
    assert answer.status == 200 and answer.http_status == 500
    assert b"internal detail" not in answer.body


MALFORMED = [
    (b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n", 400),
    (
        b"RESPMOD icap://127.0.0.1/respmod ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=34\r\n"
        b"\r\nGET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
        400,
    ),
    (b"HELLO\r\n\r\n", 400),
    (b"REQMOD icap://127.0.0.1/reqmod ICAP/2.0\r\nEncapsulated: null-body=0\r\n\r\n", 505),
    (b"PATCH icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n", 501),
    (b"REQMOD http://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n", 400),
    (b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\n\r\n", 400),  # no Encapsulated
    (b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=5\r\n\r\n", 400),
    (
        b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: req-body=0, req-hdr=9\r\n\r\n",
        400,
    ),
    (b"REQMOD icap://127.0.0.1/other ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n", 404),
    (b"RESPMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n", 405),
    (
        b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nBad header\r\n"
        b"Encapsulated: null-body=0\r\n\r\n",
        400,
    ),
    (
        b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\n"
        b"Encapsulated: req-hdr=0, null-body=9\r\n\r\nNOT HTTP\n",
        400,
    ),
    (
        b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nPreview: many\r\n"
        b"Encapsulated: req-hdr=0, req-body=45\r\n\r\n"
        b"POST http://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n0\r\n\r\n",
        400,
    ),
]


@pytest.mark.parametrize(("message", "status"), MALFORMED)
def test_malformed_icap_gets_its_error_and_the_connection_closes(
    client: IcapClient, message: bytes, status: int
) -> None:
    client.send(message)
    assert client.read().status == status
    assert client.closed()


def test_a_broken_chunk_in_an_ai_request_is_400(client: IcapClient) -> None:
    body = chat("hello")
    message = reqmod(OPENAI, body)
    client.send(message[: message.index(b"\r\n\r\n", message.index(b"Content-Length")) + 4])
    client.send(b"zz\r\nnot a chunk\r\n0\r\n\r\n")
    assert client.read().status == 400  # never a 204 for what could not be read
    assert client.closed()


def test_a_head_over_the_limit_is_400(icap: IcapStack) -> None:
    with icap.client() as client:
        client.send(b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nX-Big: " + b"a" * 70_000)
        assert client.read().status == 400


def test_an_idle_connection_is_closed_after_the_timeout(tmp_path: Path) -> None:
    with icap_stack(tmp_path, {"icap.idle_timeout": 0.3}) as icap, icap.client() as client:
        began = time.monotonic()
        assert client.closed()
        assert time.monotonic() - began < 5


def test_connections_beyond_the_limit_get_503(tmp_path: Path) -> None:
    with icap_stack(tmp_path, {"icap.max_connections": 1}) as icap, icap.client() as first:
        still_in_step(first)  # the one allowed connection is open and served
        with socket.create_connection(("127.0.0.1", icap.port), timeout=5) as sock:
            second = IcapClient(sock)
            assert second.read().status == 503
            assert second.closed()


def test_a_body_spaced_as_sdks_send_it_is_still_unchanged(client: IcapClient) -> None:
    spaced = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}'
    client.send(reqmod(OPENAI, spaced))
    assert client.read().status == 204


def test_a_key_given_twice_is_sent_on_as_scanned_not_as_received(client: IcapClient) -> None:
    """Another parser could read the first copy, which was never the one judged."""
    twice = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], '
    twice += b'"messages": [{"role": "user", "content": "hello"}]}'
    client.send(reqmod(OPENAI, twice))
    answer = client.read()
    assert answer.status == 200 and answer.sections == ["req-hdr", "req-body"]
    assert answer.body.count(b'"messages"') == 1


def test_an_edited_query_value_changes_the_request_line(client: IcapClient) -> None:
    url = f"https://api.openai.com/v1/models?note={EMAIL}"
    client.send(reqmod(url, None, method="GET"))
    answer = client.read()
    assert answer.status == 200 and answer.sections == ["req-hdr", "null-body"]
    line = answer.http_head.split(b"\r\n", 1)[0].decode()
    assert line.startswith("GET https://api.openai.com/v1/models?note=") and EMAIL not in line


def test_an_origin_form_request_is_routed_by_its_host_header(client: IcapClient) -> None:
    client.send(reqmod(OPENAI, chat(f"rrn {RRN}"), origin_form=True))
    assert client.read().http_status == 403


def test_an_ai_answer_without_its_request_is_logged_and_left_alone(
    client: IcapClient, caplog: pytest.LogCaptureFixture
) -> None:
    unseen = "https://api.openai.com/v1/embeddings"  # no request to it waits here
    client.send(respmod(unseen, 200, b'{"data": []}', preview=0))
    assert client.read().status == 204
    assert "icap answer from an AI API without its request" in caplog.text
    still_in_step(client)


def test_a_client_ip_that_is_no_address_is_not_believed(
    icap: IcapStack, client: IcapClient
) -> None:
    headers = {"X-Client-IP": "10.0.0.1; drop table", "X-Authenticated-User": "park"}
    client.send(reqmod(OPENAI, chat("who am i"), icap_headers=headers))
    assert client.read().status == 204
    record = wait_for(
        lambda: next((r for r in reversed(icap.stack.audit_tail(30)) if r.user == "park"), None),
        5,
    )
    assert record.client_address == "127.0.0.1"


ANSWER_RULES = """
policy: icap-answers
rules:
  - id: pseudonymize-mail
    when: { entities: [EMAIL_ADDRESS] }
    action: pseudonymize
  - id: no-identifiers-in-answers
    when: { entities: [KR_RRN] }
    direction: response
    action: block
    message:
      en: The answer held an identifier.
      ko: 답변에 고유식별정보가 있습니다.
tests:
  - name: a resident number in an answer is blocked
    response: { text: "900101-1234568" }
    expect: { action: block, rules: [no-identifiers-in-answers] }
"""


@pytest.fixture(scope="module")
def answering(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IcapStack]:
    with icap_stack(tmp_path_factory.mktemp("answers"), policy_text=ANSWER_RULES) as stack:
        yield stack


def _completion(text: str) -> bytes:
    return orjson.dumps(
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
    )


def test_a_pseudonym_in_the_answer_is_restored_for_the_caller(answering: IcapStack) -> None:
    tag = {"X-Haetae-Transaction": "pseudo-1"}
    with answering.client() as client:
        client.send(
            reqmod(
                OPENAI,
                chat(f"mail {EMAIL}"),
                icap_headers=tag,
                http_headers={"Accept-Encoding": "gzip"},
            )
        )
        request = client.read()
        assert request.status == 200 and EMAIL not in request.body.decode()
        assert request.http_header("accept-encoding") == "identity"  # the answer must be readable
        sent = orjson.loads(request.body)["messages"][0]["content"]
        pseudonym = sent.removeprefix("mail ")
        client.send(respmod(OPENAI, 200, _completion(f"I wrote to {pseudonym}."), icap_headers=tag))
        answer = client.read()
        content = orjson.loads(answer.body)["choices"][0]["message"]["content"]
        assert content == f"I wrote to {EMAIL}."
        assert answer.http_header("content-length") is None  # the length changed; Squid frames it


def test_an_answer_a_rule_blocks_is_replaced_by_the_providers_error(answering: IcapStack) -> None:
    tag = {"X-Haetae-Transaction": "block-1", "X-Authenticated-User": "choi"}
    with answering.client() as client:
        client.send(reqmod(OPENAI, chat("my number?"), icap_headers=tag))
        assert client.read().status == 204
        client.send(respmod(OPENAI, 200, _completion(f"It is {RRN}."), icap_headers=tag))
        answer = client.read()
        assert answer.http_status == 403
        assert "The answer held an identifier." in orjson.loads(answer.body)["error"]["message"]
        assert RRN not in answer.body.decode()
        still_in_step(client)
    assert completed(answering, "choi").status == 403


def test_an_answer_without_a_body_is_204_and_completes_the_record(
    icap: IcapStack, client: IcapClient
) -> None:
    tag = {"X-Haetae-Transaction": "empty-1", "X-Authenticated-User": "han"}
    client.send(reqmod(OPENAI, chat("nothing back"), icap_headers=tag))
    assert client.read().status == 204
    client.send(respmod(OPENAI, 204, None, icap_headers=tag))
    assert client.read().status == 204
    still_in_step(client)
    record = completed(icap, "han")
    assert record.status == 204


def test_stopping_with_a_proxys_idle_connection_open_logs_no_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Squid keeps its ICAP connections open: a shutdown closes them quietly."""
    with icap_stack(tmp_path) as icap:
        client = icap.client()
        client.send(reqmod(OPENAI, chat("hello")))
        assert client.read().status == 204  # served, and kept open for the next one
    client.close()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
