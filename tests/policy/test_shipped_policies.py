"""The shipped policies pass their own test cases and the linter: what CI runs."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from gateway.detect import SUPPORTED_ENTITIES
from gateway.policy.cases import format_reports, run_policy_tests
from gateway.policy.lint import lint_policy
from gateway.policy.loader import load_policy
from gateway.providers.catalog import load_catalog

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "policies").glob("*.yaml"))


def test_every_shipped_policy_is_there() -> None:
    names = {path.name for path in SHIPPED}
    assert {"default.yaml", "korea-public-sector.yaml", "finance.yaml", "developer.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_policy_passes_its_own_tests(path: Path) -> None:
    reports = run_policy_tests([path])
    assert reports[0].ok, format_reports(reports)
    assert len(reports[0].results) >= 7


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_policy_lints_clean(path: Path) -> None:
    policy = load_policy(path, SUPPORTED_ENTITIES)
    today = datetime.date(2026, 11, 27)
    findings = lint_policy(policy, load_catalog(), today)
    assert [f for f in findings if f.level != "note"] == []


def test_the_shipped_json_schema_is_current() -> None:
    """policies/policy.schema.json is what `haetae policy schema` prints; regenerate it if not."""
    import json

    from gateway.policy.schema import json_schema

    shipped = Path(__file__).resolve().parents[2] / "policies" / "policy.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == json_schema()
