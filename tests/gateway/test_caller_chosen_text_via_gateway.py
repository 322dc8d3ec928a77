"""Text the caller chose outside the text fields, end to end through a real gateway.

Object keys, the URL path, the model name, query parameter names and credential
parameters all reach the provider, so each is scanned: a finding there counts for
the policy (a block rule blocks), an edit the policy would make there refuses the
request (a key cannot be rewritten in place), and the audit record names where a
finding was without ever writing the caller's key, path or model text.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.audit import AuditRecord
from tests.support.values import EMAIL, RRN

CHAT = "/openai/v1/chat/completions"
GEMINI = "/gemini/v1beta/models/gemini-2.5-flash:generateContent"
GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
CHAT_BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}


def _send(stack, path: str, body: object | None = None, raw: bytes | None = None):
    content = raw if raw is not None else orjson.dumps(body) if body is not None else None
    method = "POST" if content is not None else "GET"
    return httpx.request(
        method,
        stack.url(path),
        content=content,
        headers={"content-type": "application/json"},
        timeout=10,
    )


def _record(stack, response: httpx.Response) -> AuditRecord:
    """The audit record of ``response`` (written once its answer has ended)."""
    return stack.record(response.headers["x-haetae-request-id"])


def _store_bytes(stack) -> bytes:
    database = Path(stack.audit_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))


def _no_raw_values(stack) -> None:
    raw = _store_bytes(stack)
    assert RRN.encode() not in raw
    assert EMAIL.encode() not in raw
    assert RRN.replace("-", "").encode() not in raw


def test_an_email_key_refuses_the_redaction_and_is_never_recorded(fake, stack) -> None:
    body = {**CHAT_BODY, "metadata": {EMAIL: f"write to {EMAIL}"}}
    response = _send(stack, CHAT, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "uneditable_content"
    assert "a JSON object key" in error["message"] and "EMAIL_ADDRESS" in error["message"]
    assert EMAIL not in error["message"]
    assert fake.received == []  # nothing left
    record = _record(stack, response)
    assert record.error == "uneditable_content"
    assert {f.location for f in record.findings} == {"metadata.*"}
    _no_raw_values(stack)


def test_a_gemini_function_response_keyed_by_an_email_is_refused(fake, stack) -> None:
    part = {"functionResponse": {"name": "lookup", "response": {EMAIL: {"note": f"mail {EMAIL}"}}}}
    body = {"contents": [{"role": "user", "parts": [part]}]}
    response = _send(stack, GEMINI, body)
    assert response.status_code == 400
    assert fake.received == []
    locations = {f.location for f in _record(stack, response).findings}
    assert locations == {
        "contents[0].parts[0].functionResponse.response.*",
        "contents[0].parts[0].functionResponse.response.*.note",
    }
    _no_raw_values(stack)


def test_an_rrn_key_is_blocked_by_the_rule_on_rrns(fake, stack) -> None:
    response = _send(stack, CHAT, {**CHAT_BODY, "metadata": {RRN: "x"}})
    assert response.status_code == 403
    assert fake.received == []
    record = _record(stack, response)
    assert record.rule_ids == ["pipa-resident-number"]
    assert [f.location for f in record.findings] == ["metadata.*"]
    _no_raw_values(stack)


def test_a_plain_key_stays_readable_and_its_value_is_edited(fake, stack) -> None:
    response = _send(stack, CHAT, {**CHAT_BODY, "metadata": {"note": f"write to {EMAIL}"}})
    assert response.status_code == 200
    (received,) = fake.received
    assert orjson.loads(received.body)["metadata"] == {"note": "write to <EMAIL_ADDRESS>"}
    assert [f.location for f in _record(stack, response).findings] == ["metadata.note"]


@pytest.mark.parametrize(
    ("path", "body", "recorded_path", "recorded_model"),
    [
        (
            f"/openai/v1/{RRN}/chat/completions",
            CHAT_BODY,
            "/v1/<KR_RRN>/chat/completions",
            "gpt-4o",
        ),
        (f"/openai/v1/models/{RRN}", None, "/v1/models/<KR_RRN>", None),
        (
            f"/openai/v1/models/{urllib.parse.quote(RRN, safe='')}".replace("-", "%2D"),
            None,
            "/v1/models/<KR_RRN>",
            None,
        ),
        (
            f"/gemini/v1beta/models/{RRN}:generateContent",
            GEMINI_BODY,
            "/v1beta/models/<KR_RRN>:generateContent",
            "<redacted>",
        ),
        (CHAT, {**CHAT_BODY, "model": f"gpt-4o {RRN}"}, "/v1/chat/completions", "gpt-4o <KR_RRN>"),
    ],
    ids=["path-prefix", "read-only-listing", "percent-encoded", "gemini-model", "body-model"],
)
def test_the_path_and_the_model_are_scanned_and_recorded_without_findings(
    fake, stack, path: str, body: object, recorded_path: str, recorded_model: str | None
) -> None:
    response = _send(stack, path, body)
    assert response.status_code == 403
    assert fake.received == []
    record = _record(stack, response)
    assert (record.path, record.model) == (recorded_path, recorded_model)
    assert record.rule_ids == ["pipa-resident-number"]
    _no_raw_values(stack)


def test_an_unrouted_path_is_scanned_and_recorded_without_what_was_found(fake, stack) -> None:
    response = _send(stack, f"/openai/v1/{RRN}", CHAT_BODY)
    assert response.status_code == 403  # not an inspected endpoint
    assert _record(stack, response).path == "/v1/<KR_RRN>"
    _no_raw_values(stack)


def test_a_query_parameter_name_is_scanned_and_never_recorded(fake, stack) -> None:
    response = _send(stack, f"{CHAT}?{RRN}=1", CHAT_BODY)
    assert response.status_code == 403
    assert fake.received == []
    assert [f.location for f in _record(stack, response).findings] == ["?*"]
    fake.reset()
    # a name the policy would redact cannot be rewritten: refused
    response = _send(stack, f"{CHAT}?{urllib.parse.quote(EMAIL)}=x", CHAT_BODY)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "uneditable_content"
    assert fake.received == []
    _no_raw_values(stack)


@pytest.mark.parametrize("name", ["key", "KEY", "api_key", "%6Bey", "access_token"])
def test_injected_providers_never_forward_a_credential_parameter(fake, stack, name) -> None:
    response = _send(stack, f"{GEMINI}?{name}={RRN}&alt=sse", GEMINI_BODY)
    assert response.status_code == 200
    (received,) = fake.received
    assert received.query == "alt=sse"


def test_passthrough_credential_parameters_are_scanned_except_for_secrets(fake, stack) -> None:
    response = _send(stack, f"{CHAT}?api_key={RRN}", CHAT_BODY)  # openai: no injected key
    assert response.status_code == 403
    assert fake.received == []
    assert [f.location for f in _record(stack, response).findings] == ["?api_key"]
    # the caller's own provider key goes upstream as sent, never flagged
    own_key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
    response = _send(stack, f"{CHAT}?api_key={own_key}", CHAT_BODY)
    assert response.status_code == 200
    (received,) = fake.received
    assert received.query == f"api_key={own_key}"
    fake.reset()
    # anything else in it is edited like any query value
    response = _send(stack, f"{CHAT}?api_key={urllib.parse.quote(EMAIL)}&n=1", CHAT_BODY)
    assert response.status_code == 200
    (received,) = fake.received
    assert received.query == "api_key=%3CEMAIL_ADDRESS%3E&n=1"
    assert orjson.loads(received.body) == CHAT_BODY
    _no_raw_values(stack)


def test_a_structural_parameter_holding_data_is_scanned(fake, stack) -> None:
    response = _send(stack, f"{CHAT}?api-version={RRN}", CHAT_BODY)
    assert response.status_code == 403
    assert fake.received == []
    fake.reset()
    ok = _send(stack, f"{CHAT}?api-version=2024-10-21", CHAT_BODY)
    assert ok.status_code == 200 and fake.received[0].query == "api-version=2024-10-21"


def test_an_integer_beyond_64_bits_is_refused_not_forwarded(fake, stack) -> None:
    raw = (
        b'{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],'
        b'"metadata":{"acct":12345678901234567890123}}'
    )
    response = _send(stack, CHAT, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "uninspectable_content"
    assert fake.received == []


def test_a_key_given_twice_is_forwarded_as_scanned(fake, stack) -> None:
    """The parser keeps the last copy; a provider keeping the first would read unscanned text,
    so the body forwarded is the document that was scanned, not the bytes received."""
    raw = (
        b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "my RRN is '
        + RRN.encode()
        + b'"}], "messages": [{"role": "user", "content": "hello"}]}'
    )
    reply = _send(stack, CHAT, raw=raw)
    assert reply.status_code == 200, reply.text
    (received,) = fake.received
    assert RRN.encode() not in received.body
    assert received.body.count(b'"messages"') == 1


# -- labels: the client application's headers ------------------------------------------

GITHUB = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW11ySowm"
AWS_KEY = "AKIAZ3MSK2PLQW7RTX4N"
LABEL_VALUES = [RRN, GITHUB, AWS_KEY]


def _no_raw_labels(stack) -> None:
    raw = _store_bytes(stack)
    leaked = [value for value in LABEL_VALUES if value.encode() in raw]
    leaked += [value for value in LABEL_VALUES if value.lower().encode() in raw]
    assert not leaked, f"the audit store holds {leaked}"


def _send_with(stack, path: str, body: object | None, **headers: str) -> httpx.Response:
    content = orjson.dumps(body) if body is not None else None
    return httpx.request(
        "POST" if content is not None else "GET",
        stack.url(path),
        content=content,
        headers={"content-type": "application/json", **headers},
        timeout=10,
    )


@pytest.mark.parametrize("header", ["user-agent", "x-haetae-client"])
@pytest.mark.parametrize(
    ("value", "rule", "recorded"),
    [
        (RRN, "pipa-resident-number", "<KR_RRN>"),
        (GITHUB, "no-secrets", "<SECRET_GITHUB_TOKEN>"),
        (AWS_KEY, "no-secrets", "<SECRET_AWS_ACCESS_KEY>"),
        (f"curl/8.5 {RRN}", "pipa-resident-number", "curl"),
    ],
    ids=["rrn", "github-token", "aws-key", "after-the-product"],
)
def test_a_label_holding_what_the_policy_blocks_is_blocked_and_recorded_masked(
    fake, stack, header: str, value: str, rule: str, recorded: str
) -> None:
    """Every string the caller sends is seen: a label is judged like a prompt."""
    response = _send_with(stack, CHAT, CHAT_BODY, **{header: value})
    assert response.status_code == 403
    assert rule in response.json()["error"]["message"]
    assert fake.received == []
    record = _record(stack, response)
    assert record.rule_ids == [rule]
    if header == "x-haetae-client" and value.startswith("curl/"):
        recorded = "curl"  # the header's first token names the application
    assert record.client_application == recorded
    assert {f.location for f in record.findings} == {f"(header:{header})"}
    _no_raw_labels(stack)


def test_a_label_the_policy_would_edit_is_edited_where_it_is_forwarded(fake, stack) -> None:
    response = _send_with(stack, CHAT, CHAT_BODY, **{"user-agent": f"mytool/1.0 (mailto {EMAIL})"})
    assert response.status_code == 200
    (received,) = fake.received
    assert received.headers["user-agent"] == "mytool/1.0 (mailto <EMAIL_ADDRESS>)"
    record = _record(stack, response)
    assert (record.client_application, record.edits) == ("mytool", {"EMAIL_ADDRESS": "redact"})
    assert [f.location for f in record.findings] == ["(header:user-agent)"]
    _no_raw_values(stack)


def test_an_ordinary_label_is_recorded_as_it_is(fake, stack) -> None:
    response = _send_with(stack, CHAT, CHAT_BODY, **{"x-haetae-client": "Cursor"})
    assert response.status_code == 200
    assert _record(stack, response).client_application == "cursor"
    assert fake.received[0].headers["user-agent"].startswith("python-httpx/")


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "recorded_path"),
    [
        (f"/{GITHUB}/v1/chat", CHAT_BODY, {}, 404, "/<SECRET_GITHUB_TOKEN>/v1/chat"),
        (
            f"/openai/v1/{GITHUB}/assistants",
            CHAT_BODY,
            {},
            403,
            "/v1/<SECRET_GITHUB_TOKEN>/assistants",
        ),
        (f"/openai/v1/files/{AWS_KEY}", None, {}, 403, "/v1/files/<SECRET_AWS_ACCESS_KEY>"),
        (
            f"/openai/v1/{GITHUB}/chat/completions",
            "not json",
            {},
            400,
            "/v1/<SECRET_GITHUB_TOKEN>/chat/completions",
        ),
        (
            f"/openai/v1/{RRN}/chat/completions",
            CHAT_BODY,
            {"x-haetae-key": "hk_" + "a" * 43},
            401,
            "/v1/<KR_RRN>/chat/completions",
        ),
    ],
    ids=["unknown-provider", "uninspected-path", "read-only-method", "bad-body", "bad-key"],
)
def test_a_refused_path_is_masked_like_a_forwarded_one(
    fake, stack, path: str, body: object, headers: dict[str, str], status: int, recorded_path: str
) -> None:
    """Refused before Detect: the path and the labels are scanned for the record alone."""
    response = _send_with(stack, path, body, **{"user-agent": f"{RRN}/1.0", **headers})
    assert response.status_code == status
    assert fake.received == []
    record = _record(stack, response)
    assert record.path == recorded_path
    assert record.client_application == "<KR_RRN>"
    _no_raw_labels(stack)


def test_an_upstream_failure_s_record_carries_the_labels_masked(fake, stack) -> None:
    response = _send_with(
        stack, "/mistral/v1/chat/completions", CHAT_BODY, **{"user-agent": f"tool/1 {EMAIL}"}
    )
    assert response.status_code == 502
    record = _record(stack, response)
    assert (record.path, record.client_application) == ("/v1/chat/completions", "tool")
    assert record.error == "upstream_unreachable"
    _no_raw_values(stack)
