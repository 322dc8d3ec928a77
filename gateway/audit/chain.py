"""The hash chain and its signed checkpoints.

Each record's ``hash`` is SHA-256 over its predecessor's hash and the record's
canonical form (sorted-key JSON of ``to_dict`` without ``hash``, which includes
``seq`` and ``prev_hash``). Editing, deleting, inserting or reordering a record
therefore breaks the chain at that point. Someone with write access could
recompute the whole chain, so the writer also signs a checkpoint every so often
with the operator's Ed25519 key: a rewritten chain no longer matches the
signed hashes, and the key is not in the database.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.errors import ConfigError

if TYPE_CHECKING:
    from gateway.audit.record import AuditRecord

log = logging.getLogger("haetae.audit")

__all__ = [
    "GENESIS",
    "Checkpoint",
    "CheckpointSigner",
    "Witness",
    "canonical_bytes",
    "chain_records",
    "decode_entry",
    "encode_entry",
    "hash_of_fields",
    "key_id",
    "load_private_key",
    "load_public_key",
    "record_hash",
    "verify_checkpoint",
]

#: the ``prev_hash`` of the first record ever written
GENESIS = "0" * 64


def canonical_bytes(record: AuditRecord) -> bytes:
    data = record.to_dict()
    del data["hash"]
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def record_hash(record: AuditRecord) -> str:
    """The hash a record must carry, given its ``seq`` and ``prev_hash``."""
    digest = hashlib.sha256(bytes.fromhex(record.prev_hash or GENESIS))
    digest.update(canonical_bytes(record))
    return digest.hexdigest()


def hash_of_fields(prev_hash: str, fields: dict[str, Any]) -> str:
    """``record_hash`` of the record whose ``to_dict`` without ``hash`` is ``fields``."""
    digest = hashlib.sha256(bytes.fromhex(prev_hash))
    digest.update(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


def chain_records(records: list[AuditRecord], last_seq: int, last_hash: str) -> None:
    """Number and link ``records`` after the store's current tail, in place."""
    for record in records:
        last_seq += 1
        record.seq = last_seq
        record.prev_hash = last_hash
        record.hash = last_hash = record_hash(record)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement: "the record numbered ``seq`` had hash ``hash``"."""

    seq: int
    hash: str
    time: float
    key_id: str
    signature: str  # hex

    def payload(self) -> bytes:
        return _payload(self.seq, self.hash, self.time, self.key_id)


def _payload(seq: int, record_hash: str, at: float, kid: str) -> bytes:
    fields: dict[str, Any] = {"seq": seq, "hash": record_hash, "time": at, "key_id": kid}
    return b"haetae-audit-checkpoint\n" + orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


class Witness(Protocol):
    """Somewhere checkpoints are copied to that the store's administrators can't rewrite.

    The kinds there are live in ``witness.py``; a new one is one class with these
    two methods.
    """

    #: where it is, for messages (never a password)
    label: str
    #: ``file``, ``redis``, ``postgresql``, ``syslog`` or ``tsa``, for /readyz
    kind: str

    def append(self, checkpoint: Checkpoint) -> None:
        """Store one checkpoint durably; raise on failure (the writer logs and carries on)."""

    def entries(self) -> Iterator[Checkpoint | None]:
        """Every checkpoint stored, oldest first; None for an entry that can't be read."""


def encode_entry(checkpoint: Checkpoint) -> bytes:
    """A checkpoint as one line of JSON, the form witnesses keep."""
    fields = {
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "time": checkpoint.time,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def decode_entry(raw: bytes | str) -> Checkpoint | None:
    """The checkpoint a witness entry holds; None if it is not one."""
    try:
        data = orjson.loads(raw)
        seq, digest, at = data["seq"], data["hash"], data["time"]
        kid, signature = data["key_id"], data["signature"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    if not (isinstance(seq, int) and not isinstance(seq, bool) and isinstance(at, int | float)):
        return None
    if not all(isinstance(v, str) for v in (digest, kid, signature)):
        return None
    return Checkpoint(seq, digest, float(at), kid, signature)


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a key, stored with checkpoints so a verifier knows which to use."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class CheckpointSigner:
    """Signs a checkpoint after ``every`` records or ``interval`` seconds, whichever first.

    With a witness, ``publish`` copies a committed checkpoint there. A witness
    that fails is logged (its kind only) and shown in ``witness_error``; the
    records are safe in the store, and ``verify`` counts those after the last
    witnessed checkpoint, so an outage is seen rather than stopping the gateway.
    """

    def __init__(
        self,
        key: Ed25519PrivateKey,
        *,
        every: int,
        interval: float,
        witness: Witness | None = None,
    ) -> None:
        self._key = key
        self.witness = witness
        self.witness_error: str | None = None
        #: the newest checkpoint the witness took (seeded from the witness at start-up)
        self.last_witnessed: Checkpoint | None = None
        self.key_id = key_id(key.public_key())
        self._every = every
        self._interval = interval
        self._since = 0
        self._last = time.monotonic()

    @property
    def pending(self) -> int:
        """Records written since the last checkpoint (by this writer)."""
        return self._since

    def seconds_left(self) -> float:
        return max(0.0, self._interval - (time.monotonic() - self._last))

    def due(self, added: int) -> bool:
        self._since += added
        return self._since >= self._every or time.monotonic() - self._last >= self._interval

    def sign(self, seq: int, record_hash: str) -> Checkpoint:
        self._since = 0
        self._last = time.monotonic()
        at = round(time.time(), 6)
        signature = self._key.sign(_payload(seq, record_hash, at, self.key_id)).hex()
        return Checkpoint(seq, record_hash, at, self.key_id, signature)

    def publish(self, checkpoint: Checkpoint) -> None:
        """Copy a checkpoint, once its transaction has committed, to the witness."""
        if self.witness is None:
            return
        try:
            self.witness.append(checkpoint)
        except Exception as exc:
            if self.witness_error is None:
                log.error(
                    "audit witness %s failed (%s); checkpoints are not witnessed until it is back",
                    self.witness.label,
                    type(exc).__name__,
                )
            self.witness_error = type(exc).__name__
            return
        if self.witness_error is not None:
            log.warning("audit witness %s is back", self.witness.label)
        self.witness_error = None
        self.last_witnessed = checkpoint


def verify_checkpoint(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(bytes.fromhex(checkpoint.signature), checkpoint.payload())
    except (InvalidSignature, ValueError):
        return False
    return True


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key in PEM (PKCS#8, unencrypted), as ``openssl genpkey`` writes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read audit signing key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"audit signing key {path} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"audit signing key {path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key in PEM; a private key file works too (its public half is used)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read audit key {path}: {exc.strerror}") from None
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"audit public key {path} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"audit public key {path} is not an Ed25519 key")
    return key
