"""A replica whose own policy file is broken starts with Redis's active version, if any."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from gateway.app import build_app
from gateway.errors import ConfigError
from gateway.settings import load_settings
from tests.support.polling import wait_for
from tests.support.rollout import (
    BASE_POLICY,
    STRICT_POLICY,
    chat,
    ready,
    rollout_gateway,
    rollout_keys,
)
from tests.support.services import closed_port

RRN_TEXT = "my number is 900101-1234568"
#: a rule without `when`: the loader's message names the file, line and key
BROKEN = BASE_POLICY + "  - id: broken\n    action: block\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_suffix(".new")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)
    return path


def file_error(folder: Path) -> str:
    """What the loader says about BROKEN (the precise error a replica must report)."""
    from gateway.detect import SUPPORTED_ENTITIES
    from gateway.policy import load_policy

    with pytest.raises(ConfigError) as error:
        load_policy(folder / "policy.yaml", SUPPORTED_ENTITIES)
    return str(error.value)


def seed(folder: Path, redis_url: str, key_prefix: str, text: str = STRICT_POLICY) -> str:
    """One good replica runs once with ``text``, leaving it as Redis's active version."""
    folder.mkdir(parents=True, exist_ok=True)
    with rollout_gateway(folder, text, redis_url=redis_url, key_prefix=key_prefix) as (
        gateway,
        app,
        _fake,
    ):
        wait_for(lambda: ready(gateway.base_url)["policy_source"] == "redis")
        return app.policy.version


@pytest.mark.slow
def test_a_broken_file_starts_with_the_shared_version_and_reports_the_file(
    tmp_path: Path, redis_url: str, key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    shared = seed(tmp_path / "a", redis_url, key_prefix)
    write(tmp_path / "b" / "policy.yaml", BROKEN)
    expected = file_error(tmp_path / "b")
    assert "rule 'broken'" in expected

    replica = rollout_gateway(tmp_path / "b", redis_url=redis_url, key_prefix=key_prefix)
    with caplog.at_level(logging.ERROR, logger="haetae.rollout"), replica as (gateway, app, _):
        status = ready(gateway.base_url)
        assert status["http_status"] == 200
        assert status["policy_version"] == shared == app.policy.version
        assert status["policy_source"] == "redis"
        assert status["policy_reload_error"]["message"] == expected
        blocked = chat(gateway.base_url, RRN_TEXT)  # the shared policy is enforced
        assert blocked.status_code == 403 and "block-rrn" in blocked.text

        # Fixing the file is a file change like any other: it is rolled out.
        write(tmp_path / "b" / "policy.yaml", BASE_POLICY)
        wait_for(lambda: "policy_reload_error" not in ready(gateway.base_url))
        wait_for(lambda: app.policy.version != shared)
        assert chat(gateway.base_url, RRN_TEXT).status_code == 200
    assert f"starts with the shared active version {shared} from Redis" in caplog.text
    assert "rule 'broken'" in caplog.text


def start(folder: Path, **rollout: object) -> None:
    overrides = {"policy": str(folder / "policy.yaml"), "audit.url": f"sqlite:///{folder}/a.db"}
    overrides |= {f"rollout.{key}": value for key, value in rollout.items()}
    if "redis_url" in rollout:
        overrides["rollout.signing_key_file"] = str(rollout_keys()[0])
    build_app(load_settings(environ={}, overrides=overrides), environ={})


def test_without_redis_a_broken_file_stops_start_up_with_its_error(tmp_path: Path) -> None:
    write(tmp_path / "policy.yaml", BROKEN)
    with pytest.raises(ConfigError) as refused:
        start(tmp_path)
    assert str(refused.value) == file_error(tmp_path)


def test_an_empty_redis_does_not_save_a_broken_file(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    write(tmp_path / "policy.yaml", BROKEN)
    with pytest.raises(ConfigError) as refused:
        start(tmp_path, redis_url=redis_url, key_prefix=key_prefix)
    message = str(refused.value)
    assert message.startswith(file_error(tmp_path))
    assert "Redis holds no active version" in message


def test_a_forged_shared_version_does_not_save_a_broken_file(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    import redis

    seed(tmp_path / "a", redis_url, key_prefix)
    client = redis.Redis.from_url(redis_url)
    client.set(f"{key_prefix}active", b"0123456789abcdef")  # unsigned, as an attacker writes
    client.close()
    write(tmp_path / "b" / "policy.yaml", BROKEN)
    with pytest.raises(ConfigError) as refused:
        start(tmp_path / "b", redis_url=redis_url, key_prefix=key_prefix)
    message = str(refused.value)
    assert message.startswith(file_error(tmp_path / "b"))
    assert "Redis's active version was refused" in message and "not a signed envelope" in message


def test_an_unreachable_redis_does_not_save_a_broken_file(tmp_path: Path) -> None:
    write(tmp_path / "policy.yaml", BROKEN)
    nowhere = f"redis://127.0.0.1:{closed_port()}/0"
    with pytest.raises(ConfigError) as refused:
        start(tmp_path, redis_url=nowhere)
    message = str(refused.value)
    assert message.startswith(file_error(tmp_path))
    assert "no shared policy to start with instead" in message
    assert "ConnectionError" in message


@pytest.mark.slow
def test_a_shared_version_unusable_here_does_not_save_a_broken_file(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    # The shared version reads a term file that this replica's directory lacks.
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "names.txt").write_text("Heron\n")
    with_terms = BASE_POLICY.replace(
        "rules:",
        "detection:\n  dictionaries:\n    - { entity: CODENAME, file: names.txt }\nrules:",
    )
    seed(tmp_path / "a", redis_url, key_prefix, with_terms)
    write(tmp_path / "b" / "policy.yaml", BROKEN)
    with pytest.raises(ConfigError) as refused:
        start(tmp_path / "b", redis_url=redis_url, key_prefix=key_prefix)
    message = str(refused.value)
    assert message.startswith(file_error(tmp_path / "b"))
    assert "cannot be used here either" in message and "names.txt" in message
