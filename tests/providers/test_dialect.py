"""The shared dialect machinery: free-form walks, numbers, unknown fields, references."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from gateway.providers.dialect import (
    SCHEMA_KEYS,
    Extraction,
    Segment,
    UninspectableContent,
    apply_edits,
    walk_strings,
)
from gateway.providers.openai_chat import OpenAIChat


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (9001011234568, [("n", "9001011234568", "number")]),
        (4111111111111111, [("n", "4111111111111111", "number")]),
        (-123456, [("n", "-123456", "number")]),
        (100000, [("n", "100000", "number")]),
        (99999, []),  # five digits: a count or a port, never scanned
        (True, []),
        (9001011234568.0, []),  # floats are measurements, not identifiers
        (None, []),
        ("", []),
    ],
)
def test_long_integers_are_scanned_as_their_digits(value: Any, expected: list[Any]) -> None:
    assert [(s.location, s.text, s.form) for s in walk_strings(value, ("n",))] == expected


def test_an_edited_number_becomes_a_string_in_valid_json() -> None:
    body = {"input": {"card": 4111111111111111, "qty": 2, "ok": True}}
    (segment,) = walk_strings(body["input"], ("input",))
    apply_edits(body, {segment.path: segment.encode("<CREDIT_CARD>")})
    assert orjson.loads(orjson.dumps(body)) == {
        "input": {"card": "<CREDIT_CARD>", "qty": 2, "ok": True}
    }


def test_free_walk_skips_only_scalar_structural_keys_and_records_references() -> None:
    schema = {
        "type": "object",
        "description": "Look up a customer by e-mail",
        "properties": {
            "type": {"type": "string", "enum": ["vip", "kim@corp.kr"]},
            "format": {"type": "string", "format": "email", "default": "x@y.kr"},
        },
        "file_ids": ["file-1"],
    }
    found = Extraction()
    found.free(schema, ("tools", 0), SCHEMA_KEYS)
    assert [(s.location, s.text) for s in found.segments] == [
        ("tools[0].description", "Look up a customer by e-mail"),
        ("tools[0].properties.type.enum[0]", "vip"),
        ("tools[0].properties.type.enum[1]", "kim@corp.kr"),
        ("tools[0].properties.format.default", "x@y.kr"),
    ]
    assert found.server_references == ("file_id",)


def test_model_written_arguments_keep_every_key() -> None:
    """Tool arguments are data: an ``id`` or ``type`` key there may hold anything."""
    found = Extraction()
    found.free({"type": "kim@corp.kr", "file_id": "x"}, ("args",))
    assert [s.text for s in found.segments] == ["kim@corp.kr", "x"]
    assert found.server_references == ()


def test_fields_scan_unknown_keys_skip_structural_ones_and_record_references() -> None:
    found = Extraction()
    body = {
        "model": "m",
        "future_field": {"note": "call 010-1234-5678", "type": "tag", "name": "Hong Gildong"},
        "previous_response_id": "resp_1",
        "text": "hello",
    }
    found.fields(body, {"text": lambda v, p, f: f.text(v, p)}, (), frozenset({"model"}))
    assert [(s.location, s.text) for s in found.segments] == [
        ("future_field.note", "call 010-1234-5678"),
        ("future_field.type", "tag"),  # an unknown field: even its type tag is scanned
        ("future_field.name", "Hong Gildong"),
        ("text", "hello"),
    ]
    assert found.server_references == ("previous_response_id",)


def test_attachments_and_references_keep_first_seen_order_without_repeats() -> None:
    found = Extraction()
    for kind in ("image", "file", "image"):
        found.attach(kind)
    found.refer("file_id")
    found.refer("file_id")
    assert found.attachments == ("image", "file")
    assert found.server_references == ("file_id",)


@pytest.mark.parametrize("value", [3, ["a"], {"t": "x"}])
def test_text_fields_refuse_other_shapes(value: Any) -> None:
    with pytest.raises(UninspectableContent, match=r"^a\.b is not text$"):
        Extraction().text(value, ("a", "b"))


def test_items_refuse_a_non_list() -> None:
    with pytest.raises(UninspectableContent, match="must be a list"):
        Extraction().items({"x": 1}, ("messages",), lambda v, p, f: None)


@pytest.mark.parametrize(
    ("segment", "edited", "stored"),
    [
        (Segment(("a",), "x"), "<E>", "<E>"),
        (Segment(("a",), "123456", "number"), "<E>", "<E>"),
        (
            Segment(("a",), "x", "base64", "data:text/plain;base64,"),
            "메일 <E>",
            "data:text/plain;base64," + base64.b64encode("메일 <E>".encode()).decode(),
        ),
        (
            Segment(("a",), "x", "base64", "", "euc-kr"),
            "메일 <E>",
            base64.b64encode("메일 <E>".encode("euc-kr")).decode(),
        ),
        (
            Segment(("a",), "x", "base64url"),
            "??>",
            base64.urlsafe_b64encode(b"??>").decode(),
        ),
    ],
)
def test_segments_encode_edits_the_way_they_were_stored(
    segment: Segment, edited: str, stored: str
) -> None:
    assert segment.encode(edited) == stored


def test_query_segments_are_located_by_parameter_name() -> None:
    assert Segment(("note", 2), "x", "query").location == "?note"


def test_extract_segments_is_the_texts_of_extract() -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "user": "kim"}
    dialect = OpenAIChat()
    assert dialect.extract_segments(body) == dialect.extract(body).segments
