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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.errors import ConfigError

if TYPE_CHECKING:
    from gateway.audit.record import AuditRecord

__all__ = [
    "GENESIS",
    "Checkpoint",
    "CheckpointSigner",
    "canonical_bytes",
    "chain_records",
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


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a key, stored with checkpoints so a verifier knows which to use."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class CheckpointSigner:
    """Signs a checkpoint after ``every`` records or ``interval`` seconds, whichever first."""

    def __init__(self, key: Ed25519PrivateKey, *, every: int, interval: float) -> None:
        self._key = key
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
