"""deploy/: the example config loads, and compose wires two replicas to one Redis and
one PostgreSQL that the config actually points at."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from gateway.settings import Settings, load_settings, shipped_policy

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
    assert settings.policy == shipped_policy()  # in the package the image installs
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


DOCKERFILE = ROOT / "deploy" / "Dockerfile"
IMAGE_CONFIG = ROOT / "deploy" / "haetae.image.yaml"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def test_the_image_installs_from_the_lock_with_hashes() -> None:
    """Not the floating versions of `pip install .`: the bytes that CI tested."""
    runs = [args for op, args in instructions() if op == "RUN"]
    bootstrap = [r for r in runs if "requirements/bootstrap.txt" in r]
    assert bootstrap and all("--require-hashes" in r for r in bootstrap)
    syncs = [r.split() for r in runs if "uv sync" in r]
    assert syncs, "the dependencies come from uv.lock"
    for sync in syncs:
        # --locked: fail if the lock is stale instead of resolving anew.
        assert {"--locked", "--no-dev", "--all-extras"} <= set(sync)
    assert "--no-editable" in syncs[-1]  # the installed package, with its policies
    assert not [r for r in runs if re.search(r"pip install (?!.*-r requirements/bootstrap)", r)]
    copied = " ".join(args for op, args in instructions() if op == "COPY")
    for needed in ("uv.lock", "requirements/bootstrap.txt", "pyproject.toml", "gateway"):
        assert needed in copied.split()
        assert (ROOT / needed).exists()


def test_the_image_sets_no_setting_a_mounted_config_could_not_change() -> None:
    """HAETAE_* variables win over the config file; the image's defaults are a file."""
    env = " ".join(args for op, args in final_stage() if op == "ENV")
    names = set(re.findall(r"\b(HAETAE_\w+)=", env))
    assert names == {"HAETAE_CONFIG"}
    config_path = re.search(r"HAETAE_CONFIG=(\S+)", env)
    assert config_path is not None
    copies = [args.split() for op, args in final_stage() if op == "COPY"]
    assert ["deploy/haetae.image.yaml", config_path.group(1)] in copies


def test_the_image_config_serves_one_container_with_sqlite_on_the_volume() -> None:
    settings = load_settings(IMAGE_CONFIG, environ={})
    assert settings.listen.host == "0.0.0.0"
    assert settings.audit.url == "sqlite:////data/audit.db"
    assert settings.policy == shipped_policy()
    volumes = [args for op, args in final_stage() if op == "VOLUME"]
    assert volumes == ["/data"]


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
        assert str(settings.audit.signing_key_file) in mounted  # one key on both replicas
        assert settings.audit.create_signing_key is False
        assert str(settings.proxy.ca_cert) in mounted
        assert str(settings.proxy.ca_key) in mounted
    assert {s["file"] for s in secrets.values()} == {
        "./secrets/rollout-signing.pem",
        "./secrets/rollout-verify.pem",
        "./secrets/audit-signing.pem",
        "./secrets/proxy-ca.pem",
        "./secrets/proxy-ca-key.pem",
    }


@pytest.mark.parametrize("listener", ["proxy", "icap"])
def test_compose_publishes_each_replicas_proxy_and_icap_ports(listener: str) -> None:
    services = compose()["services"]
    published = []
    for name in REPLICAS:
        settings = getattr(replica_settings(services[name]), listener)
        assert settings.listen is not None
        host, port = settings.address()
        assert host == "0.0.0.0"
        (mapping,) = [p for p in services[name]["ports"] if p.endswith(f":{port}")]
        published.append(mapping.split(":")[0])
    assert len(set(published)) == 2
