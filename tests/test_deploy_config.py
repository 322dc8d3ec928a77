"""deploy/: the example config loads, and compose wires two replicas to one Redis and
one PostgreSQL that the config actually points at."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from gateway.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "deploy" / "haetae.example.yaml"
COMPOSE = ROOT / "deploy" / "compose.yaml"
REPLICAS = ("haetae-a", "haetae-b")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def interpolated(environment: dict[str, str]) -> dict[str, str]:
    """Compose's ``${VAR:?message}`` filled with a stand-in, as a shell would."""
    return {
        key: re.sub(r"\$\{(\w+)(:\?[^}]*)?\}", lambda m: f"<{m.group(1)}>", str(value))
        for key, value in environment.items()
    }


def replica_settings(service: dict[str, Any]) -> Settings:
    """The settings a replica runs with: the mounted example, then its environment."""
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
    environment = interpolated(service["environment"])
    config = environment.pop("HAETAE_CONFIG")
    assert mounts[config] == "./haetae.example.yaml"
    return load_settings(EXAMPLE, environ=environment)


def test_example_deployment_config_is_valid() -> None:
    settings = load_settings(EXAMPLE, environ={})
    assert settings.listen.host == "0.0.0.0"
    assert settings.policy == Path("policies/default.yaml")
    assert (ROOT / settings.policy).is_file()  # the image ships it at that path
    assert settings.rollout.redis_url == "redis://redis:6379/0"
    assert settings.rollout.poll_interval <= 1  # the "within one second"
    assert settings.audit.url.startswith("postgresql://")
    assert settings.audit.spool.startswith("/data/")  # the image's writable volume
    assert settings.identity.api_keys.file == Path("/etc/haetae/keys/keys.jsonl")
    assert settings.identity.trusted_headers.proxies == []
    assert settings.telemetry.prometheus is True
    assert settings.telemetry.propagate_upstream is False


def test_every_section_of_the_example_is_commented_and_known() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for section in ("rollout", "audit", "identity", "telemetry"):
        line = next(line for line in text.splitlines() if line.startswith(f"{section}:"))
        assert "#" in line, f"{section}: says where it is documented"
        assert section in Settings.model_fields


def test_compose_runs_two_replicas_on_one_redis_and_one_postgres() -> None:
    services = compose()["services"]
    assert {"redis", "postgres", *REPLICAS} <= set(services)
    settings = [replica_settings(services[name]) for name in REPLICAS]
    assert settings[0] == settings[1]  # the same shared backends and policy

    redis_url, audit_url = (
        urlsplit(settings[0].rollout.redis_url or ""),
        urlsplit(settings[0].audit.url),
    )
    assert redis_url.hostname == "redis"
    assert audit_url.hostname == "postgres" and audit_url.port == 5432
    postgres = interpolated(services["postgres"]["environment"])
    assert audit_url.username == postgres["POSTGRES_USER"]
    assert audit_url.password == postgres["POSTGRES_PASSWORD"]  # the same variable
    assert audit_url.path == "/" + postgres["POSTGRES_DB"]

    for name in REPLICAS:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["depends_on"] == {
            "redis": {"condition": "service_healthy"},
            "postgres": {"condition": "service_healthy"},
        }
        assert "HAETAE_PSEUDONYM_KEY" in service["environment"]  # one key for all replicas
    host_ports = [services[name]["ports"][0].split(":")[0] for name in REPLICAS]
    assert len(set(host_ports)) == 2
    spools = [
        next(v for v in services[name]["volumes"] if v.endswith(":/data")) for name in REPLICAS
    ]
    assert len(set(spools)) == 2  # each replica spools on its own volume
    for backend in ("redis", "postgres"):
        assert "healthcheck" in services[backend]
        assert services[backend]["volumes"]  # versions and records survive a restart


def test_compose_needs_every_secret_from_the_environment() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    for variable in (
        "POSTGRES_PASSWORD",
        "HAETAE_ADMIN_TOKEN",
        "HAETAE_PSEUDONYM_KEY",
        "REDIS_PASSWORD",
    ):
        assert f"${{{variable}:?" in text  # compose refuses to start without it


def test_compose_redis_requires_the_password_the_replicas_send() -> None:
    services = compose()["services"]
    redis = services["redis"]
    assert "requirepass" in " ".join(redis["command"])
    assert "$$REDIS_PASSWORD" in " ".join(redis["command"])  # read from stdin, not argv
    assert "REDISCLI_AUTH" in " ".join(redis["healthcheck"]["test"])
    assert interpolated(redis["environment"])["REDIS_PASSWORD"] == "<REDIS_PASSWORD>"
    for name in REPLICAS:
        settings = replica_settings(services[name])
        assert urlsplit(settings.rollout.redis_url or "").password is None  # not in the URL
        environment = interpolated(services[name]["environment"])
        assert environment[settings.rollout.redis_password_env] == "<REDIS_PASSWORD>"


def test_compose_gives_every_replica_the_rollout_keys_the_config_names() -> None:
    services, secrets = compose()["services"], compose()["secrets"]
    for name in REPLICAS:
        settings = replica_settings(services[name])
        mounted = {f"/run/secrets/{secret}" for secret in services[name]["secrets"]}
        assert str(settings.rollout.signing_key_file) in mounted
        assert str(settings.rollout.verify_key_file) in mounted
    assert {s["file"] for s in secrets.values()} == {
        "./secrets/rollout-signing.pem",
        "./secrets/rollout-verify.pem",
    }
