"""Reads remembered by a keyed hash of the file, so a resent file costs a lookup.

Chat clients resend the whole conversation each turn, attachments included.
The key is an HMAC of the bytes (with the gateway's own key, so the key says
nothing about the content to anyone without it), of the hints that change how
text is read (the declared type and file extension) and of the limits. A
replica keeps an LRU in memory; with a shared store (Redis) the entry is also
stored there, sealed with AES-GCM under a key derived from the same secret, so
what sits in Redis is neither the text nor a hash anyone can test a guess with.
Refusals are remembered too (a bomb is not unpacked twice), but not timeouts,
which depend on load.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections import OrderedDict
from dataclasses import asdict
from typing import Any, Protocol

import orjson

from gateway.attachments.result import AttachmentLimits, ReadAttachment, UninspectableAttachment

__all__ = ["Outcome", "ReadCache", "Sealer", "SharedStore"]

#: a read, or the refusal it ended in
Outcome = ReadAttachment | UninspectableAttachment
_VERSION = b"haetae-attachments-v1"


class SharedStore(Protocol):
    """A byte store shared by replicas (``redis_cache.RedisCacheStore``)."""

    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes) -> None: ...
    async def aclose(self) -> None: ...


class Sealer:
    """AES-GCM under a key derived from the gateway's secret, bound to the entry's key.

    What replicas share in Redis is sealed: neither the text nor anything a guess
    could be tested against. An entry sealed under another secret (a replica with
    another key) or damaged opens as None, and is computed again.
    """

    def __init__(self, secret: bytes, purpose: bytes) -> None:
        self._key = hmac.new(secret, _VERSION + b"/seal/" + purpose, hashlib.sha256).digest()

    def seal(self, key: str, plain: Any) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        return nonce + AESGCM(self._key).encrypt(nonce, orjson.dumps(plain), key.encode())

    def open(self, key: str, sealed: bytes) -> Any:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            return orjson.loads(AESGCM(self._key).decrypt(sealed[:12], sealed[12:], key.encode()))
        except (InvalidTag, ValueError, orjson.JSONDecodeError):
            return None


class ReadCache:
    """An in-memory LRU of outcomes, in front of an optional shared store."""

    def __init__(
        self,
        secret: bytes,
        limits: AttachmentLimits,
        entries: int = 256,
        shared: SharedStore | None = None,
    ) -> None:
        self._hash_key = hmac.new(secret, _VERSION + b"/key", hashlib.sha256).digest()
        self._sealer = Sealer(secret, b"reads")
        self._limits = orjson.dumps(asdict(limits))
        self._entries = entries
        self._memory: OrderedDict[str, Outcome] = OrderedDict()
        self._shared = shared
        self.hits = 0
        self.shared_hits = 0

    async def aclose(self) -> None:
        if self._shared is not None:
            await self._shared.aclose()

    def key(self, data: bytes, media_type: str | None, filename: str | None) -> str:
        mac = hmac.new(self._hash_key, self._limits, hashlib.sha256)
        extension = filename.rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
        mac.update(f"\x00{media_type or ''}\x00{extension}\x00".encode())
        mac.update(data)
        return mac.hexdigest()

    async def get(self, key: str) -> Outcome | None:
        found = self._memory.get(key)
        if found is not None:
            self._memory.move_to_end(key)
            self.hits += 1
            return found
        if self._shared is None:
            return None
        try:
            sealed = await self._shared.get(key)
        except Exception:  # the shared store is an optimisation: down means read again
            return None
        if sealed is None:
            return None
        outcome = self._open(key, sealed)
        if outcome is not None:
            self.shared_hits += 1
            self._remember(key, outcome)
        return outcome

    async def put(self, key: str, outcome: Outcome) -> None:
        if isinstance(outcome, UninspectableAttachment) and outcome.reason == "timeout":
            return
        self._remember(key, outcome)
        if self._shared is not None:
            try:
                await self._shared.set(key, self._seal(key, outcome))
            except Exception:  # the next replica reads the file itself
                return

    def _remember(self, key: str, outcome: Outcome) -> None:
        self._memory[key] = outcome
        self._memory.move_to_end(key)
        while len(self._memory) > self._entries:
            self._memory.popitem(last=False)

    def _seal(self, key: str, outcome: Outcome) -> bytes:
        if isinstance(outcome, UninspectableAttachment):
            return self._sealer.seal(key, {"refused": outcome.reason, "kind": outcome.kind})
        return self._sealer.seal(key, asdict(outcome))

    def _open(self, key: str, sealed: bytes) -> Outcome | None:
        plain = self._sealer.open(key, sealed)
        try:
            if "refused" in plain:
                return UninspectableAttachment(plain["refused"], kind=plain["kind"])
            plain["texts"] = tuple((where, text) for where, text in plain["texts"])
            return ReadAttachment(**plain)
        except (ValueError, TypeError, KeyError):
            return None  # sealed under another key, or damaged: read the file again
