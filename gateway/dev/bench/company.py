"""``haetae bench --company``: what company matching adds to a scan, at full size.

Builds a synthetic customer table (1,000,000 rows of name, phone, e-mail and account by
default) and a document collection (10,000 documents, a fifth of them source files) once,
into the temporary directory, where later runs find it (hashing a million rows takes
minutes; the directory's name carries the index formats and the data's seed); reports
how long building took and how large the index is,
then scans the detection benchmark's texts (the 1 KB prompt, 50 KB of logs and code, and
a 1 KB prompt holding a registered row and passage) with the default policy's engine
without and with the company recognizers, alternating, and prints the median process CPU
time of each, what the company recognizers add per KB (in ms, the unit of the issue's
budget of 0.1 ms per KB), and the ratio. Start-up (opening
the memory-mapped index and building the recognizers) and resident memory are measured
in the same process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.detect.company.documents import SourceKind

__all__ = ["run_company_benchmark"]

_SURNAMES = "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민"
_SYLLABLES = "민서지수현우준영은하예도윤재성진호아연유채다나라마바사상동철훈혁희정"
_FIRST = ["James", "Mary", "John", "Linda", "David", "Susan", "Daniel", "Grace", "Ana", "Luis"]
_LAST = ["Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Moore"]
_KEY = b"benchmark-company-key-0123456789"


def _rows(count: int, rng: random.Random) -> Iterator[list[str | None]]:
    for number in range(count):
        if number % 4:
            name = rng.choice(_SURNAMES) + "".join(rng.choices(_SYLLABLES, k=2))
        else:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        phone = f"010-{rng.randrange(10_000):04d}-{rng.randrange(10_000):04d}"
        yield [
            name,
            phone,
            f"user{number}@example{number % 97}.co.kr",
            f"{rng.randrange(1000):03d}-{rng.randrange(1000):03d}-{rng.randrange(10**6):06d}",
        ]


def _vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(20_000)]


def _document(rng: random.Random, words: list[str], length: int) -> str:
    sentences = []
    for _ in range(length // 12):
        sentences.append(" ".join(rng.choices(words, k=12)).capitalize() + ".")
    return " ".join(sentences)


def _source(rng: random.Random, words: list[str]) -> str:
    out = []
    for _ in range(rng.randint(5, 15)):
        name, args = rng.choice(words), rng.sample(words, 3)
        out.append(f"def {name}({', '.join(args)}):")
        for _ in range(rng.randint(3, 10)):
            a, b = rng.sample(words, 2)
            out.append(f"    {a} = {b}.{rng.choice(words)}({rng.randrange(100)}) + {a}")
        out.append(f"    return {rng.choice(args)}\n")
    return "\n".join(out)


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * 4096 / 1e6


def _cpu(scan: Callable[[], object], repeat: int) -> float:
    began = time.process_time()
    for _ in range(repeat):
        scan()
    return (time.process_time() - began) / repeat


_SEED = 20261207


def _cached_index(rows: int, documents: int) -> tuple[Path, dict[str, Any]]:
    """The synthetic index, built once into the temporary directory and reused by later
    runs (a million rows take minutes to hash); ``build.json`` marks it complete and
    holds how long building took."""
    from gateway.detect.company.documents import FORMAT as DOCUMENTS
    from gateway.detect.company.documents import DocumentIndexBuilder
    from gateway.detect.company.records import FORMAT as TABLES
    from gateway.detect.company.records import Column, build_table

    version = hashlib.sha256(f"{TABLES} {DOCUMENTS} {_SEED} 3".encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"haetae-company-bench-{rows}-{documents}-{version}"
    marker = folder / "build.json"
    if marker.exists():
        built: dict[str, Any] = json.loads(marker.read_text("utf-8"))
        built["cached"] = f"built {built['built']}, cached in {folder}"
        return folder, built
    shutil.rmtree(folder, ignore_errors=True)
    columns = [
        Column("name", "name"),
        Column("phone", "phone"),
        Column("email", "email"),
        Column("account", "account"),
    ]
    print(f"building the index in {folder} (once)", file=sys.stderr, flush=True)
    stats = build_table(
        folder / "tables" / "customers",
        "customers",
        columns,
        _rows(rows, random.Random(_SEED)),
        _KEY,
    )
    began = time.perf_counter()
    builder = DocumentIndexBuilder(_KEY)
    for number, (name, text, kind, as_code) in enumerate(_documents(documents)):
        builder.add(name, text, kind, as_code)
        if number % 2000 == 1999:
            print(f"  {number + 1:,} documents", file=sys.stderr, flush=True)
    size = builder.write(folder / "documents" / "docs", "docs")
    built = {
        "rows": stats.rows,
        "cells": stats.cells,
        "table_seconds": stats.seconds,
        "table_bytes": stats.bytes,
        "document_seconds": time.perf_counter() - began,
        "document_bytes": size,
        "built": time.strftime("%Y-%m-%d %H:%M"),
    }
    marker.write_text(json.dumps(built), "utf-8")
    built["cached"] = f"built now, cached in {folder}"
    return folder, built


def _documents(count: int) -> Iterator[tuple[str, str, SourceKind, bool]]:
    rng = random.Random(_SEED + 1)
    words = _vocabulary(rng)
    for number in range(count):
        if number % 5 == 4:
            yield f"repo/src/module{number}.py", _source(rng, words), "source_code", True
        else:
            text = _document(rng, words, rng.randint(300, 900))
            yield f"docs/report{number}.docx", text, "document", False


def _first_document(count: int) -> str:
    return next(_documents(count))[1]


def run_company_benchmark(
    rows: int = 1_000_000, documents: int = 10_000, rounds: int = 9, output: Path | None = None
) -> int:
    from gateway.detect import DetectionEngine
    from gateway.detect.company.index import CompanyIndex
    from gateway.detect.company.recognizers import build_company_recognizers
    from gateway.dev.evaluation.speed import code_and_logs, default_policy_entities, prompt_1kb

    index_dir, built = _cached_index(rows, documents)
    # a Korean-named row (row 1): the 90 English names are each shared by ~2,800 rows,
    # more than MAX_ROWS_PER_VALUE, so they identify no row by design
    sample = list(_rows(2, random.Random(_SEED)))[1]
    entities = default_policy_entities()
    plain = DetectionEngine(entities)
    rss_before = _rss_mb()
    began = time.perf_counter()
    index = CompanyIndex.open(index_dir, _KEY)
    recognizers = build_company_recognizers(
        index, {"COMPANY_RECORD", "COMPANY_DOCUMENT", "COMPANY_SOURCE_CODE"}
    )
    opened = time.perf_counter() - began
    rss_opened = _rss_mb()
    began = time.perf_counter()
    company = DetectionEngine(entities, extra_recognizers=recognizers)
    engine_seconds = time.perf_counter() - began
    passage = " ".join(_first_document(documents).split()[:60])
    hit = f"{sample[0]} 고객 연락처 {sample[1]} 확인 부탁. {passage} " + prompt_1kb()
    hit = hit.encode()[:1024].decode("utf-8", "ignore")
    cases = [
        ("1 KB prompt", prompt_1kb()),
        ("1 KB prompt with a registered row and passage", hit),
        ("50 KB logs and code", code_and_logs()),
    ]
    found = {f.entity_type for f in company.scan(hit)}
    assert {"COMPANY_RECORD", "COMPANY_DOCUMENT"} <= found, found
    table = [
        "| text | bytes | default policy µs | + company µs | added ms per KB | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for label, text in cases:
        size_kb = len(text.encode()) / 1024
        repeat = max(1, int(40 / size_kb))
        before: list[float] = []
        after: list[float] = []
        for _ in range(rounds):
            before.append(_cpu(functools.partial(plain.scan, text), repeat))
            after.append(_cpu(functools.partial(company.scan, text), repeat))
        off, on = statistics.median(before), statistics.median(after)
        table.append(
            f"| {label} | {len(text.encode()):,} | {off * 1e6:,.0f} | {on * 1e6:,.0f} "
            f"| {(on - off) * 1e3 / size_kb:.3f} | ×{on / off:.2f} |"
        )
        print(table[-1], file=sys.stderr, flush=True)
    rss_after = _rss_mb()
    lines = [
        f"Company matching — {time.strftime('%Y-%m-%d %H:%M')} — median process CPU of "
        f"{rounds} alternating rounds, default policy's engine without / with it",
        "",
        f"Index: {built['rows']:,} rows ({built['cells']:,} cells) in "
        f"{built['table_seconds']:.1f} s, {built['table_bytes'] / 1e6:.1f} MB; "
        f"{documents:,} documents in {built['document_seconds']:.1f} s, "
        f"{built['document_bytes'] / 1e6:.1f} MB ({built['cached']}).",
        f"Start-up: opening the index and building the recognizer {opened * 1000:.0f} ms "
        f"(then the engine that holds it, as any policy change builds one: "
        f"{engine_seconds * 1000:.0f} ms). Resident memory {rss_before:.0f} MB before, "
        f"{rss_opened:.0f} MB with the index open, {rss_after:.0f} MB after building the "
        f"second engine and scanning (the index is memory-mapped: only the pages lookups "
        f"touch are resident, and shared with the scan workers).",
        "",
        *table,
        "",
        "Budget (issue 16): company matching adds at most 0.1 ms per KB.",
    ]
    report = "\n".join(lines)
    print(report)
    if output is not None:
        output.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(run_company_benchmark())
