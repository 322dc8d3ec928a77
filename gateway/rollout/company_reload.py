"""Reloading the company index in a running replica, and following the other replicas.

An admin who registers a customer table expects prompts holding its rows to be caught
from then on, on every replica. So after a registration or removal through the admin API
(and on ``POST /admin/v1/company/reload``, for an index the CLI changed) the replica:

1. reads the index's generation from disk (``index_generation``: the parts' meta.json
   files only) and stops there if it serves that generation already;
2. opens the index and builds the active policy's engines over it, on a worker thread,
   holding the policy lock so no activation interleaves (``PolicyHolder.prepare_company``);
3. swaps them in with one assignment (``swap_company``): a request that already holds
   an engine finishes with it, the next one gets the new engine;
4. announces the generation it serves (``notices.py``), and the other replicas do 1-3
   when they hear it, if the generation on *their* disk changed.

It fails closed: if the index cannot be opened, or the active policy cannot be served
from it (it names a table that is gone), nothing is swapped, the replica keeps matching
against the index it had, and the report (API answer, log, ``/readyz``) says why. A
failed reload is tried again every ``retry_seconds`` by the replicas that follow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Final, Literal

from gateway.company.registry import PartKind
from gateway.detect.company import DOCUMENT_ENTITIES
from gateway.detect.company.index import CompanyIndex, CompanyIndexError, index_generation
from gateway.errors import ConfigError
from gateway.keys import load_company_key
from gateway.policy.active import PolicyHolder, detector_spec
from gateway.rollout.company_notices import (
    CompanyNotices,
    LocalCompanyNotices,
    Notice,
    StoreUnavailable,
)
from gateway.rollout.redis_connect import RedisAccess
from gateway.rollout.replicas import replica_id
from gateway.settings import Settings

__all__ = ["CompanyReloader", "ReloadReport", "build_company_reloader"]

log = logging.getLogger("haetae.company")

Outcome = Literal["reloaded", "unchanged", "failed"]
_RETRY_SECONDS: Final = 30.0


@dataclass(frozen=True, slots=True)
class ReloadReport:
    """One reload: what was served before and after, and counts (never a value)."""

    outcome: Outcome
    by: str
    at: float
    seconds: float
    previous_generation: str
    generation: str  # served after the reload (the previous one when it failed)
    tables: int
    rows: int
    collections: int
    documents: int
    error: str | None = None
    announced: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CompanyReloader:
    """Keeps this replica's company index current; start it from the app's lifespan."""

    def __init__(
        self,
        holder: PolicyHolder,
        folder: Path,
        key: bytes,
        *,
        notices: CompanyNotices | None = None,
        poll_interval: float = 1.0,
        retry_seconds: float = _RETRY_SECONDS,
    ) -> None:
        if holder.company is None:
            raise ValueError("the policy holder was built without a company index")
        self.holder = holder
        self.folder = folder
        self.key = key
        self.replica = replica_id()
        self._notices = notices
        self._poll = poll_interval
        self._retry = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._last: ReloadReport | None = None
        self._failure: ReloadReport | None = None  # the last failed reload, until one works
        self._heard: Notice | None = None  # the newest notice read
        self._acted_on: Notice | None = None
        self._notices_error: str | None = None

    @property
    def index(self) -> CompanyIndex:
        """The index the active policy's engines match against now."""
        index = self.holder.company
        assert index is not None  # checked at construction; a swap never removes it
        return index

    # -- reloading ---------------------------------------------------------

    async def reload(self, by: str, *, announce: bool = True) -> ReloadReport:
        """Reload if the index on disk changed; never raises for an unusable index."""
        started = time.monotonic()
        async with self.holder.lock:
            before = self.index
            try:
                fresh = await asyncio.to_thread(self._open_if_changed, before.generation)
                if fresh is not None:
                    ready = await asyncio.to_thread(self.holder.prepare_company, fresh)
                    self.holder.swap_company(ready)
            except Exception as exc:  # whatever it was, the old index keeps serving
                report = self._report("failed", by, started, before, _problem(exc))
                self._failed(report)
                return report
        report = self._report("reloaded" if fresh else "unchanged", by, started, before)
        self._last, self._failure = report, None
        if fresh is not None:
            log.info(
                "company index %s reloaded by %s: generation %s → %s, %d tables (%d rows), "
                "%d collections (%d documents), %.2f s",
                self.folder,
                by,
                report.previous_generation,
                report.generation,
                report.tables,
                report.rows,
                report.collections,
                report.documents,
                report.seconds,
            )
        if announce and self._notices is not None:
            report = replace(report, announced=await self._announce(report.generation))
            self._last = report
        return report

    def _open_if_changed(self, serving: str) -> CompanyIndex | None:
        """Blocking: the index as it is on disk, or None when it is the one served."""
        if index_generation(self.folder) == serving:
            return None
        return CompanyIndex.open(self.folder, self.key)

    def _report(
        self,
        outcome: Outcome,
        by: str,
        started: float,
        before: CompanyIndex,
        error: str | None = None,
    ) -> ReloadReport:
        after = self.index
        return ReloadReport(
            outcome=outcome,
            by=by,
            at=time.time(),
            seconds=round(time.monotonic() - started, 3),
            previous_generation=before.generation,
            generation=after.generation,
            tables=len(after.tables),
            rows=after.rows,
            collections=len(after.collections),
            documents=after.documents,
            error=error,
        )

    def _failed(self, report: ReloadReport) -> None:
        if self._failure is None or self._failure.error != report.error:
            log.error(
                "company index %s not reloaded (by %s), still serving generation %s: %s",
                self.folder,
                report.by,
                report.generation,
                report.error,
            )
        self._last, self._failure = report, report

    async def _announce(self, generation: str) -> bool:
        assert self._notices is not None
        notice = Notice(generation, self.replica, time.time())
        try:
            await self._notices.announce(notice)
        except StoreUnavailable as exc:
            log.warning("company index reload not announced to other replicas: %s", exc)
            return False
        self._acted_on = self._heard = notice
        return True

    # -- following the other replicas ---------------------------------------

    def start(self) -> None:
        if self._task is None and self._notices is not None:
            self._task = asyncio.create_task(self._follow(), name="company-index-follow")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._notices is not None:
            await self._notices.aclose()

    async def _follow(self) -> None:
        assert self._notices is not None
        while True:
            try:
                await self._notices.wait(self._poll)
                notice = await self._notices.latest()
                self._notices_error = None
            except Exception as exc:  # Redis down (StoreUnavailable) or worse: keep serving
                self._notices_unavailable(exc)
                await asyncio.sleep(self._poll)
                continue
            self._heard = notice or self._heard
            retry = self._failure is not None and time.time() >= self._failure.at + self._retry
            if notice is not None and notice != self._acted_on:
                self._acted_on = notice
                await self.reload(f"replica {notice.replica}", announce=False)
            elif retry:
                await self.reload("retry", announce=False)

    def _notices_unavailable(self, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, StoreUnavailable) else type(exc).__name__
        if self._notices_error != message:
            log.warning("company index notices cannot be read: %s", message)
        self._notices_error = message

    # -- what the admin API and /readyz show ---------------------------------

    def policy_naming(self, kind: PartKind, name: str) -> str | None:
        """The active policy's name if it names this table or collection: removing it
        would leave that policy unservable here and at every replica's next start."""
        policy = self.holder.active.policy
        for answers in (False, True):
            entities, _, _, tables, _, collections = detector_spec(policy, answers)[2]
            if kind == "table" and "COMPANY_RECORD" in entities and name in tables:
                return policy.name
            if kind == "documents" and entities & DOCUMENT_ENTITIES and name in collections:
                return policy.name
        return None

    def status(self) -> dict[str, Any]:
        index = self.index
        status: dict[str, Any] = {
            "generation": index.generation,
            "tables": len(index.tables),
            "rows": index.rows,
            "collections": len(index.collections),
            "documents": index.documents,
            "notices": self._notices.kind if self._notices is not None else "off",
        }
        if self._last is not None:
            status["last_reload"] = {
                key: getattr(self._last, key) for key in ("at", "by", "outcome", "generation")
            }
        if self._failure is not None:
            status["reload_error"] = {"at": self._failure.at, "message": self._failure.error}
        if self._heard is not None:
            status["announced"] = {
                "generation": self._heard.generation,
                "replica": self._heard.replica,
                "at": self._heard.at,
            }
        if self._notices_error is not None:
            status["notices_error"] = self._notices_error
        return status


def _problem(exc: Exception) -> str:
    """Why a reload failed, for the API answer and the log: messages the index and the
    policy compose (paths, part and table names), never a cell; others by their type."""
    if isinstance(exc, CompanyIndexError | ConfigError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or 'cannot read the index'}"
    return f"{type(exc).__name__} while opening the company index"


def build_company_reloader(
    settings: Settings,
    holder: PolicyHolder,
    redis: RedisAccess | None,
    environ: Mapping[str, str] | None = None,
) -> CompanyReloader | None:
    """The reloader of ``company.index_dir`` (None without one), announcing through Redis,
    else ``rollout.local_dir``, else to nobody (one process)."""
    folder = settings.company.index_dir
    if folder is None or holder.company is None:
        return None
    key = load_company_key(settings.company, environ)
    rollout = settings.rollout
    notices: CompanyNotices | None = None
    if redis is not None:
        from gateway.rollout.company_redis import RedisCompanyNotices  # the redis extra

        notices = RedisCompanyNotices(redis.target, rollout.key_prefix)
    elif rollout.local_dir is not None:
        notices = LocalCompanyNotices(rollout.local_dir)
    elif settings.listen.workers > 1:
        log.warning(
            "%d workers without rollout.redis_url or rollout.local_dir: a company index "
            "reload through the admin API reaches only the worker that served it",
            settings.listen.workers,
        )
    return CompanyReloader(
        holder, folder, key, notices=notices, poll_interval=rollout.poll_interval
    )
