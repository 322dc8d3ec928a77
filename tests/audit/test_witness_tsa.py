"""An RFC 3161 timestamp authority as the witness: real tokens from a TSA on loopback.

The authority (tests/support/tsa.py) has its own CA; the gateway trusts only
that CA. Every way a token can be wrong is made for real and must be named by
``verify``: a token from another authority, one moved to another checkpoint,
one whose signature was altered, and an authority that was unreachable.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from gateway.audit.signing_key import public_key_path
from gateway.audit.timestamp import TimestampError, parse_response, verify_token
from gateway.audit.witness import open_witness
from gateway.audit.witness_tsa import TimestampWitness
from gateway.errors import ConfigError
from tests.audit.test_witness import kinds, verify_against, written
from tests.support.tsa import Authority, serve_tsa


@pytest.fixture(scope="module")
def authority() -> Authority:
    return Authority.create()


def _spec(url: str, ca: Path, tokens: Path) -> str:
    return f"tsa+{url}?ca={ca}&tokens={tokens}&timeout=2"


def _lines(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _rewrite(path: Path, lines: list[dict[str, object]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))


def test_each_checkpoint_is_stamped_and_the_stampsverify_against(
    store_url: str, tmp_path: Path, authority: Authority
) -> None:
    tokens = tmp_path / "stamps.jsonl"
    with serve_tsa(authority) as url:
        spec = _spec(url, authority.write_ca(tmp_path / "tsa-ca.pem"), tokens)
        before = authority.requests
        _settings, _store = written(store_url, tmp_path, spec, 30)
        assert authority.requests - before == 3  # one stamp per checkpoint
    lines = _lines(tokens)
    assert [line["checkpoint"]["seq"] for line in lines] == [10, 20, 30]  # type: ignore[index]
    assert all(isinstance(line["token"], str) for line in lines)
    result = verify_against(tmp_path, store_url, spec)  # the authority is gone: nothing to ask it
    assert result.report.ok, result.report.problems
    assert result.report.witnessed == 3 and result.warnings == []


def test_a_deleted_tail_is_named_from_the_stamped_checkpoints(
    tmp_path: Path, authority: Authority
) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    tokens = tmp_path / "stamps.jsonl"
    with serve_tsa(authority) as tsa:
        spec = _spec(tsa, authority.write_ca(tmp_path / "tsa-ca.pem"), tokens)
        written(url, tmp_path, spec, 30)
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute("DELETE FROM audit_records WHERE seq > 15")
        conn.execute("DELETE FROM audit_checkpoints WHERE seq > 15")
    conn.close()
    assert kinds(verify_against(tmp_path, url, spec).report) == [(16, "tail_deleted")]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("another_authority", "not issued by the configured TSA certificate"),
        ("swapped", "message imprint differs"),
        ("bad_signature", "signature is not valid"),
        ("garbage", "cannot be read"),
    ],
)
def test_a_forged_or_mismatched_token_is_named(
    tmp_path: Path, authority: Authority, tamper: str, message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    tokens = tmp_path / "stamps.jsonl"
    ca = authority.write_ca(tmp_path / "tsa-ca.pem")
    with serve_tsa(authority) as tsa:
        spec = _spec(tsa, ca, tokens)
        written(url, tmp_path, spec, 30)
    lines = _lines(tokens)
    entry = orjson.dumps(lines[1]["checkpoint"], option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(entry).digest()
    if tamper == "another_authority":  # same name, its own CA: a forger's TSA
        forged = Authority.create(rsa_key=True).stamp(digest)
    elif tamper == "swapped":
        forged = base64.b64decode(str(lines[0]["token"]))
    elif tamper == "bad_signature":
        authority.mode = "bad_signature"
        try:
            forged = authority.stamp(digest)
        finally:
            authority.mode = "ok"
    else:
        forged = b"\x30\x03\x02\x01\x01"
    lines[1]["token"] = base64.b64encode(forged).decode()
    _rewrite(tokens, lines)
    result = verify_against(tmp_path, url, spec)
    assert kinds(result.report) == [(20, "timestamp")]
    assert message in result.report.problems[0].message


def test_an_unreachable_authority_costs_the_stamp_not_the_checkpoint(
    tmp_path: Path, authority: Authority
) -> None:
    with serve_tsa(authority) as tsa:
        dead = tsa  # the server stops when the block ends: nothing listens there after
    tokens = tmp_path / "stamps.jsonl"
    spec = _spec(dead, authority.write_ca(tmp_path / "tsa-ca.pem"), tokens)
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    _settings, store = written(url, tmp_path, spec, 20)
    assert store._signer is not None and store._signer.witness_error == "TimestampUnavailable"
    assert store.tail(1)[0].seq == 20 and len(store.checkpoints()) == 2  # the trail went on
    lines = _lines(tokens)
    assert [(line["token"], line["error"]) for line in lines] == [(None, "ConnectError")] * 2
    result = verify_against(tmp_path, url, spec)
    assert result.report.ok  # the checkpoints are signed and witnessed; only the stamp is missing
    (gap,) = result.warnings
    assert "2 checkpoint(s) have no timestamp" in gap and "seq 10 (ConnectError), 20" in gap


def test_a_refusing_authority_is_a_gap_too(tmp_path: Path, authority: Authority) -> None:
    authority.mode = "refuse"
    try:
        with serve_tsa(authority) as tsa:
            spec = _spec(tsa, authority.write_ca(tmp_path / "tsa-ca.pem"), tmp_path / "s.jsonl")
            written(f"sqlite:///{tmp_path / 'audit.db'}", tmp_path, spec, 10)
    finally:
        authority.mode = "ok"
    assert _lines(tmp_path / "s.jsonl")[0]["error"] == "TimestampError"


def test_a_response_for_another_request_or_other_data_is_refused(authority: Authority) -> None:
    from asn1crypto import cms, tsp

    token = authority.stamp(hashlib.sha256(b"x").digest(), nonce=7)
    granted = tsp.TimeStampResp(
        {"status": {"status": "granted"}, "time_stamp_token": cms.ContentInfo.load(token)}
    ).dump()
    assert parse_response(granted, 7) == token
    with pytest.raises(TimestampError, match="nonce differs"):
        parse_response(granted, 8)
    with pytest.raises(TimestampError, match="not a time-stamp response"):
        parse_response(b"<html>", 7)
    with pytest.raises(TimestampError, match="message imprint differs"):
        verify_token(token, b"y", [authority.ca])
    assert verify_token(token, b"x", [authority.certificate]).der == token  # the TSA's own cert


def test_the_spec_needs_a_certificate_and_a_place_for_tokens(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\?ca=PATH"):
        open_witness("tsa+https://tsa.example/tsr", "sqlite:///x.db")
    ca = Authority.create().write_ca(tmp_path / "ca.pem")
    with pytest.raises(ConfigError, match="tokens=PATH"):
        open_witness(f"tsa+https://tsa.example/tsr?ca={ca}", "sqlite:///:memory:")
    witness = open_witness(f"tsa+https://tsa.example/tsr?ca={ca}&x=1", "sqlite:///var/a.db")
    assert isinstance(witness, TimestampWitness)
    assert witness.url == "https://tsa.example/tsr?x=1"  # Haetae's parameters are not sent
    assert witness.tokens == Path("var/witness/a.db.witness.tsa")


def test_cli_verify_prints_the_forged_stamp(tmp_path: Path, authority: Authority) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    tokens = tmp_path / "stamps.jsonl"
    with serve_tsa(authority) as tsa:
        spec = _spec(tsa, authority.write_ca(tmp_path / "tsa-ca.pem"), tokens)
        written(url, tmp_path, spec, 20)
    lines = _lines(tokens)
    lines[0]["token"] = lines[1]["token"]
    _rewrite(tokens, lines)
    pub = public_key_path(tmp_path / "keys" / "audit-signing.pem")
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "audit", "verify", "--url", url,
         "--public-key", str(pub), "--witness", spec],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "TAMPERED  seq 10: timestamp: the token stamps other data" in done.stdout


@pytest.mark.parametrize(
    ("made", "message"),
    [
        ({"time_stamping": False}, "not for time stamping"),
        ({"expired": True}, "not valid at the token's time"),
    ],
)
def test_a_certificate_that_may_not_stamp_then_is_refused(
    made: dict[str, bool], message: str
) -> None:
    authority = Authority.create(**made)
    token = authority.stamp(hashlib.sha256(b"x").digest())
    with pytest.raises(TimestampError, match=message):
        verify_token(token, b"x", [authority.ca])


def test_an_rsa_authority_trusted_by_its_own_certificate_verifies() -> None:
    authority = Authority.create(rsa_key=True)
    token = authority.stamp(hashlib.sha256(b"x").digest())
    assert verify_token(token, b"x", [authority.certificate]).time.tzinfo is not None
    with pytest.raises(TimestampError, match="neither in it nor configured"):
        from asn1crypto import cms

        info = cms.ContentInfo.load(token)
        info["content"]["certificates"] = []  # the signer's certificate left out
        verify_token(info.dump(force=True), b"x", [Authority.create().ca])
