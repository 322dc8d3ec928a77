"""The limits past which a request is uninspectable, and what its caller is told.

A request over any of them is refused, never forwarded unread: too deeply nested, too
many values or text positions, more text than the scan budget, a joined view larger than
its allowance, a scan past its deadline, or a full scan queue. ``prescreen`` checks a
large body's limits in a scan worker process, before the serving process parses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from gateway.detect.joined import JoinedViewTooLarge, joined_view, view_allowance
from gateway.large_bodies import Piece, split_document
from gateway.providers.dialect import UninspectableContent

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.providers.dialect import Dialect

__all__ = [
    "count_containers",
    "count_values",
    "json_depth",
    "limit_message",
    "prescreen",
    "read_large",
]


def count_values(body: bytes) -> int:
    """An upper bound on a JSON body's values: every one but a container's first follows a
    comma."""
    return body.count(b",") + count_containers(body)


def count_containers(body: bytes) -> int:
    """An upper bound on a JSON body's objects and arrays, and so on its depth."""
    return body.count(b"{") + body.count(b"[")


def prescreen(
    body: bytes, dialect: Dialect, limits: tuple[int, int, int, int | None], outside: int = 0
) -> str | None:
    """The limit a body breaks (``values``, ``depth``, ``segments``, ``scan``, ``split``: a
    joined view past its allowance), or None.

    Runs in a scan worker process, with Detect's sizes (``outside``: the characters of
    the path, query and headers, scanned too). A body that is not JSON, or not an
    object, passes: the serving process parses it and answers with the exact error.
    """
    return _verdict(body, dialect, limits, outside)[0]


def read_large(
    body: bytes, dialect: Dialect, limits: tuple[int, int, int, int | None], outside: int = 0
) -> tuple[str | None, list[Piece] | None]:
    """``prescreen``'s verdict, and for a JSON object within every limit its document in
    pieces (``large_bodies.split_document``), which the serving process assembles on a
    thread without holding the GIL for the whole parse. Runs in a scan worker."""
    broken, document = _verdict(body, dialect, limits, outside)
    if broken is not None or document is None:
        return broken, None
    return None, split_document(document)


def _verdict(
    body: bytes, dialect: Dialect, limits: tuple[int, int, int, int | None], outside: int
) -> tuple[str | None, dict[str, Any] | None]:
    """The limit broken, or None and the document when it is a JSON object the dialect
    reads."""
    max_values, max_depth, max_segments, max_chars = limits
    if count_values(body) > max_values:
        return "values", None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    if json_depth(document, max_depth) > max_depth:
        return "depth", None
    try:
        found = dialect.extract(document)
    except UninspectableContent:
        return None, None  # the serving process refuses it with the dialect's own reason
    if len(found.segments) > max_segments:
        return "segments", None
    texts = [segment.text for segment in found.segments]
    # what Detect will scan: these, the model, and ``outside`` (path, query, headers)
    model = document.get("model")
    size = sum(map(len, texts)) + outside + (len(model) if isinstance(model, str) else 0)
    if max_chars is not None and size > max_chars:
        return "scan", None
    # the body's places, read joined as Detect reads them (its allowance, its separator)
    from gateway.detect.engine import SEGMENT_SEPARATOR

    allowance = view_allowance(size)
    if max_chars is not None:
        allowance = min(allowance, max_chars - size)
    try:
        joined_view(texts, SEGMENT_SEPARATOR, limit=allowance)
    except JoinedViewTooLarge:
        return "split", None
    return None, document


_LIMITS = {
    "depth": (
        "the request body is nested more than {limit} levels deep (limits.max_json_depth); "
        "the gateway cannot inspect it, so it was not forwarded",
        "요청 본문이 {limit}단계보다 깊게 중첩되어 있어(limits.max_json_depth) 검사할 수 없으므로 "
        "전달하지 않았습니다",
    ),
    "segments": (
        "the request holds more than {limit} text fields (limits.max_segments); the gateway "
        "cannot inspect it, so it was not forwarded",
        "요청에 텍스트 필드가 {limit}개보다 많아(limits.max_segments) 검사할 수 없으므로 "
        "전달하지 않았습니다",
    ),
    "values": (
        "the request body holds more than {limit} JSON values (limits.max_json_values); the "
        "gateway cannot inspect it, so it was not forwarded",
        "요청 본문의 JSON 값이 {limit}개보다 많아(limits.max_json_values) 검사할 수 없으므로 "
        "전달하지 않았습니다",
    ),
    "scan": (
        "the request holds more than {limit} characters of text to inspect "
        "(detection.max_scan_chars); it was not forwarded. Send less text per request",
        "검사할 텍스트가 {limit}자를 넘어(detection.max_scan_chars) 요청을 전달하지 않았습니다. "
        "요청당 텍스트를 줄여 보내세요",
    ),
    "split": (
        "the request holds too many places whose ends could be parts of one value (numbers "
        "meeting numbers across messages or content parts) to inspect them joined; it was "
        "not forwarded. Send such numbers in one text field",
        "요청에 하나의 값이 나뉘어 있을 수 있는 자리(메시지나 콘텐츠 파트 경계에서 숫자와 숫자가 "
        "맞닿는 곳)가 너무 많아 이어서 검사할 수 없으므로 전달하지 않았습니다. 이런 숫자는 한 "
        "텍스트 필드에 보내세요",
    ),
    "busy": (
        "the gateway is inspecting as many large requests as it can and {limit} more are "
        "waiting (detection.max_queued_scan_chars); this request was not forwarded. Retry "
        "shortly",
        "게이트웨이가 큰 요청을 최대한 검사하고 있고 {limit}건이 더 대기 중이어서"
        "(detection.max_queued_scan_chars) 요청을 전달하지 않았습니다. 잠시 후 다시 시도하세요",
    ),
    "time": (
        "inspecting the request took longer than {limit:g} s (detection.scan_timeout_seconds); "
        "it was not forwarded",
        "요청 검사가 {limit:g}초를 넘어(detection.scan_timeout_seconds) 요청을 전달하지 않았습니다",
    ),
}


def limit_message(exchange: Exchange, limit: str, value: float) -> str:
    """A refusal for a request over a limit, in the caller's language (ko or en)."""
    english, korean = _LIMITS[limit]
    return (korean if exchange.language() == "ko" else english).format(limit=value)


def json_depth(document: Any, stop_after: int) -> int:
    """How deeply ``document`` nests (a scalar is 0), counting no further than ``stop_after + 1``.

    Level by level, not recursively, so a document too deep for a recursive walk is
    measured rather than crashed on; each level's children are gathered by ``extend``
    (C speed), so a million small objects take ~0.1 s, not a second.
    """
    depth = 0
    level: list[Any] = [document]
    while True:
        containers = [value for value in level if isinstance(value, (dict, list))]
        if not containers:
            return depth
        depth += 1
        if depth > stop_after:
            return depth
        level = []
        for container in containers:
            level.extend(container.values() if isinstance(container, dict) else container)
