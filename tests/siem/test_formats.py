"""What a SIEM receives: RFC 5424 frames, CEF lines, HEC events and signed batches,
each carrying the record's facts and nothing it must not (the sealed evidence)."""

from __future__ import annotations

import hashlib
import hmac
import re

import orjson

from gateway.audit.record import AuditRecord, FindingSummary
from gateway.siem.formats import (
    cef_line,
    exported,
    signature,
    splunk_event,
    syslog_frame,
    webhook_body,
)


def record(**overrides: object) -> AuditRecord:
    values: dict[str, object] = {
        "record_id": "rec-1",
        "time": 1_767_225_600.25,  # 2026-01-01T00:00:00.250Z
        "request_id": "req-1",
        "client_address": "10.1.2.3",
        "user": "kim",
        "provider": "openai",
        "api": "chat",
        "model": "gpt-4o",
        "method": "POST",
        "path": "/openai/v1/chat/completions",
        "decision": "block",
        "status": 403,
        "rule_ids": ["no-rrn"],
        "entities": {"KR_RRN": 2},
        "findings": [FindingSummary("KR_RRN", "messages[0].content", 2, 1.0, ["ab12cd"])],
        "evidence": "sealed-box-of-raw-values",
        "seq": 7,
        "hash": "f" * 64,
    }
    values.update(overrides)
    return AuditRecord(**values)  # type: ignore[arg-type]


RFC5424 = re.compile(
    rb"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) - (?P<msgid>\S+) - "
    rb"\xef\xbb\xbf(?P<msg>.*)$",
    re.DOTALL,
)


def test_a_syslog_frame_is_octet_counted_rfc5424_with_the_record_as_json() -> None:
    frame = syslog_frame(
        record(),
        facility=13,
        hostname="gw-1",
        app_name="haetae",
        message_format="json",
        product_version="0.1.0",
    )
    length, _, message = frame.partition(b" ")
    assert int(length) == len(message)
    parts = RFC5424.match(message)
    assert parts is not None
    assert int(parts["pri"]) == 13 * 8 + 4  # log audit, warning: a block
    assert parts["ts"] == b"2026-01-01T00:00:00.250Z"
    assert (parts["host"], parts["app"], parts["msgid"]) == (b"gw-1", b"haetae", b"haetae.block")
    body = orjson.loads(parts["msg"])
    assert body["rule_ids"] == ["no-rrn"] and body["entities"] == {"KR_RRN": 2}
    assert body["findings"][0]["fingerprints"] == ["ab12cd"]
    assert "evidence" not in body


def test_an_allowed_request_is_informational_and_header_fields_stay_printable() -> None:
    frame = syslog_frame(
        record(decision="allow", status=200),
        facility=1,
        hostname="게이트웨이 1",
        app_name="hae tae",
        message_format="json",
        product_version="0.1.0",
    )
    parts = RFC5424.match(frame.partition(b" ")[2])
    assert parts is not None
    assert int(parts["pri"]) == 1 * 8 + 6
    assert parts["host"].isascii() and b" " not in parts["host"]
    assert parts["app"] == b"hae_tae"


def test_cef_escapes_what_would_break_its_fields() -> None:
    line = cef_line(
        record(user="a=b\\c\nd", model="x|y", decision="redact", status=200),
        product_version="0.1|beta",
    )
    # Seven header fields split at unescaped bars; the extension is the rest.
    fields = re.split(r"(?<!\\)\|", line, maxsplit=7)
    assert fields[:7] == [
        "CEF:0", "Haetae", "Haetae AI gateway", "0.1\\|beta", "haetae:redact",
        "AI request redact", "4",
    ]  # fmt: skip
    extension = fields[7]
    assert "suser=a\\=b\\\\c\\nd" in extension
    assert "cs4=x|y cs4Label=model" in extension  # '|' needs no escape after the header
    assert "cs2=KR_RRN:2 cs2Label=entities" in extension
    assert "rt=1767225600250" in extension
    assert "sealed" not in line


def test_splunk_events_and_webhook_batches_carry_the_exported_record() -> None:
    event = splunk_event(
        record(), index="ai", sourcetype="haetae:audit", source="haetae", host="gw-1"
    )
    assert event["time"] == 1_767_225_600.25 and event["index"] == "ai"
    assert event["event"] == exported(record())
    assert "evidence" not in event["event"]

    body = webhook_body([record(), record(seq=8, record_id="rec-2")])
    batch = orjson.loads(body)
    assert [r["seq"] for r in batch["records"]] == [7, 8]
    assert all("evidence" not in r for r in batch["records"])


def test_the_webhook_signature_covers_the_timestamp_and_the_body() -> None:
    secret = b"s" * 32
    body = webhook_body([record()])
    expected = hmac.new(secret, b"1767225600." + body, hashlib.sha256).hexdigest()
    assert signature(secret, "1767225600", body) == f"sha256={expected}"
    assert signature(secret, "1767225601", body) != signature(secret, "1767225600", body)
