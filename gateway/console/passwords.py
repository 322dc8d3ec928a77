"""Break-glass passwords: argon2id hashes in the settings, checked in constant work.

An unknown name is checked against a dummy hash, so the time of an answer does not
say which names exist. Verification runs on a worker thread (argon2 is
deliberately slow and memory-hard: ~50 ms and 64 MiB with the library's defaults).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["MIN_PASSWORD_LENGTH", "hash_password", "verify_local_admin"]

MIN_PASSWORD_LENGTH = 12
_HASHER = PasswordHasher()  # argon2id, RFC 9106's second recommended parameters
_DUMMY = _HASHER.hash("a password nobody has, checked for names nobody has")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a console password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


async def verify_local_admin(admins: Mapping[str, str], name: str, password: str) -> bool:
    """True if ``name`` is a configured break-glass admin and ``password`` is theirs."""
    hashed = admins.get(name)
    return await asyncio.to_thread(_verify, hashed or _DUMMY, password) and hashed is not None


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
