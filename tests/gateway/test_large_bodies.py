"""Large bodies are handled off the event loop and still fully inspected (issue 10 §5).

A gateway with a warm scan worker: a body over a megabyte is prescreened, scanned and
written out by the worker, inflated and joined on a thread. What a caller sees must
not change: a resident number in it is blocked, an e-mail address is redacted in the
body that leaves (which is the document scanned, a duplicated key and all), a gzip body
is read like a plain one, and small requests are answered while a large one is read.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import os
import random
import threading
import time
import zlib
from collections.abc import Iterator

import httpx
import orjson
import pytest

from gateway.large_bodies import (
    LARGE_BODY_BYTES,
    PIECE_JSON_BYTES,
    InflateError,
    assemble,
    inflate,
    render,
    split_document,
)
from gateway.providers.attachments import _b64decode
from gateway.providers.endpoints import resolve_endpoint
from gateway.uninspectable import read_large
from tests.support.polling import wait_for
from tests.support.stack import GatewayStack, gateway_stack

CHAT = "/openai/v1/chat/completions"
POLICY = """\
policy: large-bodies
default_language: en
rules:
  - {id: markings, when: {entities: [CONFIDENTIAL_MARKER]}, action: block}
  - {id: rrn, when: {entities: [KR_RRN]}, action: block}
  - {id: mail, when: {entities: [EMAIL_ADDRESS]}, action: redact}
"""
PROSE = "The quarterly plan covers hiring, the budget and the launch in the spring. "
#: a prompt of ~1.2 MB: over the large-body threshold, under the scan budget below
LARGE = PROSE * (LARGE_BODY_BYTES // len(PROSE) + 2_000)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    settings = {"detection.scan_processes": 1, "detection.max_scan_chars": 3_000_000}
    folder = tmp_path_factory.mktemp("large")
    with gateway_stack(folder, policy_text=POLICY, settings=settings) as running:
        running.app.start_scan_workers()
        wait_for(
            lambda: httpx.get(running.url("/readyz")).json()["scan_workers"] == "ready",
            120,  # the forkserver imports the engine first
            message="the scan worker did not start",
        )
        yield running


def _chat(text: str, model: str = "gpt-4o") -> bytes:
    return orjson.dumps({"model": model, "messages": [{"role": "user", "content": text}]})


def _post(stack: GatewayStack, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(stack.url(CHAT), content=body, headers=headers, timeout=120)


@pytest.mark.slow
def test_a_resident_number_in_a_large_body_is_blocked(stack: GatewayStack) -> None:
    stack.fake.reset()
    body = _chat(LARGE + " 주민번호 900101-1234568 " + LARGE[:5_000])
    assert len(body) > LARGE_BODY_BYTES
    response = _post(stack, body)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "blocked_by_policy"
    assert stack.fake.received == []


@pytest.mark.slow
def test_a_large_gzip_body_is_inflated_and_scanned(stack: GatewayStack) -> None:
    stack.fake.reset()
    body = gzip.compress(_chat(LARGE + " 900101-1234568"))
    assert len(body) < LARGE_BODY_BYTES  # small on the wire, large once inflated
    assert _post(stack, body, **{"content-encoding": "gzip"}).status_code == 403
    clean = gzip.compress(_chat(LARGE))
    assert _post(stack, clean, **{"content-encoding": "gzip"}).status_code == 200
    sent = stack.fake.received
    assert len(sent) == 1
    assert "content-encoding" not in sent[0].headers  # forwarded as read
    assert sent[0].json()["messages"][0]["content"] == LARGE


@pytest.mark.slow
def test_a_large_body_leaves_as_scanned_with_its_edits(stack: GatewayStack) -> None:
    """Written out by the worker: the e-mail redacted, everything else as sent, and a key
    given twice sent once, with the value the gateway read (the last)."""
    stack.fake.reset()
    text = LARGE + " write to kim.minsu@example.com today"
    body = b'{"model":"gpt-4o-mini",' + _chat(text, model="gpt-4o")[1:]
    response = _post(stack, body)
    assert response.status_code == 200
    (sent,) = stack.fake.received
    assert sent.body.count(b'"model"') == 1
    document = sent.json()
    assert document["model"] == "gpt-4o"
    content = document["messages"][0]["content"]
    assert "kim.minsu@example.com" not in content
    assert content == LARGE + " write to <EMAIL_ADDRESS> today"


@pytest.mark.slow
def test_small_requests_are_answered_while_a_large_one_is_read(stack: GatewayStack) -> None:
    """A large crafted prompt (every word a candidate marking) keeps the worker busy for
    seconds; requests sent meanwhile are answered before it is."""
    stack.fake.reset()
    finished: list[tuple[str, int]] = []
    large = _chat("대외비 " * 150_000)
    started = threading.Event()

    def send_large() -> None:
        started.set()
        finished.append(("large", _post(stack, large).status_code))

    thread = threading.Thread(target=send_large)
    thread.start()
    started.wait(5)
    time.sleep(0.2)  # the large body is on its way in
    with httpx.Client(timeout=60) as client:
        for _ in range(5):
            response = client.post(stack.url(CHAT), content=_chat("hello there"))
            finished.append(("small", response.status_code))
    thread.join(timeout=120)
    assert [status for kind, status in finished if kind == "small"] == [200] * 5
    assert finished[-1][0] == "large"  # answered after every small one
    assert finished[-1][1] in (403, 413)  # blocked, or past its deadline: never forwarded
    assert len(stack.fake.received) == 5


def test_render_writes_the_parsed_document_with_its_edits() -> None:
    body = b'{"a":"x","messages":[{"content":"mail kim@example.com"}],"a":"y"}'
    assert orjson.loads(render(body, {})) == {
        "a": "y",
        "messages": [{"content": "mail kim@example.com"}],
    }
    edited = render(body, {("messages", 0, "content"): "mail <EMAIL_ADDRESS>"})
    assert edited == b'{"a":"y","messages":[{"content":"mail <EMAIL_ADDRESS>"}]}'


@pytest.mark.parametrize("wbits", [16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_inflate_reads_every_deflate_wrapping_in_pieces(wbits: int) -> None:
    data = os.urandom(1_000) * 3_000  # 3 MB: several pieces of output
    compressor = zlib.compressobj(wbits=wbits)
    packed = compressor.compress(data) + compressor.flush()
    # 0: "deflate", zlib-wrapped or raw
    assert inflate(packed, 0 if wbits != 16 + zlib.MAX_WBITS else wbits, 4_000_000) == data


def test_inflate_stops_at_the_limit_and_refuses_what_is_not_deflate() -> None:
    bomb = gzip.compress(b"0" * 20_000_000)
    assert len(bomb) < 30_000
    assert inflate(bomb, 16 + zlib.MAX_WBITS, 16_000_000) is None
    with pytest.raises(InflateError):
        inflate(b"not deflate at all", 0, 1_000)


@pytest.mark.parametrize("size", [3, 3_000_000, 3_000_001, 3_000_002])
@pytest.mark.parametrize("urlsafe", [False, True])
def test_base64_decoded_in_pieces_is_the_whole(size: int, urlsafe: bool) -> None:
    raw = os.urandom(size)
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    spaced = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert _b64decode(spaced) == (raw, urlsafe and ("-" in encoded or "_" in encoded))


@pytest.mark.parametrize("broken", ["!", "=", "é"])
def test_large_base64_with_a_stray_character_is_not_base64(broken: str) -> None:
    encoded = base64.b64encode(os.urandom(3_000_000)).decode()
    assert _b64decode(encoded[:2_000_000] + broken + encoded[2_000_001:]) is None


def _document(rng: random.Random, depth: int = 0) -> object:
    """A random JSON value: nested lists and objects, long and short strings, numbers."""
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        scalars = [1, -0.0, 2.5, None, True, 10**18, "x" * rng.randrange(300), "é한" * 40]
        return rng.choice(scalars)
    if roll < 0.65:
        return [_document(rng, depth + 1) for _ in range(rng.randrange(8))]
    return {f"k{rng.randrange(100)}": _document(rng, depth + 1) for _ in range(rng.randrange(8))}


@pytest.mark.parametrize("limit", [8, 64, 1_000])
def test_a_document_split_into_pieces_assembles_to_itself(limit: int) -> None:
    rng = random.Random(limit)
    for _ in range(200):
        document = {"model": "m", "value": _document(rng), "text": "long " * rng.randrange(400)}
        pieces = split_document(document, limit)
        assert orjson.dumps(assemble(pieces)) == orjson.dumps(document)  # key order too
        # every piece is one bounded parse: runs of members within the limit, a long
        # string cut into pieces of ``limit`` characters
        for _, data, how in pieces:
            if how == "text":
                assert len(orjson.loads(data)) <= limit
            elif how != "set":
                assert len(data) <= limit + 2


def test_a_large_body_is_read_by_the_worker_in_pieces() -> None:
    dialect = resolve_endpoint("openai", "POST", "/v1/chat/completions").dialect
    body = _chat(LARGE + " 900101-1234568")
    broken, pieces = read_large(body, dialect, (200_000, 128, 100_000, 3_000_000))
    assert broken is None and pieces is not None
    assert max(len(data) for _, data, _ in pieces) <= PIECE_JSON_BYTES + 2
    assert assemble(pieces) == orjson.loads(body)
    over = read_large(body, dialect, (200_000, 128, 100_000, 1_000_000))
    assert over == ("scan", None)


def test_a_large_upstream_body_is_written_a_piece_at_a_time() -> None:
    from gateway.upstream.aiohttp_client import _body

    class Writer:
        def __init__(self) -> None:
            self.writes: list[int] = []
            self.data = b""

        async def write(self, chunk: memoryview) -> None:
            self.writes.append(len(chunk))
            self.data += bytes(chunk)

    content = os.urandom(2_500_000)
    payload = _body(content)
    assert _body(b"") is None and _body(b"{}") == b"{}"
    assert not isinstance(payload, bytes) and payload is not None
    assert payload.size == len(content)  # sent with its Content-Length
    writer = Writer()
    asyncio.run(payload.write(writer))  # type: ignore[arg-type]
    assert writer.data == content and max(writer.writes) <= 1024 * 1024
    assert asyncio.run(payload.as_bytes()) == content
    assert payload.decode("latin-1") == content.decode("latin-1")
