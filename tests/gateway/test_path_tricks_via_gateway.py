"""Path tricks: each spelling of a route is classified as the real endpoint, or refused.

The paths are sent byte for byte (``http.client``; httpx would normalise dot segments),
so the gateway sees exactly what a hostile client would send.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import orjson
import pytest
from secrets_fixtures import RRN

UNINSPECTED = "only inspected APIs and read-only listings"
PIPA = "pipa-resident-number"


def send(stack, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
    address = urlsplit(stack.url("/"))
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        headers = {"content-type": "application/json"} if body else {}
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def chat(text: str) -> bytes:
    return orjson.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]})


def messages(text: str) -> bytes:
    return orjson.dumps(
        {"model": "claude-x", "max_tokens": 8, "messages": [{"role": "user", "content": text}]}
    )


def gemini(text: str) -> bytes:
    return orjson.dumps({"contents": [{"role": "user", "parts": [{"text": text}]}]})


#: (method, path, body maker, the path the provider must receive) — the real endpoint
SCANNED = [
    ("POST", "/gemini/v1beta/models/x%3AgenerateContent", gemini, "/models/x:generateContent"),
    ("POST", "/gemini/v1beta/models/x%3agenerateContent", gemini, "/models/x:generateContent"),
    ("POST", "/gemini/v1beta/models/x%3AstreamGenerateContent", gemini, ":streamGenerateContent"),
    ("POST", "/gemini/v1beta/%6Dodels/x:generateContent", gemini, "/models/x:generateContent"),
    ("POST", "/openai/v1/%63hat/completions", chat, "/v1/chat/completions"),
    ("POST", "/openai/v1/chat/completion%73", chat, "/v1/chat/completions"),
    ("POST", "/anthropic/v1/%6Dessages", messages, "/v1/messages"),
]


@pytest.mark.parametrize(("method", "path", "body", "received"), SCANNED)
def test_an_escaped_route_is_the_real_endpoint_and_is_scanned(
    stack, fake, method, path, body, received
) -> None:
    status, text = send(stack, method, path, body(f"my number is {RRN}"))
    assert status == 403, text
    assert PIPA in text
    assert fake.received == []
    status, text = send(stack, method, path, body("hello"))
    assert status == 200, text
    (sent,) = fake.received
    assert sent.path.endswith(received)  # forwarded as classified, escapes decoded


REFUSED = [
    # an encoded ':' in a GET cannot turn a generate call into a model listing
    ("GET", "/gemini/v1beta/models/x%3AgenerateContent"),
    ("GET", "/gemini/v1beta/models/x%3agenerateContent"),
    ("GET", "/gemini/v1beta/models/x%253AgenerateContent"),  # encoded twice: never guessed
    ("GET", "/gemini/v1beta/models%2Fx:generateContent"),
    ("POST", "/gemini/v1beta/models/x%253AgenerateContent"),
    ("POST", "/gemini/v1beta/models%2Fx%3AgenerateContent"),
    ("POST", "/gemini/v1beta/models/x:generateContent/"),
    ("POST", "/gemini/v1beta//models/x:generateContent"),
    ("POST", "/gemini/v1beta/models/./x:generateContent"),
    ("POST", "/gemini/v1beta/models/x:generateContent;alt=1"),
    ("GET", "/gemini/v1beta/models/..%2Fx:generateContent"),
    ("POST", "/openai/v1/chat%2Fcompletions"),
    ("POST", "/openai/v1/chat%2fcompletions"),
    ("POST", "/openai/v1/chat/completions/"),
    ("POST", "/openai/v1//chat/completions"),
    ("POST", "/openai/v1/./chat/completions"),
    ("POST", "/openai/v1/models/../chat/completions"),
    ("POST", "/openai/v1/models/%2E%2E/chat/completions"),
    ("POST", "/openai/V1/Chat/Completions"),
    ("POST", "/openai/v1/chat/completions;x=1"),
    ("POST", "/openai/v1/chat/completions%3Bx=1"),
    ("GET", "/openai/v1/models/x%2F..%2F..%2Fchat%2Fcompletions"),
    ("GET", "/openai/v1/models/%252E%252E"),
    ("POST", "/anthropic/v1/messages/"),
    ("POST", "/anthropic/v1//messages"),
    ("POST", "/anthropic/V1/Messages"),
    ("POST", "/anthropic/v1/messages;x"),
    ("GET", "/anthropic/v1/models%2F..%2Fmessages"),
    ("POST", "/anthropic/v1/models/%2e%2e/messages"),
]


@pytest.mark.parametrize(("method", "path"), REFUSED)
def test_a_path_trick_is_refused_before_anything_is_forwarded(stack, fake, method, path) -> None:
    body = b"" if method == "GET" else chat(f"my number is {RRN}")
    status, text = send(stack, method, path, body)
    assert status in (400, 403), text
    assert RRN not in text
    if status == 403:
        assert UNINSPECTED in text
    assert fake.received == []


def test_a_plain_listing_still_passes(stack, fake) -> None:
    status, _ = send(stack, "GET", "/gemini/v1beta/models/gemini-2.5-flash")
    assert status == 200
    status, _ = send(stack, "GET", "/openai/v1/models/ft%3Agpt-4o%3Aacme")
    assert status == 200
    assert fake.received[-1].path.endswith("/v1/models/ft:gpt-4o:acme")
