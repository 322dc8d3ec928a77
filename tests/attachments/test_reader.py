"""The reader: worker processes with limits, a keyed cache, and Redis between replicas."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile

import pytest

from gateway.attachments import AttachmentLimits, AttachmentReader, UninspectableAttachment
from gateway.attachments.cache import ReadCache
from gateway.attachments.redis_cache import RedisCacheStore
from gateway.attachments.result import ReadAttachment
from gateway.dev.testing import documents as files

KEY = b"k" * 32
RRN = "900101-1234568"


def read(reader: AttachmentReader, data: bytes, **hints: str) -> ReadAttachment:
    async def go() -> ReadAttachment:
        return await reader.read(
            data, media_type=hints.get("media_type"), filename=hints.get("filename")
        )

    return asyncio.run(go())


def test_a_resent_file_is_answered_from_the_cache_without_a_worker() -> None:
    reader = AttachmentReader(AttachmentLimits(ocr=False), KEY, workers=1)
    try:
        document = files.docx([f"주민번호 {RRN}"])
        first = read(reader, document, filename="a.docx")
        started = time.perf_counter()
        again = read(reader, document, filename="a.docx")
        assert time.perf_counter() - started < 0.5  # no worker round trip
        assert again == first and reader.cache.hits == 1
    finally:
        reader.close()


def test_refusals_are_cached_too_and_name_the_file_each_time() -> None:
    reader = AttachmentReader(AttachmentLimits(ocr=False), KEY, workers=1)
    try:
        bomb = files.zip_bomb()
        for name in ("one.zip", "two.zip"):
            with pytest.raises(UninspectableAttachment) as refused:
                read(reader, bomb, filename=name)
            assert (refused.value.reason, refused.value.name) == ("bomb", name)
        assert reader.cache.hits == 1
    finally:
        reader.close()


def test_the_cache_key_is_keyed_and_never_the_content() -> None:
    limits = AttachmentLimits()
    data = f"주민번호 {RRN}".encode()
    one = ReadCache(KEY, limits).key(data, "text/plain", None)
    assert RRN not in one and data.hex() not in one
    assert ReadCache(b"x" * 32, limits).key(data, "text/plain", None) != one  # another key
    assert ReadCache(KEY, limits).key(data, "text/csv", None) != one  # another reading


@pytest.mark.slow
def test_a_read_past_its_deadline_is_refused_and_the_worker_replaced() -> None:
    # 30 pages of OCR cannot finish in a second: the worker is killed
    limits = AttachmentLimits(timeout_seconds=1.0, max_images=30)
    reader = AttachmentReader(limits, KEY, workers=1)
    try:
        image = files.text_image([f"line {n} {RRN}" for n in range(40)], font_size=24)
        document = files.docx(["x"], images=[image] * 30)
        with pytest.raises(UninspectableAttachment, match="timeout"):
            read(reader, document)
        # the next read gets a fresh worker
        assert read(reader, b"plain text", media_type="text/plain").texts == (
            ("text", "plain text"),
        )
    finally:
        reader.close()


@pytest.mark.slow
def test_a_worker_that_runs_out_of_memory_refuses_the_file() -> None:
    # ratio and size limits off: only the worker's 256 MB address-space cap stands
    limits = AttachmentLimits(
        memory_bytes=256 * 1024 * 1024, max_unpacked_bytes=2**34, max_zip_ratio=10**6
    )
    reader = AttachmentReader(limits, KEY, workers=1)
    try:
        with pytest.raises(UninspectableAttachment, match="too_large"):
            read(reader, _streamed_zip(400))
        assert read(reader, b"still here", media_type="text/plain").chars == 10
    finally:
        reader.close()


def _streamed_zip(megabytes: int) -> bytes:
    """A ZIP of ``megabytes`` of text, written in chunks: this process never holds it."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("a.txt", "w", force_zip64=True) as member,
    ):
        chunk = b"a" * (1024 * 1024)
        for _ in range(megabytes):
            member.write(chunk)
    return out.getvalue()


def test_without_ocr_images_are_uninspectable_and_the_reader_says_why() -> None:
    reader = AttachmentReader(AttachmentLimits(ocr=False), KEY, workers=1)
    try:
        assert reader.ocr_problem == "OCR is turned off (attachments.ocr: false)"
        with pytest.raises(UninspectableAttachment, match="ocr_unavailable"):
            read(reader, files.text_image(["hello"]), filename="shot.png")
    finally:
        reader.close()


def test_replicas_share_reads_through_redis_sealed(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> None:
        document = files.pdf([f"RRN {RRN}"])
        first = AttachmentReader(
            AttachmentLimits(ocr=False),
            KEY,
            workers=1,
            shared=RedisCacheStore(redis_url, key_prefix),
        )
        second = AttachmentReader(
            AttachmentLimits(ocr=False),
            KEY,
            workers=1,
            shared=RedisCacheStore(redis_url, key_prefix),
        )
        try:
            read_first = await first.read(document, media_type=None, filename=None)
            read_second = await second.read(document, media_type=None, filename=None)
            assert read_second == read_first and second.cache.shared_hits == 1
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(redis_url)
            keys = [k async for k in client.scan_iter(match=f"{key_prefix}*")]
            (stored,) = [await client.get(k) for k in keys]
            await client.aclose()
            assert RRN.encode() not in stored  # sealed: not the text
            # a replica with another key cannot open it, and reads the file itself
            other = AttachmentReader(
                AttachmentLimits(ocr=False),
                b"o" * 32,
                workers=1,
                shared=RedisCacheStore(redis_url, key_prefix),
            )
            await other.read(document, media_type=None, filename=None)
            assert other.cache.shared_hits == 0
            await other.aclose()
        finally:
            await first.aclose()
            await second.aclose()

    asyncio.run(scenario())


def test_workers_never_see_the_gateways_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.attachments.pool import _worker_environment

    monkeypatch.setenv("HAETAE_PSEUDONYM_KEY", "k" * 32)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("TESSDATA_PREFIX", "/usr/share/tesseract-ocr/5/tessdata/")
    seen = _worker_environment()
    assert "HAETAE_PSEUDONYM_KEY" not in seen and "OPENAI_API_KEY" not in seen
    assert seen["TESSDATA_PREFIX"] == "/usr/share/tesseract-ocr/5/tessdata/"
    assert "PATH" in seen


def test_the_worker_protocol_answers_in_json_frames() -> None:
    import dataclasses
    import struct

    import orjson

    from gateway.attachments.worker import serve

    def job(data: bytes, media_type: str | None) -> bytes:
        header = orjson.dumps(
            {
                "media_type": media_type,
                "filename": None,
                "limits": dataclasses.asdict(AttachmentLimits(ocr=False)),
            }
        )
        return struct.pack("<I", len(header)) + header + struct.pack("<Q", len(data)) + data

    source = io.BytesIO(job(b"hello", "text/plain") + job(files.zip_bomb(), None))
    sink = io.BytesIO()
    serve(source, sink)  # until the source ends
    replies, out = [], sink.getvalue()
    while out:
        (size,) = struct.unpack("<I", out[:4])
        replies.append(orjson.loads(out[4 : 4 + size]))
        out = out[4 + size :]
    assert replies[0]["read"]["texts"] == [["text", "hello"]]
    assert replies[1] == {"refused": "bomb", "kind": "zip"}
