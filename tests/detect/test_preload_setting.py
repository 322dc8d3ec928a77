"""detection.preload_name_model loads the name model at start-up, whatever the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

import gateway.app
from gateway.app import build_app
from gateway.settings import load_settings


@pytest.mark.parametrize("preload", [True, False])
def test_the_setting_decides_whether_start_up_loads_the_name_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preload: bool
) -> None:
    loads: list[bool] = []
    monkeypatch.setattr(gateway.app, "preload_name_model", lambda: loads.append(True) or True)
    policy = tmp_path / "p.yaml"
    policy.write_text("policy: n\nrules: [{id: e, when: {entities: [KR_RRN]}, action: block}]\n")
    overrides = {
        "policy": str(policy),
        "audit.url": f"sqlite:///{tmp_path}/a.db",
        "detection.preload_name_model": preload,
    }
    build_app(load_settings(environ={}, overrides=overrides), environ={})
    assert loads == ([True] if preload else [])
