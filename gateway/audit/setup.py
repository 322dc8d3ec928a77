"""The audit trail as the settings describe it: store, spool, signer, fingerprint key."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from gateway.audit.build import AuditKeys, Fingerprinter
from gateway.audit.chain import CheckpointSigner, load_private_key
from gateway.audit.open import open_audit_store
from gateway.audit.sqlstore import SQLAuditStore
from gateway.errors import ConfigError
from gateway.keys import read_configured_key
from gateway.settings import AuditSettings

__all__ = [
    "configured_fingerprinter",
    "configured_keys",
    "configured_store",
    "spool_path",
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
        signer = None
        if settings.signing_key_file is not None:
            signer = CheckpointSigner(
                load_private_key(settings.signing_key_file),
                every=settings.checkpoint_every,
                interval=settings.checkpoint_seconds,
            )
        return open_audit_store(
            settings.url, spool=spool_path(settings), signer=signer, writers=writers_path(settings)
        )
    except ValueError as exc:
        raise ConfigError(f"audit.url: {exc}") from None


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
