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


def test_replicas_share_findings_through_redis_sealed(engine, redis_url, key_prefix) -> None:
    import asyncio

    from gateway.attachments.redis_cache import RedisCacheStore

    segments = _segments()
    texts = [s.text for s in segments]

    def rest(texts: list[str], places: int) -> list[list]:
        return engine.scan_segments(texts, places=places)

    async def scenario() -> None:
        stores = [RedisCacheStore(redis_url, key_prefix) for _ in range(3)]
        first, second = (
            AttachmentScan(b"k" * 32, shared=stores[0]),
            AttachmentScan(b"k" * 32, shared=stores[1]),
        )
        stranger = AttachmentScan(b"x" * 32, shared=stores[2])  # another key
        try:
            found = scan_with_files(rest, first, engine, "v1", segments, texts)
            await first.publish()
            file_key = second.key("v1", texts[1:3])
            await second.prefetch([file_key])
            assert scan_with_files(rest, second, engine, "v1", segments, texts) == found
            assert second.hits == 1  # no scan of the file on the second replica
            await stranger.prefetch([stranger.key("v1", texts[1:3])])
            scan_with_files(rest, stranger, engine, "v1", segments, texts)
            assert stranger.hits == 0
        finally:
            for store in stores:
                await store.aclose()

    asyncio.run(scenario())
