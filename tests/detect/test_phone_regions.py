"""detection.phone_regions: which plans' national forms are read, down to the scan workers."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from gateway.app import build_app
from gateway.detect import DetectionEngine
from gateway.detect.processes import _built
from gateway.errors import ConfigError
from gateway.settings import load_settings

_LONDON = "런던 사무실 020 7946 0958로 연락"
_NEW_YORK = "Reach the NY desk at (212) 555-0199."


def _phones(engine: DetectionEngine, text: str) -> list[str]:
    return [text[f.start : f.end] for f in engine.scan(text) if f.entity_type == "PHONE_NUMBER"]


def test_only_the_listed_regions_national_forms_are_read() -> None:
    engine = DetectionEngine(["PHONE_NUMBER"], phone_regions=("KR", "GB"))
    assert _phones(engine, _LONDON) == ["020 7946 0958"]
    assert _phones(engine, _NEW_YORK) == []
    # Written with an access code, any country is read whatever the list says.
    assert _phones(engine, "뉴욕 지사 001-212-555-0123") == ["001-212-555-0123"]


def test_the_default_list_reads_both() -> None:
    engine = DetectionEngine(["PHONE_NUMBER"])
    assert _phones(engine, _LONDON) == ["020 7946 0958"]
    assert _phones(engine, _NEW_YORK) == ["(212) 555-0199"]


def test_a_scan_worker_builds_the_engine_with_the_same_regions() -> None:
    engine = DetectionEngine(["PHONE_NUMBER"], phone_regions=("KR", "GB"))
    sent = pickle.loads(pickle.dumps(engine.recipe))
    twin = _built(sent.key, sent)
    assert twin.recipe.phone_regions == ("KR", "GB")
    assert _phones(twin, _NEW_YORK) == []


def test_an_unknown_region_fails_when_the_engine_is_built() -> None:
    with pytest.raises(ValueError, match="unknown phone regions"):
        DetectionEngine(["PHONE_NUMBER"], phone_regions=("KR", "XX"))


@pytest.mark.parametrize(
    "regions", [["kr"], ["KOR"], [], ["KR", "KR"]], ids=["lower", "alpha3", "empty", "twice"]
)
def test_settings_reject_malformed_lists(regions: list[str]) -> None:
    with pytest.raises(ConfigError, match="phone_regions"):
        load_settings(environ={}, overrides={"detection.phone_regions": regions})


def test_the_gateway_builds_its_engine_with_the_setting(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "policy: n\nrules: [{id: p, when: {entities: [PHONE_NUMBER]}, action: block}]\n"
    )
    overrides = {
        "policy": str(policy),
        "audit.url": f"sqlite:///{tmp_path}/a.db",
        "detection.phone_regions": ["KR", "GB"],
    }
    app = build_app(load_settings(environ={}, overrides=overrides), environ={})
    engine = app.rollout.holder.active.engine
    assert engine.recipe.phone_regions == ("KR", "GB")
