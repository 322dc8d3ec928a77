"""Optional sealed evidence: the matched values, readable only by the incident responder.

Off unless ``audit.evidence_public_key_file`` names an X25519 public key. The
gateway then encrypts each record's matched values (entity type, location,
value) to that key and stores only the ciphertext; the private key lives with
the responders, never on the gateway, so neither the gateway nor the database
can read back what was written.

Sealing must be cheap on the request path, so the X25519 exchange is done once
per *period* (10 minutes): a fresh ephemeral key pair, its shared secret with
the responder's key run through HKDF-SHA256 into an AES-256-GCM key; the
ephemeral private key is dropped at once. Each record is then one AES-GCM
encryption, authenticated with the record id. Its nonce is a random prefix
drawn per period plus a counter: unique under each period's key, and no system
call per record (``os.urandom`` releases the GIL, and getting it back behind
the writer thread can cost milliseconds on the event loop). The
ciphertext names the ephemeral public key, from which the responder derives the
same AES key. A period key stays in memory until the period ends.

Sealed form: ``"v1." + base64url(ephemeral_public(32) || nonce(12) || ciphertext)``.
"""

from __future__ import annotations

import base64
import itertools
import os
import threading
import time
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway.errors import ConfigError

__all__ = [
    "EvidenceError",
    "EvidenceSealer",
    "load_evidence_private_key",
    "load_evidence_public_key",
    "open_evidence",
]

_PREFIX = "v1."
_INFO = b"haetae audit evidence v1"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class EvidenceError(ValueError):
    """Evidence that can't be opened: wrong key, altered, or not sealed evidence."""


def _derive(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_INFO)
    return hkdf.derive(shared)


class EvidenceSealer:
    """Encrypts evidence to the responders' public key; cannot decrypt it."""

    def __init__(self, recipient: X25519PublicKey, *, period: float = 600.0) -> None:
        self._recipient = recipient
        self._recipient_raw = recipient.public_bytes(*_RAW)
        self._period = period
        self._lock = threading.Lock()
        self._expires = 0.0
        self._ephemeral = b""
        self._aead: AESGCM | None = None
        self._prefix = b""
        self._counter = itertools.count()

    def _current(self) -> tuple[bytes, AESGCM, bytes]:
        now = time.monotonic()
        with self._lock:
            if self._aead is None or now >= self._expires:
                private = X25519PrivateKey.generate()
                ephemeral = private.public_key().public_bytes(*_RAW)
                key = _derive(private.exchange(self._recipient), ephemeral, self._recipient_raw)
                self._ephemeral, self._aead = ephemeral, AESGCM(key)
                self._prefix, self._counter = os.urandom(4), itertools.count()
                self._expires = now + self._period
            nonce = self._prefix + next(self._counter).to_bytes(8, "big")
            return self._ephemeral, self._aead, nonce

    def seal(self, evidence: Any, record_id: str) -> str:
        ephemeral, aead, nonce = self._current()
        sealed = aead.encrypt(nonce, orjson.dumps(evidence), record_id.encode())
        return _PREFIX + base64.urlsafe_b64encode(ephemeral + nonce + sealed).decode()


def open_evidence(sealed: str, record_id: str, private_key: X25519PrivateKey) -> Any:
    """The evidence a record carries; raises EvidenceError if it can't be opened."""
    if not sealed.startswith(_PREFIX):
        raise EvidenceError("not sealed evidence (unknown format)")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_PREFIX) :])
    except ValueError:
        raise EvidenceError("not sealed evidence (bad encoding)") from None
    if len(raw) < 32 + 12 + 16:
        raise EvidenceError("not sealed evidence (too short)")
    ephemeral, nonce, body = raw[:32], raw[32:44], raw[44:]
    recipient = private_key.public_key().public_bytes(*_RAW)
    shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    try:
        plain = AESGCM(_derive(shared, ephemeral, recipient)).decrypt(
            nonce, body, record_id.encode()
        )
    except InvalidTag:
        raise EvidenceError("cannot open: another key, or the evidence was altered") from None
    return orjson.loads(plain)


def load_evidence_public_key(path: Path) -> X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read evidence public key {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"evidence public key {path} is not a PEM public key: {exc}") from None
    if not isinstance(key, X25519PublicKey):
        raise ConfigError(f"evidence public key {path} is not an X25519 key")
    return key


def load_evidence_private_key(path: Path) -> X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise ConfigError(f"cannot read evidence private key {path}: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"evidence private key {path} is not a PEM private key: {exc}") from None
    if not isinstance(key, X25519PrivateKey):
        raise ConfigError(f"evidence private key {path} is not an X25519 key")
    return key
