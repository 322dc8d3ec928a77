"""The audit trail as the settings describe it: store, spool, signer, fingerprint key."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.audit.build import AuditKeys, Fingerprinter
from gateway.audit.chain import CheckpointSigner, load_public_key
from gateway.audit.open import open_audit_store
from gateway.audit.signing_key import ensure_signing_key, public_key_path
from gateway.audit.sqlstore import SQLAuditStore
from gateway.audit.witness import open_witness
from gateway.errors import ConfigError
from gateway.keys import read_configured_key
from gateway.settings import AuditSettings

__all__ = [
    "configured_fingerprinter",
    "configured_keys",
    "configured_store",
    "spool_path",
    "verify_keys",
    "writers_path",
]


def spool_path(settings: AuditSettings) -> str | None:
    if settings.spool == "off":
        return None
    if settings.spool != "auto":
        return settings.spool
    scheme, _, rest = settings.url.partition("://")
    if scheme.lower() == "sqlite":
        if rest in (":memory:", "/:memory:"):
            return None
        return rest[1:] + ".spool"
    return "var/audit-spool.jsonl"


def writers_path(settings: AuditSettings) -> str | None:
    """Where this machine's writers hold their lock files (``audit/writers.py``).

    Beside a SQLite file, which every process writing it can see; for
    PostgreSQL beside the spool (``var/`` without one), so each machine closes
    what its own dead processes left open.
    """
    scheme, _, rest = settings.url.partition("://")
    if scheme.lower() == "sqlite":
        if rest in (":memory:", "/:memory:"):
            return None
        return rest[1:] + ".writer"
    spool = spool_path(settings)
    return (spool or "var/audit") + ".writer"


def configured_store(settings: AuditSettings, *, writer: bool = True) -> SQLAuditStore:
    """The store for ``settings``; ``writer=False`` (the CLI) skips the spool and signer."""
    try:
        if not writer:
            return open_audit_store(settings.url)
        return open_audit_store(
            settings.url,
            spool=spool_path(settings),
            signer=_signer(settings),
            writers=writers_path(settings),
            journal=settings.journal,
        )
    except ValueError as exc:
        raise ConfigError(f"audit.url: {exc}") from None


def _in_memory(url: str) -> bool:
    return url.partition("://")[2] in (":memory:", "/:memory:")


def _signer(settings: AuditSettings) -> CheckpointSigner | None:
    """Signed and witnessed checkpoints; an in-memory trail has nothing to anchor."""
    path = settings.signing_key_file
    if path is None or (_in_memory(settings.url) and not path.exists()):
        return None
    return CheckpointSigner(
        ensure_signing_key(path, create=settings.create_signing_key),
        every=settings.checkpoint_every,
        interval=settings.checkpoint_seconds,
        witness=open_witness(settings.witness, settings.url),
    )


def configured_keys(
    settings: AuditSettings, edit_key: bytes, environ: Mapping[str, str]
) -> AuditKeys:
    sealer = None
    if settings.evidence_public_key_file is not None:
        from gateway.audit.evidence import EvidenceSealer, load_evidence_public_key

        sealer = EvidenceSealer(load_evidence_public_key(settings.evidence_public_key_file))
    return AuditKeys(configured_fingerprinter(settings, edit_key, environ), sealer)


def configured_fingerprinter(
    settings: AuditSettings, edit_key: bytes, environ: Mapping[str, str]
) -> Fingerprinter:
    """The audit key from its file or variable, else one derived from the edit key.

    Deriving (rather than reusing) keeps a fingerprint from ever equalling a
    pseudonym or ``hash`` output made from the same value.
    """
    key = read_configured_key(
        "audit.fingerprint_key_file",
        settings.fingerprint_key_file,
        settings.fingerprint_key_env,
        environ,
    )
    if key is None:
        key = hmac.new(edit_key, b"haetae audit fingerprint", hashlib.sha256).digest()
    return Fingerprinter(key)


def verify_keys(settings: AuditSettings) -> list[Ed25519PublicKey]:
    """The public keys checkpoints are checked with: the ``.pub`` beside the signing key
    (else the signing key's own public half), and ``audit.verify_key_files``."""
    keys = [load_public_key(path) for path in settings.verify_key_files]
    private = settings.signing_key_file
    if private is not None:
        for candidate in (public_key_path(private), private):
            if candidate.exists():
                keys.append(load_public_key(candidate))
                break
    return keys
