"""A setting or policy that needs a missing extra stops start-up with one clear message.

An extra is made "missing" here by putting ``None`` in ``sys.modules`` for its
module, which is what Python itself reports for a module that cannot be
imported; the gateway must then name the setting and the extra instead of
failing with an import error (or later, on a request). tests/test_installed_wheel.py
does the same with the extras really absent.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gateway.app import build_app
from gateway.audit.open import open_audit_store
from gateway.detect import SUPPORTED_ENTITIES
from gateway.extras import EXTRAS, MissingExtra
from gateway.policy.active import PolicyHolder
from gateway.policy.loader import load_policy
from gateway.rollout.redis_connect import redis_access
from gateway.settings import TelemetrySettings, load_settings
from gateway.telemetry import build_telemetry

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OPTIONAL = PYPROJECT["project"]["optional-dependencies"]


def message(extra: str, needed_by: str) -> str:
    return f"{needed_by} needs the '{extra}' extra: pip install 'haetae[{extra}]'"


Remove = Callable[[str], None]


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> Remove:
    """``without("redis")``: the extra's modules cannot be imported for this test."""

    def remove(extra: str) -> None:
        for module in EXTRAS[extra].modules:
            monkeypatch.setitem(sys.modules, module, None)

    return remove


def test_the_table_names_every_extra_of_pyproject_and_all_installs_them() -> None:
    assert set(EXTRAS) == set(OPTIONAL) - {"all"}
    assert OPTIONAL["all"] == [f"haetae[{','.join(EXTRAS)}]"]


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_each_module_of_the_table_comes_from_its_extra(extra: str) -> None:
    """So ``require`` tests what the extra installs (every extra is installed for tests)."""
    requirements = {canonicalize_name(Requirement(line).name) for line in OPTIONAL[extra]}
    providers = metadata.packages_distributions()
    for module in EXTRAS[extra].modules:
        distributions = {canonicalize_name(d) for d in providers[module.split(".")[0]]}
        assert distributions & requirements, f"{module} is not installed by '{extra}'"


def test_redis_url_without_redis(without: Remove, tmp_path: Path) -> None:
    settings = load_settings(
        environ={},
        overrides={"rollout.redis_url": "redis://127.0.0.1:6379/0", "policy": str(tmp_path / "p")},
    )
    without("redis")
    with pytest.raises(MissingExtra) as raised:
        redis_access(settings.rollout, environ={})
    assert str(raised.value) == message("redis", "rollout.redis_url")


def test_a_broken_policy_file_does_not_fall_back_to_redis_without_redis(
    without: Remove, tmp_path: Path
) -> None:
    broken = tmp_path / "p.yaml"
    broken.write_text("policy: [\n")
    settings = load_settings(
        environ={},
        overrides={"rollout.redis_url": "redis://127.0.0.1:6379/0", "policy": str(broken)},
    )
    without("redis")
    with pytest.raises(MissingExtra) as raised:
        build_app(settings, environ={})
    assert str(raised.value) == message("redis", "rollout.redis_url")


@pytest.mark.parametrize("url", ["postgresql://haetae@db:5432/audit", "postgres://db/audit"])
def test_postgres_audit_url_without_psycopg(without: Remove, url: str) -> None:
    without("postgres")
    scheme = url.partition("://")[0]
    with pytest.raises(MissingExtra) as raised:
        open_audit_store(url)
    assert str(raised.value) == message("postgres", f"audit.url {scheme}://")
    assert "haetae@db" not in str(raised.value)  # a URL can carry a password


@pytest.mark.parametrize(
    ("settings", "environ", "needed_by"),
    [
        (TelemetrySettings(prometheus=True), {}, "telemetry.prometheus"),
        (
            TelemetrySettings(),
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
            "telemetry export (OTEL_EXPORTER_OTLP_ENDPOINT)",
        ),
        (
            TelemetrySettings(),
            {"OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "none"},
            "telemetry export (OTEL_TRACES_EXPORTER)",
        ),
    ],
)
def test_telemetry_without_the_sdk(
    without: Remove, settings: TelemetrySettings, environ: dict[str, str], needed_by: str
) -> None:
    without("otel")
    with pytest.raises(MissingExtra) as raised:
        build_telemetry(settings, environ)
    assert str(raised.value) == message("otel", needed_by)


def test_telemetry_off_needs_no_extra(without: Remove) -> None:
    without("otel")
    telemetry = build_telemetry(TelemetrySettings(), {})
    assert telemetry.tracer is None and telemetry.metrics is None


def test_a_policy_scanning_names_without_the_name_model(without: Remove, tmp_path: Path) -> None:
    """Refused rather than served with names found only next to an honorific."""
    policy = tmp_path / "names.yaml"
    policy.write_text(
        "policy: names\nrules: [{id: n, when: {entities: [PERSON]}, action: redact}]\n"
    )
    compiled = load_policy(policy, SUPPORTED_ENTITIES)
    without("ko-names")
    with pytest.raises(MissingExtra) as raised:
        PolicyHolder.from_policy(compiled)
    assert str(raised.value) == message("ko-names", "policy 'names' (it scans PERSON)")


def test_preloading_the_name_model_without_it(without: Remove, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("policy: n\nrules: [{id: e, when: {entities: [KR_RRN]}, action: block}]\n")
    settings = load_settings(
        environ={},
        overrides={
            "policy": str(policy),
            "audit.url": f"sqlite:///{tmp_path}/a.db",
            "detection.preload_name_model": True,
        },
    )
    without("ko-names")
    with pytest.raises(MissingExtra) as raised:
        build_app(settings, environ={})
    assert str(raised.value) == message("ko-names", "detection.preload_name_model")
