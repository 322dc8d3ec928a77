"""Keeps this replica's active policy in step with the store and the policy file.

Three things change the active policy, and all go through the same steps —
compile, build the engine off the event loop, then swap in one assignment:

- an admin activates or rolls back a version (``activate`` / ``rollback``);
- another replica did so: a pub/sub message, or the periodic re-read of the
  shared pointer, shows a different active version (``_sync_loop``);
- the policy file changed on disk (``_watch_file``): a valid new version is
  stored and activated for every replica, an invalid one is reported and
  never activated.

When the store cannot be reached the replica keeps serving its last good
policy, reports it in ``status()``, and catches up once the store is back.
The same when the store holds something that does not verify (a forged or
replayed value in Redis, see ``redis_store.py``): it is refused, reported
(``policy_rejected``), and the last good policy keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import time
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError
from gateway.policy.active import PolicyHolder
from gateway.policy.diff import diff_policies
from gateway.policy.evaluate import CompiledPolicy
from gateway.rollout.approvals import FourEyes
from gateway.rollout.file_watch import SourceWatch, stat_of
from gateway.rollout.signing import UntrustedState
from gateway.rollout.store import (
    Approval,
    ChangeRecord,
    PointerTaken,
    PolicyStore,
    StoredVersion,
    StoreUnavailable,
)
from gateway.rollout.versions import compile_candidate, compile_stored, require_passing_tests

__all__ = [
    "ReadOnlyReplica",
    "Rollout",
    "RolloutConflict",
    "UnknownVersion",
]

log = logging.getLogger("haetae.rollout")

#: Every this many polls the files are re-read and their hashes compared even when
#: their stats are unchanged (``file_watch``); a compile follows only a difference.
_REHASH_EVERY = 10


class UnknownVersion(LookupError):
    """No stored policy has this content hash."""


class RolloutConflict(RuntimeError):
    """The request makes no sense in the current state (e.g. nothing to roll back to)."""


class ReadOnlyReplica(RuntimeError):
    """This replica holds only the verification key: it follows, it cannot change."""


class Rollout:
    """The active-policy lifecycle of one replica; start it from the app's lifespan."""

    def __init__(
        self,
        holder: PolicyHolder,
        store: PolicyStore,
        policy_file: Path,
        *,
        poll_interval: float = 1.0,
        file_poll_interval: float = 1.0,
        unready_when_unreachable: bool = False,
        can_sign: bool = True,
        four_eyes: bool = False,
    ) -> None:
        self.holder = holder
        self.store = store
        self._file = policy_file
        self._poll = poll_interval
        self._file_poll = file_poll_interval
        self._strict = unready_when_unreachable
        self._tasks: list[asyncio.Task[None]] = []
        self._store_error: str | None = None
        self._store_down_since: float | None = None
        self._reload_error: dict[str, Any] | None = None
        self._sync_error: dict[str, Any] | None = None
        self._pending_file: tuple[StoredVersion, CompiledPolicy] | None = None
        self._file_version = holder.active.version
        #: what the last read of the policy file read, and how it stood (``file_watch``)
        self._watch: SourceWatch | None = None
        self._file_principal = f"file:{policy_file}"
        self.can_sign = can_sign
        #: an admin activation needs an approval by someone other than the author
        self.approvals = FourEyes(store, required=four_eyes)
        self._tests_passed: set[str] = set()  # versions whose own tests passed here
        # The shared pointer did not verify at the last read: re-activating the
        # version this replica serves is then a repair, not a conflict.
        self._shared_untrusted = False

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Join the shared state (bounded by the store's timeouts), then watch for changes."""
        try:
            # Read again rather than trust the start-up copy: the file may have changed since.
            try:
                stored, compiled = await asyncio.to_thread(self._read_file)
            except (ConfigError, OSError, UnicodeDecodeError) as exc:
                # Serving a shared version (see startup.py); the file waits to be fixed.
                self._report_reload_error(_file_problem(self._file, exc))
            else:
                self._file_version = stored.version
                await self._roll_out_file(stored, compiled)
            await self._sync_once()
            self._store_ok()
        except StoreUnavailable as exc:
            self._store_down(str(exc))
        except UntrustedState:
            self._shared_untrusted = True  # recorded by the store; serve what we have
        except (ConfigError, OSError, UnicodeDecodeError) as exc:
            self._sync_error = {"at": time.time(), "message": str(exc)}
            log.error("policy sync at start-up failed: %s", exc)
        self._tasks.append(asyncio.create_task(self._sync_loop(), name="policy-sync"))
        if self._file_poll > 0:
            self._tasks.append(asyncio.create_task(self._watch_file(), name="policy-file"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.store.aclose()

    # -- what /readyz and the admin API show -------------------------------

    @property
    def serving_safely(self) -> bool:
        """False only when configured so, while this replica may lag the shared version."""
        stale = self._store_down_since is not None or self._sync_error is not None
        return not (self._strict and stale)

    def status(self) -> dict[str, Any]:
        active = self.holder.active
        status: dict[str, Any] = {
            "policy": active.policy.name,
            "policy_version": active.version,
            "policy_source": active.source,
            "policy_activated_at": active.activated_at,
            "policy_store": self.store.kind,
        }
        if self.store.kind == "redis":
            status["redis"] = "unreachable" if self._store_down_since is not None else "ok"
            if self._store_down_since is not None:
                status["redis_error"] = self._store_error
                status["redis_unreachable_since"] = self._store_down_since
        if self._reload_error is not None:
            status["policy_reload_error"] = self._reload_error
        if self._sync_error is not None:
            status["policy_sync_error"] = self._sync_error
        rejections = getattr(self.store, "rejections", None)
        if rejections is not None and (rejected := rejections.status()) is not None:
            status["policy_rejected"] = rejected
        return status

    # -- admin operations --------------------------------------------------

    def compile(
        self, raw: bytes, source: str = "<upload>", *, confined: bool = True
    ) -> CompiledPolicy:
        """Validate, compile and check its providers can be set up here; blocking.

        ``confined`` (anything but the operator's own file): file references
        must stay inside the policy file's directory.
        """
        compiled = compile_candidate(raw, self._file, source, confined=confined)
        self.holder.candidate_providers(compiled)
        return compiled

    async def upload(self, raw: bytes, by: str) -> tuple[StoredVersion, CompiledPolicy, bool]:
        """Store a validated candidate (not active yet); raises ConfigError with the reason."""
        self._require_signing()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError("<upload>: a policy must be UTF-8 text") from None
        compiled = await asyncio.to_thread(self.compile, raw)
        await asyncio.to_thread(self.require_tests, compiled)
        stored = StoredVersion(
            version=compiled.version,
            name=compiled.name,
            yaml=text,
            uploaded_by=by,
            uploaded_at=time.time(),
            origin="upload",
            rules=len(compiled.rules),
        )
        created = await self.store.put_version(stored)
        if not created:
            stored = await self.store.get_version(compiled.version) or stored
        return stored, compiled, created

    async def compiled_version(self, version: str) -> CompiledPolicy:
        """Compile a stored version here, checking it hashes to the same version."""
        if version == self.holder.active.version:
            return self.holder.active.policy
        stored = await self.store.get_version(version)
        if stored is None:
            raise UnknownVersion(version)
        return await asyncio.to_thread(self._compile_stored, stored)

    async def activate(
        self,
        version: str,
        by: str,
        action: str = "activate",
        compiled: CompiledPolicy | None = None,
        *,
        only_if_unset: bool = False,
    ) -> ChangeRecord:
        """Make ``version`` active everywhere; this replica switches before returning.

        ``only_if_unset``: a seed; raises ``PointerTaken`` if another replica set one.
        """
        self._require_signing()
        async with self.holder.lock:
            current = version == self.holder.active.version
            if current and action != "reload" and not self._shared_untrusted:
                raise RolloutConflict(f"version {version} is already active")
            if compiled is None:
                compiled = await self.compiled_version(version)
            if action in ("activate", "rollback"):  # an admin's choice, not the file's
                await asyncio.to_thread(self.require_tests, compiled)
            if action == "activate":
                await self.approvals.require(version)
            # One replica's own file stays "file"; anything shared is the store's.
            local_file = action == "reload" and self.store.kind == "local"
            ready = await self.holder.prepare(compiled, "file" if local_file else self.store.kind)
            previous = self.holder.active.policy
            change = ChangeRecord(
                at=time.time(),
                by=by,
                action=action,
                from_version=previous.version,
                to_version=version,
                diff=diff_policies(previous, compiled).to_dict(),
            )
            # The store first: if it fails nothing changed anywhere, not even here.
            change = await self.store.set_active(change, only_if_unset=only_if_unset)
            self._shared_untrusted = False
            self.holder.swap(ready)
        log.info("policy %s (version %s) activated by %s", compiled.name, version, by)
        return change

    async def rollback(self, by: str, to: str | None = None) -> ChangeRecord:
        """Re-activate ``to``, or the version that was active before the current one.

        Only changes whose signature checks are consulted (``store.history``).
        """
        self._require_signing()
        if to is None:
            current = self.holder.active.version
            for change in await self.store.history(1000):
                if change.to_version == current and change.from_version not in (None, current):
                    to = change.from_version
                    break
            if to is None:
                raise RolloutConflict("there is no earlier active version to roll back to")
        return await self.activate(to, by, action="rollback")

    async def approve(self, version: str, by: str, role: str) -> Approval:
        """Record ``by``'s approval of exactly ``version``; its author cannot approve it.

        The version must compile here and pass its own tests: an approval is of
        something that could be activated.
        """
        self._require_signing()
        stored = await self.store.get_version(version)
        if stored is None:
            raise UnknownVersion(version)
        self.approvals.refuse_author(stored, by)  # before compiling: it needs no work
        compiled = await self.compiled_version(version)
        await asyncio.to_thread(self.require_tests, compiled)
        approval = await self.approvals.approve(stored, by, role)
        log.info("policy version %s approved by %s", version, by)
        return approval

    def require_tests(self, compiled: CompiledPolicy) -> None:
        if compiled.version not in self._tests_passed:
            require_passing_tests(compiled)
            self._tests_passed.add(compiled.version)

    # -- keeping in step ---------------------------------------------------

    async def _sync_loop(self) -> None:
        while True:
            try:
                await self.store.wait_for_change(self._poll)
                await self._sync_once()
                self._store_ok()
            except StoreUnavailable as exc:
                self._store_down(str(exc))
                await asyncio.sleep(self._poll)
            except UntrustedState:
                # Recorded (log line, count, /readyz) by the store; keep the last good policy.
                self._store_ok()
                self._shared_untrusted = True
                await asyncio.sleep(self._poll)
            except (ConfigError, UnicodeDecodeError) as exc:
                self._report_sync_error(str(exc))
                await asyncio.sleep(self._poll)
            except Exception as exc:  # keep serving the last good policy; say why
                self._report_sync_error(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(self._poll)

    async def _sync_once(self) -> None:
        if self._pending_file is not None:  # a file change made while the store was down
            stored, compiled = self._pending_file
            await self._roll_out_file(stored, compiled)
            self._pending_file = None
        shared = await self.store.active_version()
        self._shared_untrusted = False
        active = self.holder.active
        if shared is None:  # an empty store: this replica's policy becomes the shared one
            if not self.can_sign:
                raise ConfigError(
                    "the shared store holds no active version, and this replica (verification "
                    "key only) cannot sign one: start a replica with rollout.signing_key_file"
                )
            await self._seed(active.policy)
            return
        if shared != active.version:
            await self._adopt(shared)
        elif active.source == "file" and self.store.kind == "redis":
            # Same content, now confirmed by the shared pointer.
            self.holder.swap(dataclasses.replace(active, source="redis"))
        self._sync_error = None

    async def _seed(self, policy: CompiledPolicy) -> None:
        if await self.store.get_version(policy.version) is None:
            stored, _compiled = await asyncio.to_thread(self._read_file)
            if stored.version == policy.version:
                await self.store.put_version(stored)
        if await self.store.get_version(policy.version) is None:
            raise ConfigError("the store is empty and this replica's policy is not stored")
        with contextlib.suppress(PointerTaken):  # another replica seeded first: follow it
            await self.activate(
                policy.version, self._file_principal, "reload", compiled=policy, only_if_unset=True
            )

    async def _adopt(self, version: str) -> None:
        async with self.holder.lock:
            if self.holder.active.version == version:
                return
            compiled = await self.compiled_version(version)
            ready = await self.holder.prepare(compiled, self.store.kind)
            self.holder.swap(ready)
        log.info(
            "policy %s (version %s) adopted from the %s store",
            compiled.name,
            version,
            self.store.kind,
        )

    async def _watch_file(self) -> None:
        polls = 0
        while True:
            await asyncio.sleep(self._file_poll)
            polls += 1
            watch = self._watch
            if watch is not None and not await self._changed(watch, polls):
                continue
            before = watch.stats_now(self._file) if watch is not None else {}
            try:
                stored, compiled = await asyncio.to_thread(self._read_file)
            except (ConfigError, OSError, UnicodeDecodeError) as exc:
                self._report_reload_error(_file_problem(self._file, exc))
                if watch is not None:  # tried again once it changes, not at every poll
                    self._watch = watch.restat(before)
                continue
            self._reload_error = None
            if compiled.version == self._file_version:
                continue
            self._file_version = compiled.version
            log.info("policy file %s changed: version %s", self._file, compiled.version)
            try:
                await self._roll_out_file(stored, compiled)
            except StoreUnavailable as exc:
                # Serve it here now; publish it for the others once the store is back.
                self._store_down(str(exc))
                async with self.holder.lock:
                    self.holder.swap(await self.holder.prepare(compiled, "file"))
                self._pending_file = (stored, compiled)

    @staticmethod
    async def _changed(watch: SourceWatch, polls: int) -> bool:
        """A stat moved, or (every ``_REHASH_EVERY`` polls) a file's bytes differ."""
        if watch.moved():
            return True
        return polls % _REHASH_EVERY == 0 and await asyncio.to_thread(watch.rewritten)

    async def _roll_out_file(self, stored: StoredVersion, compiled: CompiledPolicy) -> None:
        """Store the file's version and activate it, unless it was already rolled out."""
        if not self.can_sign:
            # A follower's file is only its start-up policy; the fleet's comes signed.
            log.warning(
                "policy file %s (version %s) is not rolled out: this replica has only the "
                "rollout verification key",
                self._file,
                stored.version,
            )
            return
        await self.store.put_version(stored)
        if not await self.store.claim_file_version(stored.version):
            return  # another replica (or an earlier start) already acted on this file
        try:
            shared = await self.store.active_version()
        except UntrustedState:
            shared = None  # a pointer that does not verify is replaced by the file's
        if shared != stored.version:
            with contextlib.suppress(PointerTaken):  # another replica seeded it meanwhile
                await self.activate(
                    stored.version,
                    self._file_principal,
                    "reload",
                    compiled=compiled,
                    only_if_unset=shared is None,
                )

    # -- helpers -----------------------------------------------------------

    def _compile_stored(self, stored: StoredVersion) -> CompiledPolicy:
        """Checked like an upload, unless it is the version of this replica's own file.

        Only the file on this replica's disk earns the file's trust (references
        outside the policy directory); a claimed ``origin: file`` earns nothing.
        """
        if stored.origin == "file" and stored.version == self._file_version:
            with contextlib.suppress(ConfigError, OSError, UnicodeDecodeError):
                _own, compiled = self._read_file()
                if compiled.version == stored.version:
                    return compiled
        compiled = compile_stored(stored, self._file)
        self.holder.candidate_providers(compiled)
        return compiled

    def _require_signing(self) -> None:
        if not self.can_sign:
            raise ReadOnlyReplica(
                "this replica has only the rollout verification key: change the policy "
                "through a replica that holds rollout.signing_key_file"
            )

    def _read_file(self) -> tuple[StoredVersion, CompiledPolicy]:
        """The policy file as it is now, validated, and watched from here on; blocking."""
        watched = self._watch
        before = watched.stats_now(self._file) if watched is not None else {}
        before.setdefault(self._file, stat_of(self._file))
        try:
            raw = self._file.read_bytes()
            compiled = self.compile(raw, str(self._file), confined=False)
        except BaseException:
            if watched is None:  # never read whole: compiled again once the file changes
                self._watch = SourceWatch({self._file: ""}, {self._file: before[self._file]})
            raise
        top = (self._file, hashlib.sha256(raw).hexdigest())
        self._watch = SourceWatch.of((top, *compiled.read), before)
        return self._stored_from_file(compiled, raw), compiled

    def _stored_from_file(self, policy: CompiledPolicy, raw: bytes) -> StoredVersion:
        return StoredVersion(
            version=policy.version,
            name=policy.name,
            yaml=raw.decode("utf-8"),
            uploaded_by=self._file_principal,
            uploaded_at=time.time(),
            origin="file",
            rules=len(policy.rules),
        )

    def _store_ok(self) -> None:
        if self._store_down_since is not None:
            log.warning("policy store reachable again")
        self._store_down_since = None
        self._store_error = None

    def _store_down(self, error: str) -> None:
        if self._store_down_since is None:
            log.error(
                "policy store unreachable (%s); serving the last good policy %s",
                error,
                self.holder.active.version,
            )
            self._store_down_since = time.time()
        self._store_error = error

    def _report_reload_error(self, message: str) -> None:
        if self._reload_error is None or self._reload_error["message"] != message:
            log.error(
                "policy file rejected, still serving %s: %s", self.holder.active.version, message
            )
        self._reload_error = {"at": time.time(), "file": str(self._file), "message": message}

    def _report_sync_error(self, message: str) -> None:
        if self._sync_error is None or self._sync_error["message"] != message:
            log.error(
                "cannot adopt the shared policy, still serving %s: %s",
                self.holder.active.version,
                message,
            )
        self._sync_error = {"at": time.time(), "message": message}


def _file_problem(path: Path, exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot read policy file {path}: {exc.strerror}"
    if isinstance(exc, UnicodeDecodeError):
        return f"{path}: a policy must be UTF-8 text"
    return str(exc)
