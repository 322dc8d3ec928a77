"""The checkpoint signing key: made on first start, kept apart from the store.

Signed checkpoints are what stop someone who can write the database from
recomputing the whole chain, so they are on by default: when
``audit.signing_key_file`` does not exist yet and ``audit.create_signing_key``
is on, the gateway writes a fresh Ed25519 key there (mode 0600, in a folder of
mode 0700) and its public half beside it (``.pub``, for auditors). The file is
created whole or not at all (written aside, then hard-linked into place), so
two gateway processes starting together end up with one key, not two.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.chain import load_private_key
from gateway.errors import ConfigError

__all__ = ["ensure_signing_key", "public_key_path"]

log = logging.getLogger("haetae.audit")


def public_key_path(private: Path) -> Path:
    """Where the public half of ``private`` is written: the same name plus ``.pub``."""
    return private.with_name(private.name + ".pub")


def ensure_signing_key(path: Path, *, create: bool) -> Ed25519PrivateKey:
    """The key at ``path``; made there first if it is missing and ``create`` is on."""
    if path.exists() or not create:
        return load_private_key(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(aside, path)  # fails if another process got there first: use theirs
        except FileExistsError:
            return load_private_key(path)
        finally:
            with contextlib.suppress(OSError):
                aside.unlink()
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        public_key_path(path).write_bytes(public)
    except OSError as exc:
        raise ConfigError(f"audit.signing_key_file: cannot create {path}: {exc.strerror}") from None
    log.warning(
        "created the audit signing key %s (public half: %s); back it up away from the store",
        path,
        public_key_path(path),
    )
    return key
