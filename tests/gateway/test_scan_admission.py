"""Detect's admission of large scans: a full queue refuses at once, in the caller's language,
and scans in worker processes find what scans on the loop find."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.processes import ScanProcesses
from gateway.detect.recipe import EngineRecipe
from gateway.detect.recognizers.dictionary import DictionaryRecognizer
from gateway.errors import InspectionBusy
from gateway.exchange import Exchange
from gateway.inspection import Detect
from gateway.providers.dialect import Segment


class _HeldEngine:
    """An engine whose scans wait until the test lets them go."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.recipe = EngineRecipe.of((), 0.0, (), "auto")

    def scan_segments(self, texts: list[str], **_: Any) -> list[list[object]]:
        self.release.wait(10)
        return [[] for _ in texts]


def _exchange(text: str, language: str = "en") -> Exchange:
    headers = [(b"accept-language", language.encode())]
    policy = SimpleNamespace(
        document=SimpleNamespace(default_language="en"),
        screen=lambda _texts, found: SimpleNamespace(findings=found, counts={}, scores={}),
    )
    exchange = Exchange("id", "POST", "/", b"", headers, None, None, policy)  # type: ignore[arg-type]
    exchange.segments = [Segment(("messages", 0, "content"), text, "text")]
    return exchange


def test_a_full_scan_queue_is_refused_at_once_in_the_callers_language() -> None:
    engine = _HeldEngine()
    detect = Detect(engine, 100, max_concurrent_scans=1, max_queued_scan_chars=5_000)  # type: ignore[arg-type]

    async def main() -> tuple[InspectionBusy, InspectionBusy]:
        running = asyncio.create_task(detect(_exchange("x" * 5_000)))
        waiting = asyncio.create_task(detect(_exchange("y" * 5_000)))
        await asyncio.sleep(0.05)
        refusals = []
        for language in ("ko", "en"):
            with pytest.raises(InspectionBusy) as refused:
                await detect(_exchange("z" * 5_000, language))
            refusals.append(refused.value)
        engine.release.set()
        await asyncio.gather(running, waiting)  # the admitted ones are scanned all the same
        return refusals[0], refusals[1]

    korean, english = asyncio.run(main())
    assert korean.status == english.status == 503
    assert korean.code == "inspection_busy"
    assert "detection.max_queued_scan_chars" in korean.message and "대기" in korean.message
    assert "Retry shortly" in english.message


@pytest.mark.slow
def test_a_scan_in_a_worker_process_finds_what_one_in_process_finds() -> None:
    company = DictionaryRecognizer("PROJECT_NAME", ["Blue Falcon"])
    engine = DetectionEngine(["KR_RRN", "EMAIL_ADDRESS"], extra_recognizers=[company])
    texts = [
        "주민번호 900101-1234568, mail kim@example.com",
        "Blue Falcon ships in March",
        "제 번호는 900101",  # the two parts of a split value: joined, numbered parts
        "-1234568 입니다",
    ]
    expected = engine.scan_segments(texts, max_view_chars=10_000)
    processes = ScanProcesses(1)

    try:
        deadline = time.monotonic() + 120  # the forkserver imports the engine first
        while not processes.ready(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        found = asyncio.run(processes.scan(engine, texts, None, 10_000))
    finally:
        processes.close()
    assert found == expected
    entities = {f.entity_type for fs in found for f in fs}
    assert entities == {"KR_RRN", "EMAIL_ADDRESS", "PROJECT_NAME"}
    assert any(f.joined for f in found[2])


@pytest.mark.slow
def test_workers_that_cannot_build_their_engine_fall_back_to_threads() -> None:
    broken = SimpleNamespace(recipe=EngineRecipe.of(None, 0.0, (), "xx"))  # no such language
    processes = ScanProcesses(1)
    try:
        assert not processes.ready(broken)  # type: ignore[arg-type]
        deadline = time.monotonic() + 120
        while processes.state == "starting" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes.state == "off"  # scans go to a thread; nothing waits for the pool
        assert not processes.ready(broken)  # type: ignore[arg-type]
    finally:
        processes.close()


def test_workers_that_cannot_start_at_all_fall_back_to_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_fork_server(method: str) -> None:
        raise OSError("no semaphores here")

    monkeypatch.setattr("gateway.detect.processes.multiprocessing.get_context", no_fork_server)
    processes = ScanProcesses(2)
    assert not processes.ready(_HeldEngine())  # type: ignore[arg-type]
    deadline = time.monotonic() + 10
    while processes.state != "off" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert processes.state == "off"  # not "starting" for ever: /readyz does not hang on it
