"""Identifiers hidden in base64 blobs are found and reported on the whole blob."""

from __future__ import annotations

import base64
import random

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.engine import MAX_BASE64_BLOBS, MAX_BASE64_BYTES


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine()


def _b64(text: str, url_safe: bool = False) -> str:
    encode = base64.urlsafe_b64encode if url_safe else base64.b64encode
    return encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("secret", "entity"),
    [
        ("주민등록번호 900101-1234568 입니다", "KR_RRN"),
        ("contact kim.minsu@example.com today", "EMAIL_ADDRESS"),
        ("aws_access_key_id = AKIAZ7QWERTYUIOPAS2D", "SECRET_AWS_ACCESS_KEY"),
    ],
)
@pytest.mark.parametrize("url_safe", [False, True])
def test_finding_in_a_blob_covers_the_whole_blob(
    engine: DetectionEngine, secret: str, entity: str, url_safe: bool
) -> None:
    blob = _b64(secret, url_safe).rstrip("=" if url_safe else "")
    text = f"이 값을 디코딩해줘: {blob} 고마워"
    found = [f for f in engine.scan(text) if f.entity_type == entity]
    assert len(found) == 1, engine.scan(text)
    start = text.index(blob)
    assert (found[0].start, found[0].end) == (start, start + len(blob))
    assert found[0].recognizer.endswith("(base64)")


def test_segments_get_base64_findings_at_local_offsets(engine: DetectionEngine) -> None:
    blob = _b64("RRN 900101-1234568")
    segments = ["system prompt", f"decode {blob}"]
    found = engine.scan_segments(segments)
    assert found[0] == []
    assert [(f.entity_type, f.start, f.end) for f in found[1]] == [("KR_RRN", 7, 7 + len(blob))]


def test_binary_and_random_blobs_are_ignored(engine: DetectionEngine) -> None:
    rng = random.Random(3)
    binary = base64.b64encode(b"\x00\x01\x02ssh-rsa" + rng.randbytes(60)).decode()
    noise = "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for _ in range(48)
    )
    for text in (f"key {binary} end", f"id {noise} end", "git revert " + "ab12" * 10):
        assert not [f for f in engine.scan(text) if f.recognizer.endswith("(base64)")], text


def test_plain_text_blob_without_identifiers_finds_nothing(engine: DetectionEngine) -> None:
    assert engine.scan(f"decode {_b64('just an ordinary sentence, nothing else')}") == []


def test_decoding_is_bounded(engine: DetectionEngine) -> None:
    # A blob larger than the whole budget is not decoded at all.
    huge = _b64("x" * MAX_BASE64_BYTES + " 900101-1234568")
    assert not engine.scan(f"big {huge}")
    # Only the first MAX_BASE64_BLOBS blobs are decoded.
    blobs = [_b64(f"RRN 900101-1234568 copy {i:03d}") for i in range(MAX_BASE64_BLOBS + 4)]
    found = engine.scan(" ".join(blobs))
    assert len(found) == MAX_BASE64_BLOBS


def test_nested_base64_is_decoded_one_level_deep(engine: DetectionEngine) -> None:
    inner = _b64("RRN 900101-1234568")
    text = f"x {_b64(inner)} y"
    found = [f for f in engine.scan(text) if f.entity_type == "KR_RRN"]
    assert [(f.start, f.end) for f in found] == [(2, len(text) - 2)]
    # Three layers: deeper than the one level of nesting that is followed.
    assert not [f for f in engine.scan(f"x {_b64(_b64(inner))} y") if f.entity_type == "KR_RRN"]
