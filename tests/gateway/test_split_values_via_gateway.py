"""Values split across places, through a real gateway under the default policy.

A resident number or a key cut in two and sent in two messages, two content parts, a
name and a text, two tool calls or two lines is refused; a card cut in two is redacted
in both places; unrelated neighbouring numbers pass untouched.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest

CHAT = "/openai/v1/chat/completions"
PIPA = "pipa-resident-number"
SECRETS = "no-secrets"
KEY = "AKIAZ3MHQ4RB5TX7LD2Q"


def post(stack, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(stack.url(path), content=orjson.dumps(body), timeout=10)


def chat(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": list(messages)}


def user(content: Any, **extra: Any) -> dict[str, Any]:
    return {"role": "user", "content": content, **extra}


def tool_calls(*arguments: str) -> dict[str, Any]:
    calls = [
        {"id": f"c{n}", "type": "function", "function": {"name": "lookup", "arguments": a}}
        for n, a in enumerate(arguments)
    ]
    return {"role": "assistant", "content": None, "tool_calls": calls}


def parts(*texts: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": text} for text in texts]


BLOCKED = [
    ("two messages", CHAT, chat(user("제 번호는 900101"), user("1234568 입니다")), PIPA),
    ("two messages, hyphen", CHAT, chat(user("my id 900101-"), user("1234568")), PIPA),
    ("two content parts", CHAT, chat(user(parts("key AKIAZ3MH", "Q4RB5TX7LD2Q"))), SECRETS),
    (
        "a name and a text",
        CHAT,
        chat({"role": "user", "name": "kim900101", "content": "-1234568 is mine"}),
        PIPA,
    ),
    (
        "two tool calls",
        CHAT,
        chat(user("look it up"), tool_calls('{"q": "900101"}', '{"q": "1234568"}')),
        PIPA,
    ),
    ("consecutive lines", CHAT, chat(user(f"my key:\n{KEY[:9]}\n{KEY[9:]}\nthanks")), SECRETS),
    ("three places", CHAT, chat(user("900101"), user("-"), user("1234568")), PIPA),
    (
        "anthropic text blocks",
        "/anthropic/v1/messages",
        {
            "model": "claude-x",
            "max_tokens": 8,
            "messages": [{"role": "user", "content": parts("id 900101", "1234568")}],
        },
        PIPA,
    ),
    (
        "gemini parts",
        "/gemini/v1beta/models/gemini-2.5-flash:generateContent",
        {"contents": [{"role": "user", "parts": [{"text": KEY[:11]}, {"text": KEY[11:]}]}]},
        SECRETS,
    ),
]


@pytest.mark.parametrize(("case", "path", "body", "rule"), BLOCKED, ids=[b[0] for b in BLOCKED])
def test_a_split_value_is_refused(stack, fake, case, path, body, rule) -> None:
    response = post(stack, path, body)
    assert response.status_code == 403, response.text
    assert rule in response.text
    assert fake.received == []


def _record(stack, request_id: str):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        records = [r for r in stack.audit_tail(20) if r.request_id == request_id]
        if records:
            return records[0]
        time.sleep(0.05)
    raise AssertionError("no audit record")


def test_a_split_card_is_redacted_in_both_places_and_counted_once(stack, fake) -> None:
    body = chat(user("my card is 4532 0151"), user("1283 0366, thanks"))
    response = post(stack, CHAT, body)
    assert response.status_code == 200, response.text
    sent = fake.received[0].json()["messages"]
    assert sent[0]["content"] == "my card is <CREDIT_CARD>"
    assert sent[1]["content"] == "<CREDIT_CARD>, thanks"
    record = _record(stack, response.headers["x-haetae-request-id"])
    assert record.entities == {"CREDIT_CARD": 1}
    locations = {f.location for f in record.findings if f.entity_type == "CREDIT_CARD"}
    assert locations == {"messages[0].content", "messages[1].content"}


def test_a_split_value_with_a_part_that_cannot_be_edited_is_refused(stack, fake) -> None:
    # an object key is scanned but cannot be rewritten: the card's edit cannot be made
    body = chat(user("hi"))
    body["metadata"] = {"4532 0151": "1283 0366"}
    response = post(stack, CHAT, body)
    assert response.status_code == 400, response.text
    assert "uneditable_content" in response.text or "cannot be edited" in response.text
    assert fake.received == []


@pytest.mark.parametrize(
    "messages",
    [
        [user("How many apples? 12"), user("34 please")],
        [user("order 88123"), user("3 items shipped")],
        [user("page 900101"), user("12 lines")],
        [user("정답은 42"), user("17번 문제는 어떻게 푸나요?")],
    ],
)
def test_unrelated_neighbouring_numbers_pass_untouched(stack, fake, messages) -> None:
    response = post(stack, CHAT, chat(*messages))
    assert response.status_code == 200, response.text
    assert fake.received[0].json()["messages"] == messages
