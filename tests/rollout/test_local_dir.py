"""One host, no Redis: versions and the active choice survive a restart."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.rollout import ADMIN, STRICT_POLICY, chat, rollout_gateway

RRN_TEXT = "my number is 900101-1234568"
THIRD = STRICT_POLICY.replace("policy: base", "policy: third")


def activate(base_url: str, text: str) -> str:
    with httpx.Client(base_url=f"{base_url}/admin/v1", headers=ADMIN, timeout=10) as api:
        version: str = api.post("/policies", content=text).json()["version"]
        assert api.post(f"/policies/{version}/activate").status_code == 200
    return version


@pytest.mark.slow
def test_a_restart_keeps_an_api_activation_but_a_new_file_wins(tmp_path: Path) -> None:
    store = tmp_path / "var-policies"
    with rollout_gateway(tmp_path, local_dir=str(store)) as (gateway, _app, _):
        strict = activate(gateway.base_url, STRICT_POLICY)

    # Restart with the same file: the admin's activation stands.
    with rollout_gateway(tmp_path, local_dir=str(store)) as (gateway, app, _):
        assert app.policy.version == strict
        assert chat(gateway.base_url, RRN_TEXT).status_code == 403
        history = httpx.get(
            gateway.url("/admin/v1/policies/history"), headers=ADMIN, timeout=5
        ).json()["changes"]
        assert [c["action"] for c in history] == ["activate", "reload"]

    # The operator edits the file while the gateway is down: the new file wins.
    (tmp_path / "policy.yaml").write_text(THIRD, encoding="utf-8")
    with rollout_gateway(tmp_path, local_dir=str(store)) as (_gateway, app, _):
        assert app.policy.name == "third"
