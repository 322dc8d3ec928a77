"""Records as rows: what the writer stores is each record's own JSON, chained as the verifier
expects, over many generated shapes (empty and filled lists and objects, None fields)."""

from __future__ import annotations

import random

import orjson

from gateway.audit.chain import GENESIS, record_hash
from gateway.audit.record import AuditRecord, FindingSummary
from gateway.audit.rows import COLUMNS, JSON_COLUMNS, chained_rows, row_of


def generated(rng: random.Random, i: int) -> AuditRecord:
    def maybe(value: object) -> object:
        return value if rng.random() < 0.5 else None

    def some(values: list[str]) -> list[str]:
        return rng.sample(values, rng.randint(0, len(values)))

    findings = [
        FindingSummary(
            entity_type=kind, location=f"messages[{n}].content", count=n + 1,
            max_score=rng.random(), fingerprints=some(["a1b2", "c3d4"]),
            direction=rng.choice(["request", "response"]),
            sources=rng.choice([{}, {"customers": 2}]),
        )
        for n, kind in enumerate(some(["KR_RRN", "EMAIL_ADDRESS", "PHONE_NUMBER"]))
    ]  # fmt: skip
    return AuditRecord(
        record_id=f"rec-{i}", time=1_700_000_000.0 + i / 7, request_id=f"req-{i // 2}",
        client_address=maybe("10.0.0.7"), user=maybe("김민준"), provider=maybe("openai"),
        api=maybe("chat"), model=maybe("gpt-4o"), method="POST", path="/v1/chat/completions",
        decision=rng.choice(["allow", "redact", "block", "complete"]),
        status=maybe(200), upstream_status=maybe(502), rule_ids=some(["r.one", "r.two"]),
        monitored_rule_ids=some(["m.one"]), entities={k: 1 for k in some(["KR_RRN", "IBAN"])},
        policy_version=maybe("v3"), error=maybe("ConnectError"),
        timings_ms={k: rng.random() for k in some(["total", "detect", "identify"])},
        groups=some(["eng", "sales"]), client_application=maybe("cli"), host=maybe("api.x"),
        jurisdiction=maybe("US"), endpoint_country=maybe("KR"), findings=findings,
        edits={k: "redact" for k in some(["KR_RRN"])},
        usage=rng.choice([None, {}, {"input_tokens": 3}]),
        details=rng.choice([None, {}, {"phase": "open", "writer": "w1"}, {"response": {}}]),
        evidence=maybe("sealed"),
    )  # fmt: skip


def test_a_row_holds_each_field_and_the_json_of_each_list_and_object() -> None:
    rng = random.Random(7)
    for i in range(500):
        data = generated(rng, i).to_dict()
        row = row_of(data)
        for column, value in zip(COLUMNS, row, strict=True):
            if column in JSON_COLUMNS and data[column] is not None:
                assert value == orjson.dumps(data[column]).decode(), column
            else:
                assert value == data[column], column


def test_chained_rows_link_and_hash_each_record_as_the_verifier_does() -> None:
    rng = random.Random(11)
    records = [generated(rng, i) for i in range(300)]
    rows = chained_rows(records, 41, GENESIS)
    previous = GENESIS
    for seq, (record, row) in enumerate(zip(records, rows, strict=True), start=42):
        assert (record.seq, record.prev_hash) == (seq, previous)
        assert record.hash == record_hash(record)
        assert row == row_of(record.to_dict())
        previous = record.hash
