"""Batch input files: each line judged by the dialect of the API it calls."""

from __future__ import annotations

import orjson
import pytest

from gateway.providers.batch_file import read_batch_file
from gateway.providers.dialect import Extraction
from gateway.providers.endpoints import batch_line_dialect
from gateway.providers.upload_errors import UploadProblem


def _line(custom_id: str, url: str, body: dict[str, object]) -> str:
    line = {"custom_id": custom_id, "method": "POST", "url": url, "body": body}
    return orjson.dumps(line).decode() + "\n"


CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}]}
RESPONSES = {"model": "gpt-4o-mini", "instructions": "be brief", "input": "what now"}
EMBED = {"model": "text-embedding-3-small", "input": ["first text", "second text"]}


def test_every_line_is_read_by_its_apis_dialect() -> None:
    text = (
        _line("a", "/v1/chat/completions", CHAT)
        + "\n"
        + _line("b", "/v1/responses", RESPONSES)
        + _line("c", "/v1/embeddings", EMBED)
    )
    found = Extraction()
    batch = read_batch_file(text, ("file",), batch_line_dialect, found)
    texts = {s.location: s.text for s in found.segments if s.form == "text"}
    assert texts == {
        "file[0].body.messages[0].content": "hello there",
        "file[2].body.instructions": "be brief",
        "file[2].body.input": "what now",
        "file[3].body.input[0]": "first text",
        "file[3].body.input[1]": "second text",
    }
    assert sorted(batch.documents) == [0, 2, 3]
    # the rest of each line is scanned too, scan-only: an edit there refuses the file
    fixed = {s.location: s.text for s in found.segments if s.form == "fixed"}
    assert fixed["file[0].custom_id"] == "a"
    assert fixed["file[2].url"] == "/v1/responses"
    assert fixed["file[3].body.model"] == "text-embedding-3-small"


def test_an_edit_rewrites_only_its_line() -> None:
    first = _line("a", "/v1/chat/completions", CHAT)
    second = _line("b", "/v1/embeddings", EMBED).replace("\n", "\r\n")
    batch = read_batch_file(first + second, ("file",), batch_line_dialect, Extraction())
    out = batch.render({(1, "body", "input", 0): "<EMAIL_ADDRESS>"}).decode()
    kept, edited = out.splitlines(keepends=True)
    assert kept == first
    assert edited.endswith("\r\n")
    assert orjson.loads(edited)["body"]["input"] == ["<EMAIL_ADDRESS>", "second text"]


def test_lines_are_named_by_number_and_plain_custom_id() -> None:
    text = _line("req-1", "/v1/chat/completions", CHAT) + _line(
        "900101-1234568", "/v1/chat/completions", CHAT
    )
    batch = read_batch_file(text, ("file",), batch_line_dialect, Extraction())
    assert batch.describe([0, 1]) == "1 (custom_id req-1), 2"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("not json\n", "not one JSON object"),
        ('{"url": "/v1/chat/completions", "body": {}, "body": {}}\n', "twice"),
        ('{"url": "/v1/chat/completions"}\n', "no request body"),
        (_line("a", "/v1/images/generations", {"prompt": "x"}), "does not inspect"),
        (_line("a", "/v1/files", {"purpose": "x"}), "does not inspect"),
        (_line("a", "/v1/chat/completions", {"messages": 3}), "line 1 of the batch file:"),
        ('{"body": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "not one JSON object"),
    ],
    ids=["not-json", "duplicate-key", "no-body", "images", "files", "bad-body", "too-deep"],
)
def test_lines_that_cannot_be_judged_refuse_the_file(line: str, why: str) -> None:
    with pytest.raises(UploadProblem) as refused:
        read_batch_file(line, ("file",), batch_line_dialect, Extraction())
    assert why in refused.value.english and "배치 파일 1번째 줄" in refused.value.korean
