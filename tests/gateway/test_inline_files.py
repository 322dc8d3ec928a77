"""Files' text is scanned file by file, and a resent file's findings come from the cache."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.inline_files import AttachmentScan, scan_with_files
from gateway.providers.dialect import Segment
from tests.support.values import EMAIL, RRN


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(entities=["KR_RRN", "EMAIL_ADDRESS"])


def _segments() -> list[Segment]:
    path = ("messages", 0, "content", 1, "file", "file_data")
    return [
        Segment(("messages", 0, "content", 0, "text"), f"mail {EMAIL}"),
        # a resident number split across two pages of one PDF
        Segment(path, f"page one ends {RRN[:6]}", "attachment", part="pdf page 1"),
        Segment(path, f"{RRN[6:]} page two", "attachment", part="pdf page 2"),
        Segment((), "openai v1 chat completions", "url"),
    ]


def test_a_value_split_across_pages_is_found_and_resent_files_hit_the_cache(engine) -> None:
    segments = _segments()
    texts = [s.text for s in segments]
    files = AttachmentScan(b"k" * 32)

    def rest(texts: list[str], places: int) -> list[list]:
        return engine.scan_segments(texts, places=places)

    found = scan_with_files(rest, files, engine, "v1", segments, texts)
    assert [sorted(f.entity_type for f in per) for per in found] == [
        ["EMAIL_ADDRESS"],
        ["KR_RRN"],
        ["KR_RRN"],
        [],
    ]
    assert found[1][0].joined == found[2][0].joined != 0
    again = scan_with_files(rest, files, engine, "v1", segments, texts)
    assert again == found and files.hits == 1
    # another policy version scans again: its detector may see other entities
    scan_with_files(rest, files, engine, "v2", segments, texts)
    assert files.hits == 1
