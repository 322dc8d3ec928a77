"""Replicas sharing Redis, in one process: file changes roll out to all; strict readiness."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.polling import wait_for
from tests.support.rollout import BASE_POLICY, STRICT_POLICY, chat, ready, rollout_gateway
from tests.support.services import closed_port

RRN_TEXT = "my number is 900101-1234568"


@pytest.mark.slow
def test_a_changed_policy_file_is_rolled_out_to_every_replica(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    shared = {"redis_url": redis_url, "key_prefix": key_prefix}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        rollout_gateway(tmp_path / "a", **shared) as (_gateway_a, app_a, _),
        rollout_gateway(tmp_path / "b", **shared) as (gateway_b, app_b, _),
    ):
        first = app_a.policy.version
        assert app_b.policy.version == first
        # Only A's file changes (B's might be on another host, not yet updated).
        aside = tmp_path / "a" / "new.yaml"
        aside.write_text(STRICT_POLICY, encoding="utf-8")
        os.replace(aside, tmp_path / "a" / "policy.yaml")

        wait_for(lambda: app_b.policy.version != first)
        assert app_b.policy.version == app_a.policy.version
        assert chat(gateway_b.base_url, RRN_TEXT).status_code == 403
        assert ready(gateway_b.base_url)["policy_source"] == "redis"


def test_strict_readiness_answers_503_while_redis_is_unreachable(tmp_path: Path) -> None:
    nowhere = f"redis://127.0.0.1:{closed_port()}/0"
    with rollout_gateway(tmp_path, redis_url=nowhere, unready_when_unreachable=True) as (
        gateway,
        _app,
        _,
    ):
        status = ready(gateway.base_url)
        assert status["http_status"] == 503
        assert status["redis"] == "unreachable" and status["status"] == "not ready"


def test_a_file_change_while_redis_is_unreachable_is_served_here(tmp_path: Path) -> None:
    nowhere = f"redis://127.0.0.1:{closed_port()}/0"
    with rollout_gateway(tmp_path, BASE_POLICY, redis_url=nowhere) as (gateway, app, _):
        first = app.policy.version
        aside = tmp_path / "new.yaml"
        aside.write_text(STRICT_POLICY, encoding="utf-8")
        os.replace(aside, tmp_path / "policy.yaml")
        wait_for(lambda: app.policy.version != first)
        status = ready(gateway.base_url)
        assert status["policy_source"] == "file" and status["redis"] == "unreachable"
        assert chat(gateway.base_url, RRN_TEXT).status_code == 403


@pytest.mark.slow
def test_a_replica_whose_term_files_differ_refuses_the_shared_version(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    policy = (
        "policy: terms\ndetection:\n  dictionaries:\n"
        "    - { entity: CODENAME, file: names.txt }\n"
        "rules:\n  - { id: names, when: { entities: [CODENAME] }, action: block }\n"
    )
    shared = {"redis_url": redis_url, "key_prefix": key_prefix}
    for name, terms in (("a", "Phoenix\n"), ("b", "Heron\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "names.txt").write_text(terms)
    with rollout_gateway(tmp_path / "a", policy, **shared) as (gateway_a, app_a, _):
        own = app_a.policy.version
        # B starts with a new file version, so it rolls that out to everyone...
        with rollout_gateway(tmp_path / "b", policy, **shared) as (_gateway_b, app_b, _):
            assert app_b.policy.version != own
            # ...but A computes another version from the same YAML: it keeps its own.
            status = wait_for(
                lambda: (s := ready(gateway_a.base_url)).get("policy_sync_error") and s
            )
            assert app_b.policy.version in status["policy_sync_error"]["message"]
            assert "files next to its policy file differ" in status["policy_sync_error"]["message"]
            assert status["policy_version"] == own
            assert chat(gateway_a.base_url, "about Phoenix").status_code == 403
