"""Hot reload from the policy file: valid changes go live, invalid ones never do."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from gateway.detect import SUPPORTED_ENTITIES
from gateway.errors import ConfigError
from gateway.policy import load_policy
from tests.support.polling import wait_for
from tests.support.rollout import ADMIN, BASE_POLICY, STRICT_POLICY, chat, ready, rollout_gateway

RRN_TEXT = "my number is 900101-1234568"


def rewrite(path: Path, text: str) -> None:
    """Replace the file the way editors and config maps do: write aside, then rename."""
    aside = path.with_suffix(".new")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)


def test_a_valid_change_goes_live_with_its_new_scanners(tmp_path: Path) -> None:
    with rollout_gateway(tmp_path) as (gateway, app, _fake):
        first = app.policy.version
        assert chat(gateway.base_url, RRN_TEXT).status_code == 200

        rewrite(tmp_path / "policy.yaml", STRICT_POLICY)
        wait_for(lambda: app.policy.version != first)

        # KR_RRN was not scanned before: the engine was rebuilt before the switch.
        blocked = chat(gateway.base_url, RRN_TEXT)
        assert blocked.status_code == 403 and "block-rrn" in blocked.text
        status = ready(gateway.base_url)
        assert status["policy_version"] == app.policy.version
        assert status["policy_source"] == "file"
        history = httpx.get(
            gateway.url("/admin/v1/policies/history"), headers=ADMIN, timeout=5
        ).json()["changes"]
        assert history[0]["action"] == "reload"
        assert history[0]["by"] == f"file:{tmp_path / 'policy.yaml'}"
        assert history[0]["from"] == first


def test_an_invalid_file_is_reported_and_never_activated(tmp_path: Path) -> None:
    with rollout_gateway(tmp_path) as (gateway, app, _fake):
        good = app.policy.version
        rewrite(tmp_path / "policy.yaml", BASE_POLICY + "  - id: broken\n    action: block\n")

        status = wait_for(lambda: (s := ready(gateway.base_url)).get("policy_reload_error") and s)
        assert status["http_status"] == 200  # still serving its last good policy
        assert status["policy_version"] == good
        with pytest.raises(ConfigError) as loader:
            load_policy(tmp_path / "policy.yaml", SUPPORTED_ENTITIES)
        assert status["policy_reload_error"]["message"] == str(loader.value)
        listing = httpx.get(gateway.url("/admin/v1/policies"), headers=ADMIN, timeout=5).json()
        assert listing["replica"]["policy_reload_error"] == status["policy_reload_error"]
        assert chat(gateway.base_url, "hello").status_code == 200
        assert app.policy.version == good

        # Fixing the file clears the report and activates the fix.
        rewrite(tmp_path / "policy.yaml", STRICT_POLICY)
        wait_for(lambda: app.policy.version != good)
        assert "policy_reload_error" not in ready(gateway.base_url)


@pytest.mark.slow
def test_a_changed_dictionary_file_is_noticed_through_the_loader(tmp_path: Path) -> None:
    policy = (
        "policy: terms\ndetection:\n  dictionaries:\n"
        "    - { entity: CODENAME, file: names.txt }\n"
        "rules:\n  - { id: names, when: { entities: [CODENAME] }, action: block }\n"
    )
    (tmp_path / "names.txt").write_text("Phoenix\n")
    with rollout_gateway(tmp_path, policy) as (gateway, app, _fake):
        first = app.policy.version
        assert chat(gateway.base_url, "status of Heron?").status_code == 200
        rewrite(tmp_path / "names.txt", "Phoenix\nHeron\n")  # the policy file is untouched
        wait_for(lambda: app.policy.version != first)
        assert chat(gateway.base_url, "status of Heron?").status_code == 403
