"""Signatures on everything replicas share through Redis.

Anyone who can write to Redis could otherwise decide the policy: write a
version into the versions hash, point ``active`` at it, and every replica
would adopt it within a second. So every value a replica *acts on* is sealed
here with an Ed25519 key that Redis never sees, and opened (verified) before
it is used:

- ``version``: a stored policy (its YAML, content hash, name, origin, who
  stored it and when);
- ``change``: an activation, rollback or reload (target and previous version,
  who, when, its diff, and a sequence number that only goes up);
- ``file-version``: the last policy-file version a replica rolled out.

Ed25519 rather than an HMAC because signing and checking can be separated:
a replica that only follows the fleet needs the public key alone, and a
stolen verification key forges nothing.

An envelope is ``{"kind", "key", "payload", "sig"}``; the signature covers a
fixed label, the kind (so a signed version cannot pass as an activation) and
the payload in canonical JSON (sorted keys, orjson's exact float text).
Nothing here ever puts a payload's content or a key into an error message.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.errors import ConfigError
from gateway.keys import read_configured_key
from gateway.settings import RolloutSettings

__all__ = [
    "Kind",
    "Rejections",
    "RolloutKeys",
    "UntrustedState",
    "generate_key_pair",
    "key_id",
    "load_rollout_keys",
]

Kind = Literal["version", "change", "file-version", "approval"]

log = logging.getLogger("haetae.rollout")

_LABEL = b"haetae-rollout-v1\n"
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.S)

KEYGEN_HINT = (
    "Make a key pair with `haetae rollout keygen --out DIR` (or `openssl genpkey -algorithm "
    "ed25519 -out rollout-signing.pem` and `openssl pkey -in rollout-signing.pem -pubout -out "
    "rollout-verify.pem`) and set rollout.signing_key_file on replicas that change the policy, "
    "rollout.verify_key_file on all; see docs/rollout.md"
)


class UntrustedState(Exception):
    """A value read from the shared store failed its check; it was not used.

    ``where`` names the store key, ``reason`` what failed; neither quotes the value.
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class Rejections:
    """What this replica refused from the shared store: a count, the last one, a log line.

    Counted once per distinct value (a digest of its bytes), not per re-read:
    a forged pointer re-read every poll interval is one rejection.
    """

    _REMEMBER = 1024

    def __init__(self) -> None:
        self.count = 0
        self.last: dict[str, Any] | None = None
        self._seen: dict[bytes, None] = {}

    def record(self, exc: UntrustedState, raw: bytes | str | None) -> None:
        data = raw.encode() if isinstance(raw, str) else (raw or b"")
        digest = hashlib.sha256(exc.where.encode() + b"\0" + data).digest()
        self.last = {"at": time.time(), "where": exc.where, "reason": exc.reason}
        if digest in self._seen:
            return
        self._seen[digest] = None
        if len(self._seen) > self._REMEMBER:
            del self._seen[next(iter(self._seen))]
        self.count += 1
        # The value itself is never logged: it is whatever an attacker chose to write.
        log.error("refused shared rollout state %s: %s", exc.where, exc.reason)

    def status(self) -> dict[str, Any] | None:
        if self.count == 0 or self.last is None:
            return None
        return {"count": self.count} | self.last


@dataclass(frozen=True, slots=True)
class RolloutKeys:
    """The signing key (absent on a verify-only replica) and the trusted public keys."""

    signer: Ed25519PrivateKey | None
    verifiers: Mapping[str, Ed25519PublicKey]  # key id → key

    @property
    def can_sign(self) -> bool:
        return self.signer is not None

    @property
    def signer_id(self) -> str | None:
        return None if self.signer is None else key_id(self.signer.public_key())

    def seal(self, kind: Kind, payload: Mapping[str, Any]) -> bytes:
        """The envelope for ``payload``; raises ConfigError on a verify-only replica."""
        if self.signer is None:
            raise ConfigError(
                "this replica has no rollout.signing_key_file: it follows the shared policy "
                "but cannot change it"
            )
        signature = self.signer.sign(_message(kind, payload))
        return orjson.dumps(
            {
                "kind": kind,
                "key": key_id(self.signer.public_key()),
                "payload": payload,
                "sig": base64.b64encode(signature).decode("ascii"),
            }
        )

    def open(self, kind: Kind, raw: bytes | str, where: str) -> dict[str, Any]:
        """The payload of a sealed value, or ``UntrustedState`` saying what failed."""
        try:
            envelope = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise UntrustedState(where, "not a signed envelope (not JSON)") from None
        if not isinstance(envelope, dict) or not {"payload", "sig"} <= envelope.keys():
            raise UntrustedState(where, "unsigned (no signature envelope)")
        payload, signature = envelope["payload"], envelope["sig"]
        if envelope.get("kind") != kind:
            raise UntrustedState(where, f"signed as a different kind of value, not a {kind}")
        if not isinstance(payload, dict) or not isinstance(signature, str):
            raise UntrustedState(where, "malformed signature envelope")
        public = self.verifiers.get(str(envelope.get("key")))
        if public is None:
            raise UntrustedState(where, "signed by a key this replica does not trust")
        try:
            public.verify(base64.b64decode(signature, validate=True), _message(kind, payload))
        except (InvalidSignature, ValueError):
            raise UntrustedState(where, "the signature does not match the content") from None
        return payload


def _message(kind: str, payload: Mapping[str, Any]) -> bytes:
    return _LABEL + kind.encode() + b"\n" + orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)


def key_id(public: Ed25519PublicKey) -> str:
    """A short public fingerprint naming the key in envelopes and messages."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_rollout_keys(
    config: RolloutSettings, environ: Mapping[str, str], *, required: bool
) -> RolloutKeys | None:
    """Both keys from their files or variables; None when neither is set and none is needed.

    ``required`` (Redis is configured): no key at all is a start-up error. The
    verification setting may hold several public keys (PEM blocks one after the
    other): that is how a new key is trusted before it signs (docs/rollout.md).
    """
    signing_pem = read_configured_key(
        "rollout.signing_key_file", config.signing_key_file, config.signing_key_env, environ
    )
    verify_pem = read_configured_key(
        "rollout.verify_key_file", config.verify_key_file, config.verify_key_env, environ
    )
    if signing_pem is None and verify_pem is None:
        if required:
            raise ConfigError(
                "rollout.redis_url is set but no rollout signing or verification key is: "
                "without one, anyone who can write to Redis decides the policy. " + KEYGEN_HINT
            )
        return None
    signer = None
    if signing_pem is not None:
        signer = _private_key(signing_pem, _source("signing", config))
    verifiers: dict[str, Ed25519PublicKey] = {}
    if verify_pem is not None:
        for public in _public_keys(verify_pem, _source("verify", config)):
            verifiers[key_id(public)] = public
    if signer is not None:
        own = signer.public_key()
        if verifiers and key_id(own) not in verifiers:
            raise ConfigError(
                "rollout.signing_key_file's public key is not among the keys in "
                "rollout.verify_key_file: this replica would refuse its own activations"
            )
        verifiers.setdefault(key_id(own), own)
    return RolloutKeys(signer, verifiers)


def _source(which: str, config: RolloutSettings) -> str:
    file = config.signing_key_file if which == "signing" else config.verify_key_file
    variable = config.signing_key_env if which == "signing" else config.verify_key_env
    return f"rollout.{which}_key_file ({file})" if file else f"environment variable {variable}"


def _private_key(pem: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise ConfigError(
            f"the rollout signing key from {source} is not an unencrypted PEM private key"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"the rollout signing key from {source} is not an Ed25519 key")
    return key


def _public_keys(pem: bytes, source: str) -> list[Ed25519PublicKey]:
    blocks = [match.group(0) for match in _PEM_BLOCK.finditer(pem)]
    if not blocks:
        raise ConfigError(f"the rollout verification key from {source} holds no PEM block")
    keys: list[Ed25519PublicKey] = []
    for block in blocks:
        if b"PRIVATE KEY" in block:
            raise ConfigError(
                f"{source} holds a private key: the verification setting takes public keys "
                "only (the signing key goes in rollout.signing_key_file)"
            )
        try:
            key = serialization.load_pem_public_key(block)
        except ValueError:
            raise ConfigError(f"{source}: a PEM block is not a public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ConfigError(f"{source}: a public key is not an Ed25519 key")
        keys.append(key)
    return keys


def generate_key_pair(folder: Path) -> tuple[Path, Path]:
    """Write ``rollout-signing.pem`` (mode 0600) and ``rollout-verify.pem`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    signing, verify = folder / "rollout-signing.pem", folder / "rollout-verify.pem"
    for path in (signing, verify):
        if path.exists():
            raise ConfigError(f"{path} exists; not overwriting a key")
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signing.touch(mode=0o600)
    signing.write_bytes(pem)
    verify.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return signing, verify
