"""Opaque provider state (encrypted reasoning, signatures, images) is scanned as text since
every string of a request is seen; random base64 must not read as a credential there."""

from __future__ import annotations

import base64
import random

import pytest

from gateway.detect.engine import DetectionEngine


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine()


def test_a_vendor_name_inside_a_base64_run_is_no_key_context(engine: DetectionEngine) -> None:
    # "ncp" in the middle of random base64, then a 20-character run between '/' and '+':
    # it used to read as a NAVER Cloud key.
    blob = "Qm9xKncpA/q8ZkT2vLm9XwP4rNc7Ya+ZmFrZWJsb2I="
    # Random base64 pasted alone is what a bare key looks like (GENERIC_SECRET); no
    # vendor kind may claim it.
    assert [f.entity_type for f in engine.scan(blob)] == ["GENERIC_SECRET"]


@pytest.mark.parametrize(
    "text",
    [
        'NCP_ACCESS_KEY="q8ZkT2vLm9XwP4rNc7Ya"',
        "naver key: q8ZkT2vLm9XwP4rNc7Ya",
        "myNcpKey=q8ZkT2vLm9XwP4rNc7Ya",
        "네이버 클라우드 키 q8ZkT2vLm9XwP4rNc7Ya",
    ],
)
def test_a_naver_cloud_key_after_its_vendor_name_is_still_found(
    engine: DetectionEngine, text: str
) -> None:
    assert "SECRET_NAVER_CLOUD_KEY" in {f.entity_type for f in engine.scan(text)}


def test_random_base64_state_raises_no_finding(engine: DetectionEngine) -> None:
    generator = random.Random(20261207)
    found = {
        f.entity_type
        for _ in range(150)
        for f in engine.scan(base64.b64encode(generator.randbytes(1536)).decode())
    }
    assert found == set()
