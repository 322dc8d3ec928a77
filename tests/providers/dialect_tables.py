"""The checks every dialect's table test runs: exact segments, and edits that touch only them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx2
import orjson
import pytest

from gateway.providers.dialect import (
    SCAN_ONLY,
    Dialect,
    JSONPath,
    Segment,
    UninspectableContent,
    apply_edits,
)

__all__ = [
    "assert_edits_touch_only_segments",
    "assert_extracts",
    "located",
    "recording_client",
    "table_tests",
]

#: a table row: (test id, request body, expected (location, text) pairs)
Case = tuple[str, Any, list[tuple[str, str]]]


def value_at(body: Any, path: JSONPath) -> Any:
    for part in path:
        body = body[part]
    return body


def located(segments: list[Segment]) -> list[tuple[str, str]]:
    """Editable segments (object keys are scan-only, tested in test_dialect.py)."""
    return [(s.location, s.text) for s in segments if s.form not in SCAN_ONLY]


def _stored(segment: Segment) -> Any:
    """The JSON value the segment was read from."""
    return int(segment.text) if segment.form == "number" else segment.encode(segment.text)


def assert_extracts(dialect: Dialect, body: Any, expected: list[tuple[str, str]]) -> None:
    """Exactly ``expected`` (location, text) pairs, read from where they claim, body unchanged."""
    before = orjson.dumps(body)
    segments = dialect.extract(body).segments
    assert located(segments) == expected
    assert all(value_at(body, s.path) == _stored(s) for s in segments if s.form not in SCAN_ONLY)
    assert orjson.dumps(body) == before  # extraction never mutates


def assert_edits_touch_only_segments(dialect: Dialect, body: Any) -> None:
    """Edit every segment, check nothing else changed, then undo the edits exactly."""
    original = copy.deepcopy(body)
    segments = [s for s in dialect.extract(body).segments if s.form not in SCAN_ONLY]
    texts = [f"<REDACTED {i}>" for i in range(len(segments))]  # one per segment
    edits = {s.path: s.encode(text) for s, text in zip(segments, texts, strict=True)}
    apply_edits(body, edits)
    expected = copy.deepcopy(original)
    for path, value in edits.items():
        value_at(expected, path[:-1])[path[-1]] = value
    assert body == expected
    again = [s for s in dialect.extract(body).segments if s.form not in SCAN_ONLY]
    assert [(s.path, s.text) for s in again] == [
        (s.path, t) for s, t in zip(segments, texts, strict=True)
    ]
    apply_edits(body, {s.path: value_at(original, s.path) for s in segments})
    assert orjson.dumps(body) == orjson.dumps(original)


def recording_client(status: int, answer: Any) -> tuple[httpx2.Client, list[httpx2.Request]]:
    """An HTTP client that records each request and answers ``status`` with ``answer``."""
    sent: list[httpx2.Request] = []

    def upstream(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(status, json=answer)

    handler: Callable[[httpx2.Request], httpx2.Response] = upstream
    return httpx2.Client(transport=httpx2.MockTransport(handler)), sent


def table_tests(
    dialect: Dialect, cases: list[Case], unreadable: list[Any]
) -> tuple[Callable[..., None], Callable[..., None], Callable[..., None]]:
    """The three table tests of a dialect, to bind to module-level ``test_*`` names."""
    ids = [case[0] for case in cases]

    @pytest.mark.parametrize(("body", "expected"), [case[1:] for case in cases], ids=ids)
    def extracts_exact_segments(body: Any, expected: list[tuple[str, str]]) -> None:
        assert_extracts(dialect, body, expected)

    @pytest.mark.parametrize("body", [case[1] for case in cases], ids=ids)
    def edits_touch_only_the_segments(body: Any) -> None:
        assert_edits_touch_only_segments(dialect, body)

    @pytest.mark.parametrize("body", unreadable)
    def unreadable_shapes_are_refused(body: Any) -> None:
        with pytest.raises(UninspectableContent):
            dialect.extract(body)

    return extracts_exact_segments, edits_touch_only_the_segments, unreadable_shapes_are_refused
