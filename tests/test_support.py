"""The shared test support layer does what the suite relies on it for."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.support.polling import wait_for
from tests.support.services import RUN_ID, unavailable
from tests.support.stack import gateway_stack


def test_wait_for_returns_the_first_truthy_value() -> None:
    calls = itertools.count()
    assert wait_for(lambda: next(calls) >= 2 and "ready", timeout=10.0, interval=0) == "ready"


def test_wait_for_fails_with_what_was_seen_at_the_deadline() -> None:
    with pytest.raises(AssertionError, match="still 'starting'"):
        wait_for(lambda: None, timeout=0, message=lambda: "still 'starting'")


def test_a_missing_service_skips_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Redis is not reachable"):
        unavailable("Redis is not reachable at 127.0.0.1:6379")


def test_in_ci_a_missing_service_fails_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires it"):
        unavailable("Redis is not reachable at 127.0.0.1:6379")


def test_redis_keys_are_under_this_runs_prefix(key_prefix: str) -> None:
    assert key_prefix.startswith(f"haetae-test:{RUN_ID}:")


def test_each_test_gets_a_postgres_schema_of_its_own(postgres_url: str) -> None:
    schema = postgres_url.rpartition("?schema=")[2]
    assert schema.startswith(f"haetae_test_{RUN_ID}_")


def test_a_stack_takes_its_policy_as_a_file_or_as_text_not_both(tmp_path: Path) -> None:
    with (
        pytest.raises(ValueError, match="not both"),
        gateway_stack(tmp_path, policy=tmp_path / "p.yaml", policy_text="policy: p\n"),
    ):
        pass
