"""``haetae bench --attachments``: what reading a file costs a request, cold and resent.

Three files of issue 11, made here: a 10-page text PDF, a 1-megapixel screenshot
and a 1 MB spreadsheet. Each is read by the gateway's ``AttachmentReader`` (a
worker process: parse, OCR) and its text scanned by the detector of the default
policy's entities; the baseline is the same text pasted as a prompt (a scan
alone). The resend row reads the file again (the keyed cache answers) and scans
it again (the findings cache answers, ``inline_files.AttachmentScan``). Times are
medians of ``repeat`` runs; the first read, which starts the worker, is left out.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from gateway.attachments import AttachmentLimits, AttachmentReader
from gateway.dev.testing import documents

__all__ = ["bench_files", "run_attachment_benchmark"]

_LINE = (
    "{n}. 고객 홍길동 (kim{n}@example.co.kr, 010-2345-{n:04d}) 님의 3분기 상담 기록: "
    "요청하신 환불 건은 처리되었으며 다음 주에 결과를 안내드릴 예정입니다. "
)


def bench_files() -> dict[str, bytes]:
    """The three files, by the row name they are reported under."""
    pages = [" ".join(_LINE.format(n=p * 20 + i) for i in range(12)) for p in range(10)]
    pdf = documents.pdf([_ascii(page) for page in pages])
    lines = [f"Order {n:05d}  kim{n}@example.com  010-2345-{n:04d}  paid" for n in range(22)]
    screenshot = documents.text_image(lines, size=(1000, 1000), font_size=22)
    # numbers as a ledger holds them: they pack less densely than repeated words, so a
    # megabyte holds about as many characters as the scan budget (1 Mi) allows
    rng = random.Random(11)
    rows: list[list[object]] = [["id", "account", "amount", "balance", "branch", "memo"]]
    n = 0
    sheet = b""
    while len(sheet) < 1_000_000:
        rows += [
            [
                i,
                f"{rng.randrange(10**11, 10**12)}",
                rng.randrange(1, 10**7),
                rng.randrange(1, 10**9),
                rng.randrange(100, 999),
                rng.choice(("이체", "입금", "출금", "수수료")),
            ]
            for i in range(n, n + 1000)
        ]
        n += 1000
        sheet = documents.xlsx({"ledger": rows})
    return {
        "10-page text PDF": pdf,
        "1-megapixel screenshot (PNG)": screenshot,
        f"{len(sheet) / 1e6:.1f} MB spreadsheet ({n:,} rows)": sheet,
    }


def _ascii(text: str) -> str:
    """The PDF writer's Helvetica holds Latin text: Hangul is replaced by words of it."""
    return "".join(ch if ord(ch) < 128 else "x" for ch in text).replace("xx", "Kim")


def _median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_attachment_benchmark(
    repeat: int = 3, output: Path | None = None, files: dict[str, bytes] | None = None
) -> int:
    """Print the table (and write it to ``output``); ``files`` replaces the three files."""
    from gateway.detect import DetectionEngine
    from gateway.inline_files import AttachmentScan

    engine = DetectionEngine()
    files = files if files is not None else bench_files()
    loop = asyncio.new_event_loop()
    rows = [
        "| file | bytes | characters | read (cold) | scan | read + scan | pasted text "
        "(scan only) | resent (cached) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    try:
        for name, data in files.items():
            reader = AttachmentReader(AttachmentLimits(), b"bench" * 8, workers=1)

            def read(reader: AttachmentReader = reader, data: bytes = data) -> object:
                return loop.run_until_complete(reader.read(data, media_type=None, filename=None))

            read()  # starts the worker (and loads Tesseract in it)
            first = loop.run_until_complete(reader.read(data, media_type=None, filename=None))
            texts = [text for _, text in first.texts]
            cold = []
            for _ in range(repeat):
                fresh = AttachmentReader(AttachmentLimits(), b"bench" * 8, workers=1)
                fresh._pool = reader._pool  # the warm worker, an empty cache
                started = time.perf_counter()
                read(fresh)
                cold.append((time.perf_counter() - started) * 1000)
            read_ms = statistics.median(cold)

            def scan(texts: list[str] = texts) -> object:
                return engine.scan_segments(texts)

            def pasted(texts: list[str] = texts) -> object:
                return engine.scan("\n".join(texts))

            scans = AttachmentScan(b"bench" * 8)
            scans.findings(engine, "v", texts)

            def resend(
                reader: AttachmentReader = reader,
                texts: list[str] = texts,
                scans: AttachmentScan = scans,
            ) -> object:
                return read(reader), scans.findings(engine, "v", texts)

            scan_ms = _median_ms(scan, repeat)
            pasted_ms = _median_ms(pasted, repeat)
            resent_ms = _median_ms(resend, repeat)
            rows.append(
                f"| {name} | {len(data):,} | {first.chars:,} | {read_ms:.0f} ms | "
                f"{scan_ms:.0f} ms | {read_ms + scan_ms:.0f} ms | {pasted_ms:.0f} ms | "
                f"{resent_ms:.2f} ms |"
            )
            reader.close()
    finally:
        loop.close()
    table = "\n".join(rows)
    print(table)
    if output is not None:
        output.write_text(table + "\n", encoding="utf-8")
    return 0
