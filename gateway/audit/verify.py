"""Checking the chain: is every record as written, and is every record there?

One pass in ``seq`` order recomputes each hash and checks each link; then the
signed checkpoints are checked against the hashes found. The report says where
each break is:

- *modified*: a record's contents no longer match its own hash;
- *missing*: numbers are skipped (records deleted from the middle);
- *out of order*: a number repeats or goes backwards;
- *broken link*: a record does not point at the one before it (inserted,
  deleted or reordered records whose hashes were recomputed to look whole);
- *checkpoint*: a signed hash differs from the stored chain (the chain was
  rewritten wholesale), or a signature is invalid.

A prefix removed by ``purge`` is accepted only if a purge record names its last
number and hash.

With a witness (``gateway/audit/witness.py``), its copies of the checkpoints
are held against the store, which catches what a database administrator can
do without the signing key:

- *truncated*: records the witness saw are gone (or the store is empty);
- *tail deleted*: the newest records were deleted together with their
  checkpoints, so the store alone looks whole;
- *rewritten*: the chain was rewritten and re-hashed: a witnessed hash differs;
- *witness*: a witness entry is unreadable or its signature is invalid.

Records after the last witnessed checkpoint are protected by the chain alone
(someone able to rewrite the database could drop or replace that tail): that
count is a warning, not a failure, since the live tail is always there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.audit.chain import GENESIS, Checkpoint, key_id, verify_checkpoint
from gateway.audit.chain_walk import ChainLink
from gateway.audit.record import AuditRecord

__all__ = ["Problem", "VerifyReport", "report_warnings", "verify_chain"]


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int | None
    # modified | missing | out_of_order | broken_link | checkpoint | truncated |
    # tail_deleted | rewritten | witness
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "chain"
        return f"{where}: {self.kind}: {self.message}"


@dataclass(slots=True)
class VerifyReport:
    records: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0  # verified, signature and hash
    last_checkpoint_seq: int | None = None
    problems: list[Problem] = field(default_factory=list)
    witnessed: int | None = None  # witness entries that matched; None: no witness
    stopped: bool = False  # the walk stopped at ``max_problems``, before the last record
    last_witnessed_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unanchored(self) -> int:
        """Records after the last good checkpoint, protected by the chain alone."""
        if self.last_seq is None:
            return 0
        return self.last_seq - (self.last_checkpoint_seq or 0)

    @property
    def unwitnessed(self) -> int:
        """Records after the last checkpoint the witness confirmed (0 without a witness)."""
        if self.last_seq is None or self.witnessed is None:
            return 0
        return max(0, self.last_seq - (self.last_witnessed_seq or (self.first_seq or 1) - 1))


def verify_chain(
    records: Iterable[AuditRecord | ChainLink],
    checkpoints: Iterable[Checkpoint] = (),
    public_key: Ed25519PublicKey | Sequence[Ed25519PublicKey] | None = None,
    *,
    witnessed: Iterable[Checkpoint | None] | None = None,
    max_problems: int = 100,
) -> VerifyReport:
    """Check ``records`` (in ``seq`` order), the store's checkpoints and the witness's.

    ``public_key`` may be several keys (a rotated key, replicas with keys of
    their own): each checkpoint is checked with the key its ``key_id`` names.
    ``records`` may be what a store's rows give (``chain_walk.chain_links``), the
    same check without a record built per row.
    """
    keys = _trusted(public_key)
    report = VerifyReport()
    problems = report.problems
    checkpoints = list(checkpoints)
    witness = None if witnessed is None else list(witnessed)
    signed = {c.seq for c in checkpoints} | {c.seq for c in witness or () if c is not None}
    hashes: dict[int, str] = {}  # seq → stored hash of the signed records only
    purges: list[ChainLink] = []
    first: ChainLink | None = None
    prev: ChainLink | None = None
    for item in records:
        record = item if isinstance(item, ChainLink) else ChainLink.of(item)
        report.records += 1
        seq = record.seq if record.seq is not None else -1
        if first is None:
            first = record
        if record.decision == "purge" and record.details:
            purges.append(record)
        if record.hash is None or record.digest != record.hash:
            problems.append(Problem(seq, "modified", "contents do not match the record's hash"))
        if prev is not None and prev.seq is not None:
            if seq <= prev.seq:
                problems.append(Problem(seq, "out_of_order", f"follows seq {prev.seq}"))
            elif seq > prev.seq + 1:
                gap = f"{prev.seq + 1}" if seq == prev.seq + 2 else f"{prev.seq + 1}–{seq - 1}"
                problems.append(Problem(seq, "missing", f"record(s) {gap} are gone"))
            elif record.prev_hash != prev.hash:
                problems.append(
                    Problem(seq, "broken_link", f"does not follow seq {prev.seq} as written")
                )
        if record.seq in signed and record.hash is not None:
            hashes[record.seq] = record.hash
        prev = record
        if len(problems) >= max_problems:
            report.stopped = True  # what lies after was not read: nothing is said of it
            break
    if first is not None:
        report.first_seq, report.last_seq = first.seq, prev.seq if prev else None
        _check_start(first, purges, problems)
    _check_checkpoints(report, hashes, checkpoints, keys)
    if witness is not None:
        _check_witness(report, hashes, checkpoints, witness, keys)
    return report


def _check_start(first: ChainLink, purges: list[ChainLink], problems: list[Problem]) -> None:
    if first.seq == 1:
        if first.prev_hash != GENESIS:
            problems.append(Problem(1, "broken_link", "the first record does not start the chain"))
        return
    before = (first.seq or 1) - 1
    for purge in purges:
        details = purge.details or {}
        if details.get("through_seq") == before and details.get("through_hash") == first.prev_hash:
            return
    problems.append(
        Problem(
            first.seq, "missing", f"records 1–{before} are gone and no purge record covers them"
        )
    )


def report_warnings(
    report: VerifyReport, *, keyed: bool, stored_checkpoints: int, witness: str | None
) -> list[str]:
    """What an auditor must know beyond the problems (the CLI and the admin API say the same).

    ``witness`` is the witness's label, None when none was checked.
    """
    warnings = []
    if report.stopped:
        warnings.append(
            f"stopped after {len(report.problems)} problems at seq {report.last_seq}: "
            "the records after it were not checked"
        )
    if not keyed and stored_checkpoints:
        warnings.append(
            f"{stored_checkpoints} checkpoints not checked: no public key (--public-key, "
            "the signing key's .pub, audit.verify_key_files)"
        )
    if witness is None:
        warnings.append("no witness checked: a tail deleted with its checkpoints goes unseen")
        return warnings
    if report.witnessed == 0 and report.checkpoints:
        warnings.append(
            "the witness holds none of the store's checkpoints: it was emptied, replaced, "
            "or only just configured"
        )
    if report.unwitnessed:
        warnings.append(
            f"{report.unwitnessed} records are newer than the last witnessed checkpoint "
            "(the live tail: protected by the chain alone until the next one)"
        )
    return warnings


def _trusted(
    public_key: Ed25519PublicKey | Sequence[Ed25519PublicKey] | None,
) -> dict[str, Ed25519PublicKey] | None:
    """The keys to check with, by key id; None when no key was given (nothing is checked)."""
    if public_key is None:
        return None
    listed = [public_key] if isinstance(public_key, Ed25519PublicKey) else list(public_key)
    return {key_id(key): key for key in listed} or None


def _signed(checkpoint: Checkpoint, keys: dict[str, Ed25519PublicKey]) -> bool:
    key = keys.get(checkpoint.key_id)
    return key is not None and verify_checkpoint(checkpoint, key)


def _check_checkpoints(
    report: VerifyReport,
    hashes: dict[int, str],
    checkpoints: Iterable[Checkpoint],
    keys: dict[str, Ed25519PublicKey] | None,
) -> None:
    for checkpoint in checkpoints:
        if keys is None:
            continue  # without the key a checkpoint proves nothing; the CLI says so
        if not _signed(checkpoint, keys):
            reason = (
                "signature is not valid for this key"
                if checkpoint.key_id in keys
                else f"signed by key {checkpoint.key_id[:16]}, which is not one given to verify"
            )
            report.problems.append(Problem(checkpoint.seq, "checkpoint", reason))
            continue
        stored = hashes.get(checkpoint.seq)
        if stored is None:
            unread = report.stopped and checkpoint.seq > (report.last_seq or 0)
            if report.first_seq is not None and checkpoint.seq >= report.first_seq and not unread:
                report.problems.append(
                    Problem(checkpoint.seq, "checkpoint", "the signed record is missing")
                )
            continue
        if stored != checkpoint.hash:
            report.problems.append(
                Problem(
                    checkpoint.seq,
                    "checkpoint",
                    "the chain differs from what was signed here (rewritten up to this point)",
                )
            )
            continue
        report.checkpoints += 1
        report.last_checkpoint_seq = checkpoint.seq


def _check_witness(
    report: VerifyReport,
    hashes: dict[int, str],
    checkpoints: list[Checkpoint],
    entries: list[Checkpoint | None],
    keys: dict[str, Ed25519PublicKey] | None,
) -> None:
    """Hold the store to the witness: what it saw must still be there, as it was."""
    problems = report.problems
    seen: dict[int, Checkpoint] = {}
    for entry in entries:
        if entry is None:
            problems.append(Problem(None, "witness", "a witness entry cannot be read"))
        elif keys is not None and not _signed(entry, keys):
            problems.append(
                Problem(entry.seq, "witness", "a witness entry's signature is not valid")
            )
        else:
            seen.setdefault(entry.seq, entry)
    report.witnessed = 0
    in_store = {c.seq for c in checkpoints}
    first, last = report.first_seq, report.last_seq
    rewritten: list[Checkpoint] = []
    beyond: list[Checkpoint] = []
    for seq in sorted(seen):
        entry = seen[seq]
        if report.stopped and last is not None and seq > last:
            continue  # not read: the walk stopped at max_problems
        if last is None or seq > last:
            beyond.append(entry)
        elif first is not None and seq < first:
            continue  # purged; the purge record vouches for the start
        elif seq not in hashes:
            continue  # the record is gone: the chain check names the hole
        elif hashes[seq] != entry.hash:
            rewritten.append(entry)
        else:
            report.witnessed += 1
            report.last_witnessed_seq = seq
            if seq not in in_store:
                problems.append(
                    Problem(seq, "checkpoint", "the store's checkpoint here was deleted")
                )
    if rewritten:
        earliest = rewritten[0]
        problems.append(
            Problem(
                earliest.seq,
                "rewritten",
                f"the chain was rewritten and re-hashed: {len(rewritten)} witnessed "
                f"checkpoint(s) from seq {earliest.seq} on do not match the store "
                f"(witnessed hash {earliest.hash[:16]}…, stored {hashes[earliest.seq][:16]}…)",
            )
        )
    if beyond:
        _name_missing_tail(report, beyond, checkpoints)


def _name_missing_tail(
    report: VerifyReport, beyond: list[Checkpoint], checkpoints: list[Checkpoint]
) -> None:
    newest, last = beyond[-1], report.last_seq
    seen_at = _utc(newest.time)
    if last is None:
        report.problems.append(
            Problem(
                None,
                "truncated",
                f"the store holds no records, but the witness saw seq {newest.seq} at {seen_at}",
            )
        )
        return
    gone = f"records {last + 1}–{newest.seq}" if newest.seq > last + 1 else f"record {last + 1}"
    if any(c.seq > last for c in checkpoints):
        kind, how = "truncated", "deleted; their signed checkpoints are still in the store"
    else:
        kind, how = "tail_deleted", "deleted together with their checkpoints"
    report.problems.append(
        Problem(
            last + 1,
            kind,
            f"{gone} were {how} (the witness saw seq {newest.seq} at {seen_at})",
        )
    )


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds")
