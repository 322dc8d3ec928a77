"""Sealed evidence: off by default; when on, only the responders' private key opens it."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from gateway.audit.evidence import EvidenceError, EvidenceSealer, open_evidence
from gateway.cli import main
from gateway.errors import ConfigError
from gateway.settings import load_settings
from tests.support.stack import gateway_stack

EMAIL = "kim.minsu@example.co.kr"
KEY = X25519PrivateKey.generate()


def test_sealed_evidence_opens_only_with_the_key_and_its_record_id() -> None:
    sealer = EvidenceSealer(KEY.public_key())
    sealed = sealer.seal([{"value": EMAIL}], "rec-1")
    assert EMAIL not in sealed and sealed.startswith("v1.")
    assert open_evidence(sealed, "rec-1", KEY) == [{"value": EMAIL}]
    with pytest.raises(EvidenceError, match="another key"):
        open_evidence(sealed, "rec-1", X25519PrivateKey.generate())
    with pytest.raises(EvidenceError, match="another key, or the evidence was altered"):
        open_evidence(sealed, "rec-2", KEY)  # moved onto another record
    with pytest.raises(EvidenceError, match="not sealed evidence"):
        open_evidence("plain text", "rec-1", KEY)


def test_a_new_period_uses_a_new_ephemeral_key() -> None:
    sealer = EvidenceSealer(KEY.public_key(), period=0)
    one, two = sealer.seal(1, "r"), sealer.seal(1, "r")
    assert one[3:40] != two[3:40]
    assert open_evidence(one, "r", KEY) == open_evidence(two, "r", KEY) == 1


def write_keys(folder: Path) -> tuple[Path, Path]:
    private, public = folder / "evidence.pem", folder / "evidence.pub"
    private.write_bytes(
        KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def test_a_gateway_seals_the_values_and_the_cli_opens_them(tmp_path: Path, capsys) -> None:
    private, public = write_keys(tmp_path)
    settings = {"audit.evidence_public_key_file": str(public)}
    with gateway_stack(tmp_path, settings=settings) as gateway:
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"to {EMAIL}"}]}
        reply = httpx.post(
            gateway.url("/openai/v1/chat/completions"), content=orjson.dumps(body), timeout=10
        )
        request_id = reply.headers["x-haetae-request-id"]
        record = gateway.record(request_id)
    url = gateway.audit_url
    assert record.evidence is not None
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("audit.db*"))
    assert EMAIL.encode() not in raw
    code = main(["audit", "evidence", "--url", url, "--private-key", str(private),
                 "--request-id", request_id])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    (opened,) = [orjson.loads(line) for line in out.splitlines()]
    assert opened["evidence"] == [
        {"entity_type": "EMAIL_ADDRESS", "location": "messages[0].content", "value": EMAIL,
         "score": opened["evidence"][0]["score"]},
    ]  # fmt: skip


def test_without_the_setting_there_is_no_evidence_at_all(tmp_path: Path) -> None:
    from gateway.audit.setup import configured_keys

    settings = load_settings(environ={}).audit
    assert configured_keys(settings, b"k" * 32, {}).sealer is None


def test_a_wrong_key_type_is_a_config_error(tmp_path: Path) -> None:
    from gateway.audit.evidence import load_evidence_public_key

    bad = tmp_path / "bad.pub"
    bad.write_text("not a key")
    with pytest.raises(ConfigError, match="not a PEM public key"):
        load_evidence_public_key(bad)


def test_nonces_never_repeat_under_one_period_key() -> None:
    import base64

    sealer = EvidenceSealer(KEY.public_key())
    nonces = {base64.urlsafe_b64decode(sealer.seal(i, "r")[3:])[32:44] for i in range(1000)}
    assert len(nonces) == 1000
