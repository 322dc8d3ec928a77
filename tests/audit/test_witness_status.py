"""/readyz and the start-up log say which witness takes the checkpoints, whether it is
failing, and how old the newest checkpoint it took is; a failing one never stops serving."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from gateway.audit.chain import CheckpointSigner
from gateway.audit.signing_key import ensure_signing_key
from gateway.audit.witness import FileWitness
from gateway.audit.witness_status import report_witness_at_start, witness_status
from tests.support.polling import wait_for
from tests.support.stack import gateway_stack
from tests.support.tsa import Authority, serve_tsa

CHAT = "/openai/v1/chat/completions"
BODY = b'{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}'


def _settings(tmp_path: Path, witness: str) -> dict[str, object]:
    return {
        "audit.signing_key_file": str(tmp_path / "keys" / "audit-signing.pem"),
        "audit.witness": witness,
        "audit.checkpoint_every": 2,
    }


def test_an_unreachable_timestamp_authority_is_shown_failing_and_requests_still_pass(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    authority = Authority.create()
    with serve_tsa(authority) as url:
        dead = url  # nothing listens there once the block has ended
    ca = authority.write_ca(tmp_path / "tsa-ca.pem")
    spec = f"tsa+{dead}?ca={ca}&tokens={tmp_path / 'stamps.jsonl'}&timeout=1"
    with (
        caplog.at_level(logging.INFO, logger="haetae.audit"),
        gateway_stack(tmp_path, settings=_settings(tmp_path, spec)) as stack,
    ):
        for _ in range(3):
            assert httpx.post(stack.url(CHAT), content=BODY, timeout=10).status_code == 200
        ready = httpx.get(stack.url("/readyz"), timeout=5)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        witness = ready.json()["audit_witness"]
        assert witness["kind"] == "tsa" and witness["state"] == "failing"
        assert witness["error"] == "TimestampUnavailable"
        assert witness["last_witnessed_seq"] is None
    assert "audit witness: tsa http://127.0.0.1/tsr (tokens" in caplog.text
    assert "no checkpoint witnessed yet" in caplog.text


def test_a_working_witness_shows_its_newest_checkpoint_and_its_age(tmp_path: Path) -> None:
    authority = Authority.create()
    with serve_tsa(authority) as url:
        ca = authority.write_ca(tmp_path / "tsa-ca.pem")
        spec = f"tsa+{url}?ca={ca}&tokens={tmp_path / 'stamps.jsonl'}"
        with gateway_stack(tmp_path, settings=_settings(tmp_path, spec)) as stack:
            assert httpx.post(stack.url(CHAT), content=BODY, timeout=10).status_code == 200

            def witnessed() -> dict[str, object] | None:
                status = httpx.get(stack.url("/readyz"), timeout=5).json()["audit_witness"]
                return status if status["last_witnessed_seq"] is not None else None

            # the completion is chained just after the answer ends
            witness = wait_for(witnessed, 10.0)
    assert witness["state"] == "ok" and witness["error"] is None
    assert witness["last_witnessed_seq"] == 2  # an opening and its completion
    assert 0 <= witness["last_witnessed_age_seconds"] < 60


def test_start_up_reads_the_newest_entry_and_logs_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = ensure_signing_key(tmp_path / "k.pem", create=True)
    witness = FileWitness(tmp_path / "w.witness")
    signer = CheckpointSigner(key, every=1, interval=60, witness=witness)
    signer.publish(signer.sign(7, "ab" * 32))
    fresh = CheckpointSigner(key, every=1, interval=60, witness=witness)
    with caplog.at_level(logging.INFO, logger="haetae.audit"):
        report_witness_at_start(fresh)
    assert fresh.last_witnessed is not None and fresh.last_witnessed.seq == 7
    assert "last witnessed checkpoint seq 7" in caplog.text
    status = witness_status(fresh, now=fresh.last_witnessed.time + 30)
    assert status["last_witnessed_age_seconds"] == 30.0 and status["kind"] == "file"

    broken = FileWitness(tmp_path / "w.witness" / "below-a-file")
    blocked = CheckpointSigner(key, every=1, interval=60, witness=broken)
    report_witness_at_start(blocked)  # reading fails: reported, nothing raised
    assert blocked.witness_error == "NotADirectoryError"
    assert witness_status(blocked)["state"] == "failing"
    assert witness_status(None)["state"] == "off"
    caplog.clear()
    report_witness_at_start(CheckpointSigner(key, every=1, interval=60))
    assert "audit witness: off" in caplog.text
