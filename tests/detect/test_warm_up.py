"""Start-up warm-up: what a recognizer would load on first need is loaded before serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.app import build_app
from gateway.detect import DetectionEngine
from gateway.detect.recognizers.kr import person
from gateway.settings import load_settings


def test_warm_up_loads_kiwi_only_when_names_are_scanned() -> None:
    assert DetectionEngine(["KR_RRN", "EMAIL_ADDRESS"]).warm_up() == []
    assert DetectionEngine([]).warm_up() == []
    engine = DetectionEngine(["PERSON", "KR_RRN"])
    assert engine.warm_up() == ["KrPersonRecognizer"]
    assert person._kiwi is not None
    # Loaded once per process: a second engine finds it ready.
    assert DetectionEngine(["PERSON"]).warm_up() == ["KrPersonRecognizer"]


def test_warm_up_without_kiwi_reports_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(person, "_kiwi", None)
    monkeypatch.setattr(person, "_kiwi_failed", True)  # kiwipiepy missing
    assert DetectionEngine(["PERSON"]).warm_up() == []
    # Names by honorific or label are still found without it.
    [found] = DetectionEngine(["PERSON"]).scan("성명: 홍길동")
    assert found.score >= 0.5


def test_the_gateway_warms_its_engine_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[frozenset[str]] = []

    def record(engine: DetectionEngine) -> list[str]:
        calls.append(engine.entities)
        return []

    monkeypatch.setattr(DetectionEngine, "warm_up", record)
    policy = tmp_path / "p.yaml"
    policy.write_text("policy: n\nrules: [{id: n, when: {entities: [PERSON]}, action: redact}]\n")
    settings = load_settings(
        environ={}, overrides={"policy": str(policy), "audit.url": f"sqlite:///{tmp_path}/a.db"}
    )
    build_app(settings, environ={})
    assert calls == [frozenset({"PERSON"})]
