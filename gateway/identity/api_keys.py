"""Gateway-issued API keys: ``hk_`` tokens mapped to a user and groups, stored hashed.

A key is 43 random base-62 characters (about 256 bits) behind the ``hk_``
prefix, so that people, secret scanners and this gateway recognise it. Only its
SHA-256 digest is written down: with that much entropy a fast hash cannot be
brute-forced, and a slow one (bcrypt, argon2) would cost milliseconds on every
request for no gain.

The key file holds one JSON object per line. ``haetae keys create`` appends to
it; ``revoke`` rewrites it atomically; the gateway notices either within
``identity.api_keys.reload_seconds`` without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import hashlib
import logging
import os
import secrets
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from gateway.errors import ConfigError

__all__ = ["KEY_PREFIX", "KeyEntry", "KeyFile", "KeyStore", "key_digest", "new_key"]

log = logging.getLogger("haetae.identity")

KEY_PREFIX = "hk_"
_ALPHABET = string.ascii_letters + string.digits
_KEY_CHARS = 43  # 43 × log2(62) ≈ 256 bits
_MAX_NAME = 200


def new_key() -> str:
    return KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_KEY_CHARS))


def key_digest(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _check_name(kind: str, value: str) -> str:
    value = value.strip()
    if not value or len(value) > _MAX_NAME or not value.isprintable():
        raise ConfigError(f"{kind} must be 1-{_MAX_NAME} printable characters, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One issued key, as the file records it. ``id`` is public; the key is not kept."""

    id: str
    digest: str
    user: str
    groups: tuple[str, ...]
    created: str
    revoked: str | None = None
    note: str | None = None

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "id": self.id,
            "digest": self.digest,
            "user": self.user,
            "groups": list(self.groups),
            "created": self.created,
        }
        if self.revoked is not None:
            data["revoked"] = self.revoked
        if self.note is not None:
            data["note"] = self.note
        return orjson.dumps(data)

    @classmethod
    def from_json(cls, raw: Any) -> KeyEntry:
        if not isinstance(raw, dict):
            raise ValueError("expected a JSON object")
        groups = raw.get("groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise ValueError("'groups' must be a list of strings")
        fields = {name: raw.get(name) for name in ("id", "digest", "user", "created")}
        for name, value in fields.items():
            if not isinstance(value, str) or not value:
                raise ValueError(f"'{name}' must be a non-empty string")
        if not raw["digest"].startswith("sha256:"):
            raise ValueError("'digest' must be sha256:<hex>")
        unknown = set(raw) - {"id", "digest", "user", "groups", "created", "revoked", "note"}
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
        return cls(
            id=raw["id"],
            digest=raw["digest"],
            user=raw["user"],
            groups=tuple(groups),
            created=raw["created"],
            revoked=raw.get("revoked"),
            note=raw.get("note"),
        )


class KeyFile:
    """The key file as the CLI edits it; writers take a lock so two edits never interleave."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    def read(self) -> list[KeyEntry]:
        """Every complete line; a last line without its newline is still being written."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ConfigError(f"cannot read key file {self.path}: {exc.strerror}") from None
        lines = data.split(b"\n")
        entries = []
        for number, line in enumerate(lines[:-1], 1):
            if not line.strip():
                continue
            try:
                entries.append(KeyEntry.from_json(orjson.loads(line)))
            except (orjson.JSONDecodeError, ValueError) as exc:
                raise ConfigError(f"key file {self.path}, line {number}: {exc}") from None
        return entries

    def create(self, user: str, groups: list[str], note: str | None = None) -> tuple[str, KeyEntry]:
        """A new key (returned once, never stored) and the hashed entry appended for it."""
        user = _check_name("user", user)
        clean_groups = tuple(dict.fromkeys(_check_name("group", g) for g in groups))
        key = new_key()
        digest = key_digest(key)
        entry = KeyEntry(
            id="k_" + digest[len("sha256:") :][:12],
            digest=digest,
            user=user,
            groups=clean_groups,
            created=_now(),
            note=_check_name("note", note) if note else None,
        )
        with self._locked():
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
            fd = os.open(self.path, flags, 0o600)
            try:
                os.write(fd, entry.to_json() + b"\n")  # one write: readers see all or nothing
                os.fsync(fd)
            finally:
                os.close(fd)
        return key, entry

    def revoke(self, key_id: str) -> KeyEntry:
        """Mark a key revoked (kept in the file, so the audit trail can still name it)."""
        with self._locked():
            entries = self.read()
            index = next((i for i, e in enumerate(entries) if e.id == key_id), None)
            if index is None:
                raise ConfigError(f"no key with id '{key_id}' in {self.path}")
            entry = entries[index]
            if entry.revoked is None:
                entries[index] = entry = replace(entry, revoked=_now())
                self._rewrite(entries)
            return entry

    def _rewrite(self, entries: list[KeyEntry]) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"".join(e.to_json() + b"\n" for e in entries))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)  # readers see the old file or the new one

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


class KeyStore:
    """The gateway's view of the key file: digest → entry, reloaded when the file changes.

    A file that turns invalid is reported and the last good entries keep serving,
    as with policies: a typo must not lock everyone out or let anyone in.
    """

    def __init__(
        self,
        path: Path,
        reload_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._file = KeyFile(path)
        self._reload_seconds = reload_seconds
        self._clock = clock
        self._stamp: tuple[int, int, int] | None = None
        self._by_digest: dict[str, KeyEntry] = {}
        #: key id -> wall-clock time this process last accepted it (the console shows it)
        self._last_used: dict[str, float] = {}
        self._checked = clock()
        if not path.exists():
            log.warning("key file %s does not exist yet; no gateway key is valid", path)
        self._load()

    @property
    def path(self) -> Path:
        return self._file.path

    def __len__(self) -> int:
        return len(self._by_digest)

    async def lookup(self, key: str) -> KeyEntry | None:
        """The entry for ``key`` (revoked ones too, so the caller can say so), or None."""
        now = self._clock()
        if now - self._checked >= self._reload_seconds:
            self._checked = now  # before awaiting: one reload at a time
            await asyncio.to_thread(self._reload_if_changed)
        entry = self._by_digest.get(key_digest(key))
        if entry is not None and entry.revoked is None:
            self._last_used[entry.id] = time.time()
        return entry

    def last_used(self, key_id: str) -> float | None:
        """When this process last accepted the key (epoch seconds); None: not since start."""
        return self._last_used.get(key_id)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            stat = self._file.path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _load(self) -> None:
        self._stamp = self._file_stamp()  # first: a failed load is not retried until it changes
        entries = self._file.read()
        self._by_digest = {entry.digest: entry for entry in entries}

    def _reload_if_changed(self) -> None:
        if self._file_stamp() == self._stamp:
            return
        try:
            self._load()
        except ConfigError as exc:
            log.error("key file not reloaded, the previous keys stay in force: %s", exc)
            return
        log.info("key file %s reloaded: %d keys", self._file.path, len(self._by_digest))
