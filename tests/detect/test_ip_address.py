"""IP addresses: only the runs around a gate hit are scanned, with a full scan's results."""

from __future__ import annotations

import pytest
from presidio_analyzer import PatternRecognizer

from gateway.detect.recognizers.generic import IpAddressRecognizer
from gateway.dev.evaluation.speed import code_and_logs


@pytest.mark.parametrize(
    "text",
    [
        "fe80::1%eth0 down, ::1 and ::ffff:192.168.0.1 up",
        "2001:db8:85a3:0:0:8a2e:370:7334 ok\n1:2:3:4:5:6:1.2.3.4",
        "서버 10.0.0.1이고 백업은 2001:db8::8a2e:370:7334입니다",
        "at 12:34:56 version 2.4.1 (10.0.3.12:5432)",
        code_and_logs(8 * 1024),
    ],
)
def test_chunked_scan_matches_full_text_scan(text: str) -> None:
    recognizer = IpAddressRecognizer()
    chunked = recognizer.analyze(text, ["IP_ADDRESS"])
    full = PatternRecognizer.analyze(recognizer, text, ["IP_ADDRESS"])
    assert sorted((r.start, r.end, r.score) for r in chunked) == sorted(
        (r.start, r.end, r.score) for r in full
    )
    assert chunked


def test_times_of_day_do_not_open_the_gate() -> None:
    assert IpAddressRecognizer.GATE.search("2025-03-01T12:34:56.789Z job took 00:01:02") is None
