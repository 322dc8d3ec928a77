"""One verification of a store against its keys and witness, for the CLI and the admin API.

Witnesses differ in what they can give back: most return the checkpoints they
hold; a timestamp authority's also has tokens to check (``check()``); a syslog
receiver returns nothing here (``readable = False``), and the report says what
was checked instead of implying more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.audit.chain import Witness
from gateway.audit.chain_walk import ChainLink, chain_links
from gateway.audit.sqlstore import SQLAuditStore
from gateway.audit.verify import VerifyReport, report_warnings, verify_chain

__all__ = ["StoreVerification", "verify_store"]


@dataclass(slots=True)
class StoreVerification:
    report: VerifyReport
    warnings: list[str]
    stored_checkpoints: int
    keyed: bool  # signatures were checked
    #: the witness whose entries were held against the store; None if none was read
    witness_label: str | None

    def as_dict(self, witness: Witness | None) -> dict[str, Any]:
        """The report as the admin API answers it (and the console's job keeps it)."""
        report = self.report
        return {
            "ok": report.ok,
            "records": report.records,
            "first_seq": report.first_seq,
            "last_seq": report.last_seq,
            "checkpoints": report.checkpoints,
            "unanchored": report.unanchored,
            "witness": witness.label if witness is not None else None,
            "witnessed": report.witnessed,
            "unwitnessed": report.unwitnessed,
            "problems": [
                {"seq": p.seq, "kind": p.kind, "message": p.message} for p in report.problems
            ],
            "warnings": self.warnings,
        }


def verify_store(
    store: SQLAuditStore,
    public_keys: list[Ed25519PublicKey],
    witness: Witness | None,
    *,
    tap: Callable[[Iterator[ChainLink]], Iterator[ChainLink]] | None = None,
) -> StoreVerification:
    """``tap`` sees the records on their way to the check (a background job counts them)."""
    checkpoints = store.checkpoints()
    readable = witness is not None and getattr(witness, "readable", True)
    entries = witness.entries() if witness is not None and readable else None
    records = chain_links(store) if tap is None else tap(chain_links(store))
    report = verify_chain(records, checkpoints, public_keys or None, witnessed=entries)
    label = witness.label if witness is not None and readable else None
    warnings = report_warnings(
        report, keyed=bool(public_keys), stored_checkpoints=len(checkpoints), witness=label
    )
    if witness is not None and not readable:
        warnings = [w for w in warnings if not w.startswith("no witness checked")]
        warnings.append(
            f"the witness {witness.label} cannot be read back: checked the chain and the "
            "signatures only. The receiver (SIEM) holds the witnessed checkpoints: export its "
            "haetae.checkpoint messages and run `haetae audit verify --witness file:EXPORT` "
            "to find a deleted tail or a rewrite"
        )
    check: Any = getattr(witness, "check", None)
    if check is not None:
        found = check()
        report.problems.extend(found.problems)
        warnings.extend(found.warnings)
    return StoreVerification(report, warnings, len(checkpoints), bool(public_keys), label)
