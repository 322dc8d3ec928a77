"""Signed checkpoints are on by default: the key is made once, private, apart from the store."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gateway.audit.chain import key_id, load_public_key
from gateway.audit.setup import configured_store
from gateway.audit.signing_key import ensure_signing_key, public_key_path
from gateway.audit.witness import FileWitness, witness_spec
from gateway.errors import ConfigError
from gateway.settings import AuditSettings, load_settings


def test_the_default_settings_sign_and_witness() -> None:
    audit = load_settings(None, environ={}).audit
    assert audit.signing_key_file == Path("var/keys/audit-signing.pem")
    assert audit.create_signing_key and audit.witness == "auto"


def test_a_missing_key_is_created_private_with_its_public_half(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit-signing.pem"
    key = ensure_signing_key(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert key_id(load_public_key(public_key_path(path))) == key_id(key.public_key())
    again = ensure_signing_key(path, create=True)  # the next start uses the same key
    assert key_id(again.public_key()) == key_id(key.public_key())
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "audit-signing.pem",
        "audit-signing.pem.pub",
    ]  # nothing left aside


def test_without_creation_a_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read audit signing key"):
        ensure_signing_key(tmp_path / "absent.pem", create=False)


def test_a_store_started_with_defaults_signs_its_checkpoints(tmp_path: Path) -> None:
    settings = AuditSettings(
        url=f"sqlite:///{tmp_path / 'data' / 'audit.db'}",
        signing_key_file=tmp_path / "keys" / "audit-signing.pem",
    )
    store = configured_store(settings)
    assert store._signer is not None
    assert (tmp_path / "keys" / "audit-signing.pem").exists()
    spec = witness_spec(settings.witness, settings.url)
    assert spec == f"file:{tmp_path / 'data' / 'witness' / 'audit.db.witness'}"
    assert isinstance(store._signer.witness, FileWitness)


def test_an_in_memory_trail_makes_no_key(tmp_path: Path) -> None:
    settings = AuditSettings(url="sqlite://:memory:", signing_key_file=tmp_path / "k.pem")
    assert configured_store(settings)._signer is None
    assert not (tmp_path / "k.pem").exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [("syslog://localhost", "syslog:// is not a witness"), ("file:", "file: needs a path")],
)
def test_an_unknown_witness_is_refused_with_what_to_use(spec: str, message: str) -> None:
    from gateway.audit.witness import open_witness

    with pytest.raises(ConfigError, match=message):
        open_witness(spec, "sqlite:///var/audit.db")


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="use an IANA name such as Asia/Seoul"):
        AuditSettings(timezone="Seoul")


@pytest.mark.parametrize(
    ("url", "spec"),
    [
        ("sqlite:///var/audit.db", "file:var/witness/audit.db.witness"),
        ("sqlite://:memory:", "off"),
        ("postgresql://u:pw@db.corp:5433/audit?schema=haetae",
         "file:var/witness/db.corp-5433-audit-haetae.witness"),
        ("postgresql:///audit", "file:var/witness/local-5432-audit-public.witness"),
    ],
)  # fmt: skip
def test_auto_gives_each_trail_a_witness_of_its_own(url: str, spec: str) -> None:
    assert witness_spec("auto", url) == spec
    assert "pw" not in spec
