"""Every forwarded header value is a segment; the destination's own key is no finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.detect import SUPPORTED_ENTITIES, DetectionEngine
from gateway.exchange import Exchange
from gateway.labels import label_segments, own_credential
from gateway.policy import load_policy
from gateway.providers.dialect import Segment

POLICY = load_policy(
    Path(__file__).resolve().parents[1] / "policies" / "default.yaml", SUPPORTED_ENTITIES
)
AWS = "AKIAZ3MHQ4RB5TX7LD2Q"
OPENAI_KEY = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5pR7tV9xZ1bD3"
ANTHROPIC_KEY = "sk-ant-api03-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5pR7t"
GOOGLE_KEY = "AIza" + "SyAb3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3"


async def _receive() -> dict[str, object]:
    return {"type": "http.disconnect"}


def test_every_forwarded_header_is_a_segment_and_local_ones_are_not() -> None:
    headers = [
        (b"user-agent", b"tool/1.0"),
        (b"x-note", b"a"),
        (b"x-note", b"b"),  # each copy, by its place
        (b"host", b"gw"),
        (b"x-forwarded-for", b"10.0.0.1"),
        (b"x-haetae-key", b"hk_x"),
        (b"authorization", b"Bearer k"),
        (b"x-9001011234568", b"c"),
    ]
    exchange = Exchange("q", "POST", "/openai/v1/x", b"", headers, None, _receive, POLICY)
    exchange.label_headers = (b"x-haetae-client", b"user-agent")
    # no provider routed: treated as injected, so the caller's credential is not read
    found = [(s.path, s.text, s.location) for s in label_segments(exchange, every=True)]
    assert found == [
        (("user-agent", 0), "tool/1.0", "(header:user-agent)"),
        (("x-note", 1), "a", "(header:x-note)"),
        (("x-note", 2), "b", "(header:x-note)"),
        (("x-9001011234568", 7), "c", "(header:*)"),  # a name that is data is not shown
    ]
    assert [s.path for s in label_segments(exchange)] == [("user-agent", 0)]


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine()


@pytest.mark.parametrize(
    ("family", "name", "value", "counts"),
    [
        ("openai", "authorization", f"Bearer {OPENAI_KEY}", set()),
        ("anthropic", "x-api-key", ANTHROPIC_KEY, set()),
        ("gemini", "x-goog-api-key", GOOGLE_KEY, set()),
        ("openai", "authorization", f"Bearer {AWS}", {"SECRET_AWS_ACCESS_KEY"}),
        ("anthropic", "x-api-key", OPENAI_KEY, {"SECRET_OPENAI_KEY"}),  # not its key
        ("openai", "authorization", f"Bearer {OPENAI_KEY} 900101-1234568", {"KR_RRN"}),
        ("openai", "x-note", OPENAI_KEY, {"SECRET_OPENAI_KEY"}),  # not a credential header
    ],
)
def test_only_the_destinations_own_key_is_no_finding(
    engine: DetectionEngine, family: str, name: str, value: str, counts: set[str]
) -> None:
    segment = Segment((name, 0), value, "header")
    (found,) = engine.scan_segments([value])
    assert {f.entity_type for f in own_credential(family, segment, found)} >= counts
    if not counts:
        assert own_credential(family, segment, found) == []
