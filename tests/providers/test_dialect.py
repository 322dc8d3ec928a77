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
from gateway.providers.gemini import GeminiGenerateContent
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
        # a whole float is an integer orjson could not hold in 64 bits (or one
        # written 123456.0): its digits are scanned; a fractional one with 6+ digits as written
        (9001011234568.0, [("n", "9001011234568", "number")]),
        (1234567.5, [("n", "1234567.5", "number")]),  # 900101.1234568 is an RRN
        (0.25, []),  # too few digits to carry a value alone
        (99999.0, []),
        (None, []),
        ("", []),
    ],
)
def test_long_integers_are_scanned_as_their_digits(value: Any, expected: list[Any]) -> None:
    assert [(s.location, s.text, s.form) for s in walk_strings(value, ("n",))] == expected


def test_an_edited_number_becomes_a_string_in_valid_json() -> None:
    body = {"input": {"card": 4111111111111111, "qty": 2, "ok": True}}
    key, segment = walk_strings(body["input"], ("input",))[:2]
    assert (key.form, key.text, key.location) == ("key", "card", "input.*")
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
    assert [(s.form, s.text) for s in found.segments] == [
        ("key", "type"),
        ("text", "kim@corp.kr"),
        ("key", "file_id"),
        ("text", "x"),
    ]
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
        ("*", "future_field"),  # a key the dialect does not know is the caller's
        ("future_field.*", "note"),  # JSON-Schema words (type, name) are not scanned as keys
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


def test_query_segments_are_located_by_known_parameter_names_only() -> None:
    assert Segment(("alt", 2), "x", "query").location == "?alt"
    assert Segment(("note", 2), "x", "query").location == "?*"
    assert Segment(("900101-1234568", 0), "1", "query").location == "?*"
    assert Segment(("kim@corp.kr", 0), "kim@corp.kr", "url").location == "?*"
    assert Segment((), "/v1/chat/completions", "url").location == "(path)"
    assert Segment(("model",), "gpt-4o", "model").location == "model"


def test_a_whole_float_beyond_exact_digits_is_refused() -> None:
    """``12345678901234567890123`` arrives as a float: its digits are lost, so refuse."""
    body = orjson.loads(b'{"acct": 12345678901234567890123}')
    with pytest.raises(UninspectableContent, match="too long to inspect"):
        walk_strings(body, ("input",))


@pytest.mark.parametrize(
    ("key", "location"),
    [
        ("kim.minsu@example.com", "metadata.*"),
        ("900101-1234568", "metadata.*"),
        ("주민번호", "metadata.*"),
        ("call 010 1234 5678", "metadata.*"),
        ("acct12345", "metadata.*"),  # five digits or more: maybe a number
        ("note", "metadata.note"),
        ("user_id", "metadata.user_id"),
    ],
)
def test_locations_never_carry_a_caller_chosen_key(key: str, location: str) -> None:
    found = Extraction()
    found.free({"metadata": {key: "value"}}, ())
    values = [s for s in found.segments if s.form == "text"]
    assert [s.location for s in values] == [location]
    # the key itself is scanned, scan-only, and always written *
    keys = [s for s in found.segments if s.form == "key" and s.text == key]
    assert [(s.location, s.path) for s in keys] == [("metadata.*", ("metadata", key))]


def test_keys_below_a_dialect_entry_point_are_masked_the_dialect_part_is_not() -> None:
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {
                        "functionResponse": {
                            "name": "lookup",
                            "response": {"kim.minsu@example.com": {"note": "mail x"}},
                        }
                    }
                ],
            }
        ]
    }
    segments = GeminiGenerateContent().extract(body).segments
    assert [(s.location, s.form) for s in segments] == [
        ("contents[0].parts[0].functionResponse.response.*", "key"),
        ("contents[0].parts[0].functionResponse.response.*.*", "key"),
        ("contents[0].parts[0].functionResponse.response.*.note", "text"),
        ("contents[0].parts[0].functionResponse.name", "fixed"),  # swept, scan-only
    ]


def test_extract_segments_is_the_texts_of_extract() -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "user": "kim"}
    dialect = OpenAIChat()
    assert dialect.extract_segments(body) == dialect.extract(body).segments


def test_a_plain_key_in_which_something_was_found_is_hidden_too() -> None:
    """``KimMinsu`` looks like an identifier; once a finding names it, it is ``*``."""
    found = Extraction()
    found.free({"KimMinsu": "note"}, ("metadata",))
    key, value = found.segments
    assert value.location == "metadata.KimMinsu"
    assert value.located(frozenset({"KimMinsu"})) == "metadata.*"
    assert key.located(frozenset({"KimMinsu"})) == "metadata.*"
    assert value.located(frozenset()) == "metadata.KimMinsu"
