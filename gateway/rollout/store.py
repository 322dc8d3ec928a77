"""Where policy versions, the active pointer and the change log are kept.

Two backends share one contract: ``RedisPolicyStore`` (several replicas, see
``redis_store.py``) and ``LocalPolicyStore`` here (one process; in memory, or in
a directory that several workers on one host can share). Versions are keyed by
their content hash, so storing one twice is harmless.

The store also remembers the last policy *file* version any replica acted on
(``claim_file_version``): a changed file is rolled out once, by whichever
replica notices first, and an unchanged file at restart does not undo an
activation made through the admin API.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import orjson

__all__ = [
    "Approval",
    "ChangeRecord",
    "LocalPolicyStore",
    "PointerTaken",
    "PolicyStore",
    "StoreUnavailable",
    "StoredVersion",
]


class StoreUnavailable(RuntimeError):
    """The shared store cannot be reached; the message names an error kind only."""


class PointerTaken(RuntimeError):
    """``set_active(only_if_unset=True)`` found a valid active pointer: another replica won."""


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A policy as uploaded: its YAML text and who first stored it."""

    version: str  # content hash (the loader's)
    name: str
    yaml: str
    uploaded_by: str
    uploaded_at: float
    origin: str  # upload | file
    rules: int = 0

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> StoredVersion:
        return cls(**orjson.loads(raw))

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        del data["yaml"]
        return data


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One change of the active version: who, when, what, and the rule-by-rule diff."""

    at: float
    by: str  # the admin principal, or "file:<path>" for a hot reload
    action: str  # activate | rollback | reload
    from_version: str | None
    to_version: str
    diff: dict[str, Any] = field(default_factory=dict)
    # Set by the store: higher than every earlier change, so an old (validly
    # signed) activation written back into Redis is recognised as a replay.
    seq: int = 0

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> ChangeRecord:
        return cls(**orjson.loads(raw))


@dataclass(frozen=True, slots=True)
class Approval:
    """A second person's yes to one exact policy version (its content hash).

    Bound to the hash, an approval cannot be carried over to an edited policy:
    any change of the YAML (or a file it includes) is a new version.
    """

    version: str
    by: str  # the approving principal's name
    role: str
    at: float

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Approval:
        return cls(**orjson.loads(raw))


class PolicyStore(Protocol):
    """Every method may raise ``StoreUnavailable``; none blocks the event loop for long."""

    #: "redis" or "local": what /readyz reports as the policy source
    kind: str

    async def put_version(self, version: StoredVersion) -> bool:
        """Store a version unless it exists; True when it was new."""
        ...

    async def get_version(self, version: str) -> StoredVersion | None: ...

    async def list_versions(self) -> list[StoredVersion]: ...

    async def active_version(self) -> str | None: ...

    async def set_active(
        self, change: ChangeRecord, *, only_if_unset: bool = False
    ) -> ChangeRecord:
        """Point at ``change.to_version``, log the change and tell the other replicas.

        Returns the change as recorded, with its sequence number. ``only_if_unset``
        (seeding an empty store): raise ``PointerTaken`` instead if a valid
        pointer is there, so replicas starting together record one seed, not two.
        """
        ...

    async def history(self, limit: int = 100) -> list[ChangeRecord]:
        """Newest first."""
        ...

    async def claim_file_version(self, version: str) -> bool:
        """Record ``version`` as the policy file's; True if it differs from the last one."""
        ...

    async def add_approval(self, approval: Approval) -> None:
        """Keep an approval of ``approval.version``; one per approver (a repeat replaces it)."""
        ...

    async def approvals(self, version: str) -> list[Approval]:
        """The approvals of exactly this version (ones that do not verify are left out)."""
        ...

    async def wait_for_change(self, timeout: float) -> None:  # noqa: ASYNC109
        """Return when another replica announces an activation, or after ``timeout``."""
        ...

    async def aclose(self) -> None: ...


class LocalPolicyStore:
    """One host's store: a dict, mirrored to ``directory`` when one is given.

    With a directory, several worker processes on the host see each other's
    activations through the periodic check (there is no push on this backend).
    """

    kind = "local"

    def __init__(self, directory: Path | None = None, history_limit: int = 1000) -> None:
        self._dir = directory
        self._versions: dict[str, StoredVersion] = {}
        self._history: list[ChangeRecord] = []
        self._active: str | None = None
        self._file_version: str | None = None
        self._history_limit = history_limit
        self._approvals: dict[str, dict[str, Approval]] = {}

    async def put_version(self, version: StoredVersion) -> bool:
        if await self.get_version(version.version) is not None:
            return False
        self._versions[version.version] = version
        if self._dir is not None:
            self._write(f"versions/{version.version}.json", version.to_json())
        return True

    async def get_version(self, version: str) -> StoredVersion | None:
        if version in self._versions:
            return self._versions[version]
        if self._dir is None or not version.isalnum():
            return None
        raw = self._read(f"versions/{version}.json")
        if raw is None:
            return None
        stored = StoredVersion.from_json(raw)
        self._versions[version] = stored
        return stored

    async def list_versions(self) -> list[StoredVersion]:
        if self._dir is not None and (self._dir / "versions").is_dir():
            for path in (self._dir / "versions").glob("*.json"):
                await self.get_version(path.stem)
        return sorted(self._versions.values(), key=lambda v: v.uploaded_at)

    async def active_version(self) -> str | None:
        if self._dir is not None:
            raw = self._read("active")
            return raw.decode().strip() if raw else None
        return self._active

    async def set_active(
        self, change: ChangeRecord, *, only_if_unset: bool = False
    ) -> ChangeRecord:
        if only_if_unset and await self.active_version() is not None:
            raise PointerTaken(change.to_version)
        latest = await self.history(1)
        change = replace(change, seq=(latest[0].seq if latest else 0) + 1)
        self._active = change.to_version
        if self._dir is None:
            self._history.append(change)
            del self._history[: -self._history_limit]
            return change
        self._dir.mkdir(parents=True, exist_ok=True)
        with (self._dir / "history.jsonl").open("ab") as log:
            log.write(change.to_json() + b"\n")
        self._write("active", change.to_version.encode())
        return change

    async def history(self, limit: int = 100) -> list[ChangeRecord]:
        if self._dir is None:
            return list(reversed(self._history[-limit:]))
        raw = self._read("history.jsonl") or b""
        lines = [line for line in raw.splitlines() if line.strip()]
        return [ChangeRecord.from_json(line) for line in reversed(lines[-limit:])]

    async def claim_file_version(self, version: str) -> bool:
        previous = self._file_version
        if self._dir is not None:
            raw = self._read("file-version")
            previous = raw.decode().strip() if raw else None
            self._write("file-version", version.encode())
        self._file_version = version
        return previous != version

    async def add_approval(self, approval: Approval) -> None:
        kept = await self._approvals_of(approval.version)
        kept[approval.by] = approval
        if self._dir is not None:
            lines = b"".join(a.to_json() + b"\n" for a in kept.values())
            self._write(f"approvals/{approval.version}.jsonl", lines)

    async def approvals(self, version: str) -> list[Approval]:
        return list((await self._approvals_of(version)).values())

    async def _approvals_of(self, version: str) -> dict[str, Approval]:
        if self._dir is not None and version.isalnum():
            raw = self._read(f"approvals/{version}.jsonl") or b""
            found = (Approval.from_json(line) for line in raw.splitlines() if line.strip())
            self._approvals[version] = {a.by: a for a in found}
        return self._approvals.setdefault(version, {})

    async def wait_for_change(self, timeout: float) -> None:  # noqa: ASYNC109
        await asyncio.sleep(timeout)

    async def aclose(self) -> None:
        return None

    def _read(self, name: str) -> bytes | None:
        assert self._dir is not None
        try:
            return (self._dir / name).read_bytes()
        except FileNotFoundError:
            return None

    def _write(self, name: str, data: bytes) -> None:
        """Write-then-rename: another worker never reads half a pointer."""
        assert self._dir is not None
        target = self._dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
