"""The rollout key pair: sealing and opening shared values, and reading the keys."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from gateway.errors import ConfigError
from gateway.rollout.signing import (
    RolloutKeys,
    UntrustedState,
    generate_key_pair,
    load_rollout_keys,
)
from gateway.settings import RolloutSettings

PAYLOAD = {"version": "0123456789abcdef", "yaml": "policy: x\n", "at": 1.5, "seq": 3}


def keys(signing: Path | None = None, verify: Path | None = None) -> RolloutKeys:
    config = RolloutSettings(signing_key_file=signing, verify_key_file=verify)
    loaded = load_rollout_keys(config, {}, required=True)
    assert loaded is not None
    return loaded


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return generate_key_pair(tmp_path / "keys")


def test_a_sealed_value_opens_with_the_public_key_alone(pair: tuple[Path, Path]) -> None:
    signer, follower = keys(signing=pair[0]), keys(verify=pair[1])
    sealed = signer.seal("version", PAYLOAD)
    assert follower.open("version", sealed, "k") == PAYLOAD
    # Canonical: the same payload with its keys in another order still verifies.
    envelope = orjson.loads(sealed)
    envelope["payload"] = dict(reversed(list(envelope["payload"].items())))
    assert follower.open("version", orjson.dumps(envelope), "k") == PAYLOAD
    assert not follower.can_sign
    with pytest.raises(ConfigError, match="cannot change it"):
        follower.seal("version", PAYLOAD)


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda e: e | {"payload": e["payload"] | {"yaml": "rules: []\n"}}, "does not match"),
        (lambda e: e | {"payload": e["payload"] | {"seq": 4}}, "does not match"),
        (lambda e: e | {"kind": "change"}, "different kind"),
        (lambda e: e | {"key": "0000000000000000"}, "does not trust"),
        (lambda e: e | {"sig": "not base64!"}, "does not match"),
        (lambda e: e["payload"], "unsigned"),
    ],
)
def test_a_changed_envelope_does_not_open(
    pair: tuple[Path, Path], mangle: Callable[[dict[str, Any]], Any], reason: str
) -> None:
    signer = keys(signing=pair[0])
    envelope = orjson.loads(signer.seal("version", PAYLOAD))
    forged = orjson.dumps(mangle(envelope))
    with pytest.raises(UntrustedState, match=reason) as caught:
        signer.open("version", forged, "p:versions[x]")
    assert caught.value.where == "p:versions[x]"
    assert "rules: []" not in str(caught.value)  # never quotes the value


def test_a_value_from_another_key_or_kind_does_not_open(
    pair: tuple[Path, Path], tmp_path: Path
) -> None:
    ours, theirs = keys(signing=pair[0]), keys(signing=generate_key_pair(tmp_path / "x")[0])
    with pytest.raises(UntrustedState, match="does not trust"):
        ours.open("change", theirs.seal("change", PAYLOAD), "p:active")
    with pytest.raises(UntrustedState, match="different kind"):
        ours.open("change", ours.seal("version", PAYLOAD), "p:active")
    with pytest.raises(UntrustedState, match="not JSON"):
        ours.open("change", b"0123456789abcdef", "p:active")


def test_redis_without_any_rollout_key_refuses_to_start() -> None:
    with pytest.raises(ConfigError) as refused:
        load_rollout_keys(RolloutSettings(redis_url="redis://r:6379/0"), {}, required=True)
    assert "anyone who can write to Redis decides the policy" in str(refused.value)
    assert "haetae rollout keygen" in str(refused.value)
    assert load_rollout_keys(RolloutSettings(), {}, required=False) is None


def test_keys_come_from_variables_too(pair: tuple[Path, Path]) -> None:
    environ = {"HAETAE_ROLLOUT_SIGNING_KEY": pair[0].read_text()}
    loaded = load_rollout_keys(RolloutSettings(), environ, required=True)
    assert loaded is not None and loaded.can_sign
    environ = {"HAETAE_ROLLOUT_VERIFY_KEY": pair[1].read_text()}
    loaded = load_rollout_keys(RolloutSettings(), environ, required=True)
    assert loaded is not None and not loaded.can_sign


def test_the_verify_setting_may_trust_several_keys_for_a_rotation(
    pair: tuple[Path, Path], tmp_path: Path
) -> None:
    new_signing, new_verify = generate_key_pair(tmp_path / "new")
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(pair[1].read_text() + new_verify.read_text())
    old_sealed = keys(signing=pair[0]).seal("change", PAYLOAD)
    rotated = keys(signing=new_signing, verify=bundle)
    assert rotated.open("change", old_sealed, "p:active") == PAYLOAD  # the old still opens
    assert len(rotated.verifiers) == 2


def test_key_settings_that_cannot_work_are_start_up_errors(
    pair: tuple[Path, Path], tmp_path: Path
) -> None:
    other_verify = generate_key_pair(tmp_path / "other")[1]
    with pytest.raises(ConfigError, match="would refuse its own activations"):
        keys(signing=pair[0], verify=other_verify)
    with pytest.raises(ConfigError, match="public keys only"):
        keys(verify=pair[0])
    ec_key = tmp_path / "ec.pem"
    ec_key.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ConfigError, match="not an Ed25519 key") as caught:
        keys(signing=ec_key)
    assert "BEGIN" not in str(caught.value)  # the key's text is never in a message
    with pytest.raises(ConfigError, match="cannot read"):
        keys(signing=tmp_path / "missing.pem")


@pytest.mark.slow  # runs the CLI in fresh interpreters
def test_keygen_writes_a_private_file_and_never_overwrites(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "gateway.cli", "rollout", "keygen", "--out", str(tmp_path)]
    made = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    signing = tmp_path / "rollout-signing.pem"
    assert stat.S_IMODE(signing.stat().st_mode) == 0o600
    assert keys(signing=signing, verify=tmp_path / "rollout-verify.pem").can_sign
    again = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode != 0 and "not overwriting" in again.stderr


def test_the_documented_openssl_commands_make_a_usable_pair(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    signing, verify = tmp_path / "rollout-signing.pem", tmp_path / "rollout-verify.pem"
    subprocess.run([openssl, "genpkey", "-algorithm", "ed25519", "-out", str(signing)], check=True)
    subprocess.run(
        [openssl, "pkey", "-in", str(signing), "-pubout", "-out", str(verify)], check=True
    )
    signer, follower = keys(signing=signing, verify=verify), keys(verify=verify)
    assert follower.open("version", signer.seal("version", PAYLOAD), "k") == PAYLOAD


def test_rejections_are_counted_once_per_value_and_exported_as_a_metric() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from gateway.rollout.signing import Rejections
    from gateway.telemetry.metrics import GatewayMetrics

    reader = InMemoryMetricReader()
    metrics = GatewayMetrics(MeterProvider(metric_readers=[reader]).get_meter("test"))
    rejections = Rejections()
    metrics.watch_rollout(rejections)
    refused = UntrustedState("p:active", "unsigned (no signature envelope)")
    for _ in range(3):  # the same forged pointer, re-read every poll interval
        rejections.record(refused, b"forged")
    rejections.record(refused, b"another forgery")
    assert rejections.status() == {"count": 2} | (rejections.last or {})
    data = reader.get_metrics_data()
    assert data is not None
    values = [
        getattr(point, "value", None)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "haetae.rollout.rejected"
        for point in metric.data.data_points
    ]
    assert values == [2]


def test_a_gateway_with_redis_and_no_rollout_key_does_not_start(tmp_path: Path) -> None:
    from gateway.app import build_app
    from gateway.settings import load_settings

    overrides = {
        "rollout.redis_url": "redis://:hunter2@127.0.0.1:6379/0",
        "audit.url": f"sqlite:///{tmp_path / 'audit.db'}",
    }
    with pytest.raises(ConfigError, match="no rollout signing or verification key") as refused:
        build_app(load_settings(environ={}, overrides=overrides), environ={})
    assert "hunter2" not in str(refused.value)
