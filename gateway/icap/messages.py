"""The encapsulated HTTP messages: where a request goes, what leaves, the answer's head.

Pure functions over the heads the proxy sent and the exchange the pipeline
left, so that what REQMOD and RESPMOD send back can be read (and tested) apart
from the connection handling in ``adapter.py``.
"""

from __future__ import annotations

import http
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from gateway.icap.protocol import HttpHead, IcapError
from gateway.providers.refusals import render_error

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.policy.messages import Language
    from gateway.providers.catalog import Provider
    from gateway.types import Message

__all__ = [
    "FRAMING",
    "answer_headers",
    "body_unchanged",
    "outgoing_request",
    "request_as_received",
    "request_line",
    "status_line",
    "status_of",
    "target_of",
    "unpaired_refusal",
]

FRAMING = frozenset({b"content-length", b"transfer-encoding"})
#: characters for which a target goes through urlsplit: user info, IPv6 brackets,
#: fragments, and what urlsplit removes (tabs, line ends)
_UNUSUAL = frozenset("@[]#\\\t\r\n")


def request_line(head: HttpHead) -> tuple[str, bytes]:
    parts = head.start_line.split(b" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[2].startswith(b"HTTP/"):
        raise IcapError(400, "malformed encapsulated request line")
    return parts[0].decode("ascii"), parts[1]


def target_of(target: bytes, host_header: bytes | None) -> tuple[str, str, bytes, bytes] | None:
    """(host, scheme, raw path, query) of an absolute- or origin-form target."""
    text = target.decode("latin-1")
    usual = _usual_absolute(text)
    if usual is not None:
        return usual
    if text.lower().startswith(("http://", "https://")):
        parts = urlsplit(text)
        host, scheme = parts.hostname, parts.scheme.lower()
        path = parts.path or "/"
        query = parts.query
    elif text.startswith("/") and host_header:
        host = urlsplit("//" + host_header.decode("latin-1")).hostname
        scheme = "https"
        path, _, query = text.partition("?")
    else:
        return None
    if not host:
        return None
    return host.lower(), scheme, path.encode("latin-1"), query.encode("latin-1")


def _usual_absolute(text: str) -> tuple[str, str, bytes, bytes] | None:
    """``http(s)://host[:port]/path?query``, as proxies send nearly every request, read
    without urlsplit; None for anything less plain (urlsplit decides those)."""
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not _UNUSUAL.isdisjoint(rest):
        return None
    authority, slash, after = rest.partition("/")
    host = authority.partition(":")[0].lower()
    if not host or "?" in authority:
        return None
    path, _, query = (slash + after).partition("?")
    return host, scheme.lower(), (path or "/").encode("latin-1"), query.encode("latin-1")


def outgoing_request(
    head: HttpHead, sent: list[tuple[bytes, bytes]], exchange: Exchange, reads: bool
) -> tuple[bytes, list[tuple[bytes, bytes]], bytes] | None:
    """The request as the pipeline let it go, or None when it is the one received."""
    headers = list(exchange.headers)
    changed = headers != sent or len(sent) != sum(
        1 for name, _ in head.headers if name.lower() not in FRAMING
    )
    if reads:
        encoding = next((v for n, v in headers if n == b"accept-encoding"), None)
        if encoding is not None and encoding.strip().lower() != b"identity":
            headers = [(n, v) for n, v in headers if n != b"accept-encoding"]
            headers.append((b"accept-encoding", b"identity"))
            changed = True
    start_line = head.start_line
    if exchange.outgoing_query is not None and exchange.outgoing_query != exchange.query:
        method, target, version = start_line.split(b" ")
        base = target.split(b"?", 1)[0]
        start_line = b" ".join((method, base + b"?" + exchange.outgoing_query, version))
        changed = True
    body = exchange.body
    if not body_unchanged(exchange):
        body = exchange.outgoing_body or b""
        changed = True
    if not changed:
        return None
    if body or head.get(b"content-length") is not None:
        headers.append((b"content-length", str(len(body)).encode()))
    return start_line, headers, body


def request_as_received(
    head: HttpHead, exchange: Exchange
) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    """The request unchanged, for a proxy that does not take 204 outside a preview."""
    headers = [(n, v) for n, v in exchange.headers if n not in FRAMING]
    if exchange.body or head.get(b"content-length") is not None:
        headers.append((b"content-length", str(len(exchange.body)).encode()))
    return head.start_line, headers, exchange.body


def body_unchanged(exchange: Exchange) -> bool:
    """The body leaves as received: the bytes, or the same JSON without repeated keys.

    Transform writes a parsed body out again so that what leaves is what was
    scanned; for ICAP, the received bytes may go instead when they hold the same
    document and no key twice (where another parser could read another value).
    """
    out = exchange.outgoing_body
    if out is None or out == exchange.body:
        return True
    try:
        if orjson.dumps(orjson.loads(exchange.body)) != out:
            return False
        json.loads(exchange.body, object_pairs_hook=_no_repeated_keys)
    except (orjson.JSONDecodeError, ValueError, RecursionError):
        return False
    return True


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a key appears twice")
    return result


def status_of(head: HttpHead) -> int:
    parts = head.start_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise IcapError(400, "malformed encapsulated status line")
    return int(parts[1])


def status_line(status: int) -> bytes:
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return f"HTTP/1.1 {status} {reason}".encode("ascii")


def answer_headers(response: HttpHead, start: Message, status: int) -> list[tuple[bytes, bytes]]:
    """The answer's own headers when the pipeline relayed it; the refusal's if it did not."""
    ours = [(n, v) for n, v in start["headers"] if n not in FRAMING]
    if start["status"] != status:
        return ours
    kept = [(n, v) for n, v in response.headers if n.lower() not in FRAMING]
    return kept + [(n, v) for n, v in ours if n.startswith(b"x-haetae-")]


#: ``icap.unpaired_answers: refuse``: why an AI API's answer was withheld
UNPAIRED_CODE = "icap_answer_unpaired"
_UNPAIRED = {
    "en": "Haetae withheld this answer from {provider}: its request was not seen by this "
    "gateway process, or the answer came after icap.answer_wait_seconds, so it could not "
    "be judged (icap.unpaired_answers: refuse). Send the request again.",
    "ko": "Haetae가 {provider}의 응답을 전달하지 않았습니다. 이 게이트웨이 프로세스가 요청을 "
    "보지 못했거나 응답이 icap.answer_wait_seconds 이후에 도착해 검사할 수 없었습니다"
    "(icap.unpaired_answers: refuse). 요청을 다시 보내세요.",
}


def unpaired_refusal(
    provider: Provider, language: Language
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The provider's own 502 error for an answer withheld unjudged, so its SDK raises it."""
    message = _UNPAIRED[language].format(provider=provider.entry.name)
    content = render_error(provider.family, 502, message, UNPAIRED_CODE)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-language", language.encode()),
        (b"cache-control", b"no-store"),
    ]
    return 502, headers, content
