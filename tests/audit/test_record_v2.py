"""Record version 2 as a real gateway writes it: where, what, how much, and never a value."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.audit import SCHEMA_VERSION, AuditRecord, open_audit_store
from gateway.audit.build import Fingerprinter
from gateway.audit.phases import ended_request
from gateway.dev.testing import ServerThread
from gateway.dev.testing.documents import text_image
from tests.support.polling import wait_for
from tests.support.stack import gateway_stack

RRN = "900101-1234568"
EMAIL = "kim.minsu@example.co.kr"
CHAT = "/openai/v1/chat/completions"
AUDIT_KEY = "audit-fingerprint-key-for-tests-0123456789"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerThread, str]]:
    folder = tmp_path_factory.mktemp("audit-v2")
    with gateway_stack(folder, environ={"HAETAE_AUDIT_KEY": AUDIT_KEY}) as stack:
        yield stack.server, stack.audit_url


def _post(server: ServerThread, body: dict[str, object]) -> str:
    response = httpx.post(server.url(CHAT), content=orjson.dumps(body), timeout=10)
    return response.headers["x-haetae-request-id"]


def _record(url: str, request_id: str) -> AuditRecord:
    def found() -> AuditRecord | None:
        return ended_request(open_audit_store(url).tail(50), request_id)

    return wait_for(found, 5.0, message=f"no audit record for {request_id}")


def test_a_redacted_request_records_where_what_and_usage(gateway) -> None:
    server, url = gateway
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": f"mail {EMAIL} and again {EMAIL}"},
    ]
    record = _record(url, _post(server, {"model": "gpt-4o", "messages": messages}))
    assert record.schema_version == SCHEMA_VERSION == 2
    assert (record.decision, record.jurisdiction, record.host) == ("redact", "US", "127.0.0.1")
    assert record.edits == {"EMAIL_ADDRESS": "redact"}
    (finding,) = record.findings
    assert (finding.entity_type, finding.location, finding.count) == (
        "EMAIL_ADDRESS",
        "messages[1].content",
        2,
    )
    assert 0 < finding.max_score <= 1
    # Two sightings of one value: one fingerprint, and it is the keyed HMAC of it.
    assert finding.fingerprints == [Fingerprinter(AUDIT_KEY.encode())(EMAIL)]
    assert record.usage is not None and record.usage["input_tokens"] > 0
    assert (
        record.usage["total_tokens"] == record.usage["input_tokens"] + record.usage["output_tokens"]
    )
    # the default policy tests endpoint.ip_country; the fake provider listens on loopback
    assert record.upstream_status == 200 and record.endpoint_country == "private"
    assert {"extract", "detect", "decide", "upstream", "total"} <= set(record.timings_ms)


def test_a_streamed_answer_records_the_usage_event(gateway) -> None:
    server, url = gateway
    body = {
        "model": "gpt-4o",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "hello there"}],
    }
    record = _record(url, _post(server, body))
    assert record.decision == "allow" and record.usage is not None
    assert record.usage["output_tokens"] > 0


def test_a_block_names_its_rule_and_the_store_never_holds_the_value(gateway) -> None:
    server, url = gateway
    messages = [{"role": "user", "content": f"my id {RRN}, mail {EMAIL}"}]
    record = _record(url, _post(server, {"model": "gpt-4o", "messages": messages}))
    assert (record.decision, record.rule_ids, record.edits) == (
        "block",
        ["pipa-resident-number"],
        {},
    )
    assert {f.entity_type for f in record.findings} >= {"KR_RRN"}
    assert all(f.location == "messages[0].content" for f in record.findings)
    assert record.usage is None  # nothing went upstream
    database = Path(url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert RRN.encode() not in raw and EMAIL.encode() not in raw
    assert b"kim.minsu" not in raw


def test_fingerprints_depend_on_the_key() -> None:
    one, other = Fingerprinter(b"k" * 32), Fingerprinter(b"j" * 32)
    assert one(EMAIL) == one(EMAIL) != other(EMAIL)
    assert len(one(EMAIL)) == 32 and EMAIL not in one(EMAIL)


def test_a_version_1_dictionary_reads_as_version_1() -> None:
    record = AuditRecord.from_dict(
        {
            "record_id": "r", "time": 1.0, "request_id": "q", "client_address": None,
            "user": None, "provider": None, "api": None, "model": None, "method": "POST",
            "path": "/", "decision": "allow",
        }
    )  # fmt: skip
    assert record.schema_version == 1 and record.findings == [] and record.groups == []
    assert AuditRecord.from_dict(record.to_dict()) == record


def test_attachments_references_and_ignored_identity_headers_are_recorded_by_kind(
    gateway,
) -> None:
    server, url = gateway
    png = text_image(["hello"])
    image = "data:image/png;base64," + base64.b64encode(png).decode()
    body = {
        "model": "gpt-4o-mini",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is in this picture?"},
                    {"type": "image_url", "image_url": {"url": image}},
                    {"type": "file", "file": {"file_id": "file-abc123"}},
                ],
            }
        ],
    }
    response = httpx.post(
        server.url(CHAT),
        content=orjson.dumps(body),
        headers={"x-forwarded-user": "mallory"},  # not from a trusted proxy: ignored
        timeout=10,
    )
    record = _record(url, response.headers["x-haetae-request-id"])
    assert record.details is not None
    assert record.details.pop("cost")["priced_as"] == "gpt-4o-mini"  # from its completion
    assert record.details == {
        "attachments": ["file", "image"],
        # the image read by OCR: its kind and sizes, never its text
        "files": [{"kind": "png", "bytes": len(png), "chars": 5, "images": 1}],
        "server_references": ["file_id"],
        "ignored_identity_headers": ["X-Forwarded-User"],  # the configured name
    }
    assert record.user is None
    assert "mallory" not in orjson.dumps(record.to_dict()).decode()


def test_caller_chosen_keys_paths_and_models_never_reach_the_record(gateway) -> None:
    """A finding in an object key, the URL or the model: located, counted, never quoted."""
    server, url = gateway
    body = {
        "model": f"gpt-4o {RRN}",
        "messages": [{"role": "user", "content": "hello"}],
        "metadata": {EMAIL: "x", "note": f"mail {EMAIL}"},
    }
    response = httpx.post(
        server.url(f"/openai/v1/{RRN}/chat/completions?{RRN}=1"),
        content=orjson.dumps(body),
        timeout=10,
    )
    assert response.status_code == 403
    record = _record(url, response.headers["x-haetae-request-id"])
    assert (record.path, record.model) == ("/v1/<KR_RRN>/chat/completions", "gpt-4o <KR_RRN>")
    assert {f.location for f in record.findings} == {
        "metadata.*",
        "metadata.note",
        "?*",
        "(path)",
        "model",
    }
    database = Path(url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert RRN.encode() not in raw and b"kim.minsu" not in raw


def test_an_address_split_across_messages_is_fingerprinted_whole_at_both_places(gateway) -> None:
    server, url = gateway
    local, domain = EMAIL.split("@")
    messages = [
        {"role": "user", "content": f"write to {local}"},
        {"role": "user", "content": f"@{domain} today"},
    ]
    record = _record(url, _post(server, {"model": "gpt-4o", "messages": messages}))
    assert record.entities == {"EMAIL_ADDRESS": 1}
    whole = [Fingerprinter(AUDIT_KEY.encode())(EMAIL)]
    found = {f.location: f.fingerprints for f in record.findings}
    assert found == {"messages[0].content": whole, "messages[1].content": whole}


def test_every_spelling_of_one_resident_number_gives_one_fingerprint(gateway) -> None:
    server, url = gateway
    prints = []
    for spelling in (
        "900101-1234568",
        "9001011234568",
        "900101 1234568",
        "９００１０１-１２３４５６８",
    ):
        messages = [{"role": "user", "content": f"주민번호 {spelling} 확인 부탁드립니다"}]
        record = _record(url, _post(server, {"model": "gpt-4o", "messages": messages}))
        assert record.decision == "block"
        prints += [f.fingerprints for f in record.findings if f.entity_type == "KR_RRN"]
    assert prints == [[Fingerprinter(AUDIT_KEY.encode())("9001011234568")]] * 4
