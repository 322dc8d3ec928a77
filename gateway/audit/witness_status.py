"""What ``/readyz`` and the start-up log say about the witness: which kind, whether
it is taking checkpoints, and how old the newest one it took is.

A failing witness never stops the gateway (the records are safe in the store;
``verify`` counts what it did not see), so this is reported, not enforced: an
operator's alert on ``witness.state`` or a growing ``last_witnessed_age_seconds``
is how an outage gets noticed before an auditor does.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from gateway.audit.chain import CheckpointSigner

__all__ = ["report_witness_at_start", "witness_status"]

log = logging.getLogger("haetae.audit")


def witness_status(signer: CheckpointSigner | None, now: float | None = None) -> dict[str, Any]:
    if signer is None:
        return {"kind": "off", "state": "off", "why": "checkpoints are not signed"}
    witness = signer.witness
    if witness is None:
        return {"kind": "off", "state": "off", "why": "audit.witness is off"}
    last = signer.last_witnessed
    at = time.time() if now is None else now
    return {
        "kind": witness.kind,
        "target": witness.label,
        "state": "failing" if signer.witness_error else "ok",
        "error": signer.witness_error,
        "last_witnessed_seq": last.seq if last else None,
        "last_witnessed_age_seconds": round(max(0.0, at - last.time), 1) if last else None,
    }


def report_witness_at_start(signer: CheckpointSigner | None) -> None:
    """Read the witness's newest entry (one small read) and log where things stand."""
    if signer is None:
        return  # nothing is signed, so nothing is witnessed (the signing key's log says why)
    if signer.witness is None:
        log.warning("audit witness: off (a tail deleted with its checkpoints would go unseen)")
        return
    witness = signer.witness
    newest = getattr(witness, "last", None)
    if newest is None:
        log.info(
            "audit witness: %s %s (write-only: the receiver holds the entries)",
            witness.kind,
            witness.label,
        )
        return
    try:
        signer.last_witnessed = newest()
    except Exception as exc:  # reported, never fatal: the store has the records
        signer.witness_error = type(exc).__name__
        log.error(
            "audit witness: %s %s is failing (%s); checkpoints are signed and stored, "
            "and witnessed again once it is back",
            witness.kind,
            witness.label,
            signer.witness_error,
        )
        return
    status = witness_status(signer)
    if status["last_witnessed_seq"] is None:
        log.info("audit witness: %s %s, no checkpoint witnessed yet", witness.kind, witness.label)
    else:
        log.info(
            "audit witness: %s %s, last witnessed checkpoint seq %d, %.0f s ago",
            witness.kind,
            witness.label,
            status["last_witnessed_seq"],
            status["last_witnessed_age_seconds"],
        )
