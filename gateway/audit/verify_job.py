"""Chain verification as a background job: started, watched and read back later.

Checking a million records takes minutes, far longer than a browser should
wait on one request (and than a proxy in front of the console lets it). So the
check runs on a thread of its own, off the event loop, reading the chain a
batch at a time (memory stays bounded whatever the log's size), while the job
counts the records as they pass: the console shows records checked out of the
total, the rate and the time left, and the report when it ends.

One job runs at a time per replica (a second start is refused while one runs:
two would only halve each other's speed), and the last one's report is kept
with the time it finished, so reloading the page, or another auditor opening
it, shows the same job. It lives in this process: a restart forgets it, but its
start and its end are both admin records in the audit chain.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from gateway.audit.chain_walk import ChainLink

__all__ = ["JobRunning", "VerifyJob", "VerifyJobs"]

log = logging.getLogger("haetae.audit")

#: how often (records) the job looks whether it was asked to stop
_STOP_CHECK = 2048


class JobRunning(Exception):
    """A check is already running on this replica."""


class JobStopped(Exception):
    """The replica is shutting down: the check was abandoned."""


@dataclass(slots=True)
class VerifyJob:
    id: str
    started_by: str
    role: str
    started: float  # unix seconds
    #: the records the chain holds when the job starts (its last number less its first,
    #: plus one); 0 until the job has read it
    total: int = 0
    checked: int = 0
    finished: float | None = None
    #: ``StoreVerification.as_dict``: None until the job ends, or when it failed
    report: dict[str, Any] | None = None
    #: the kind of error that ended it (the store could not be read), never a message
    failure: str | None = None

    @property
    def running(self) -> bool:
        return self.finished is None

    def view(self, now: float | None = None) -> dict[str, Any]:
        """What the API answers: the progress, and the report once there is one."""
        now = time.time() if now is None else now
        elapsed = max(0.0, (self.finished or now) - self.started)
        rate = self.checked / elapsed if elapsed > 0 else 0.0
        left = max(0, self.total - self.checked)
        return {
            "id": self.id,
            "started_by": self.started_by,
            "started": self.started,
            "finished": self.finished,
            "running": self.running,
            "total": self.total,
            "checked": self.checked,
            "elapsed_seconds": round(elapsed, 1),
            "rate_per_second": round(rate, 1),
            "seconds_left": round(left / rate, 1) if self.running and rate > 0 else None,
            "report": self.report,
            "failure": self.failure,
        }


#: runs the check, calling the tap on the records as they are read; returns the report
Check = Callable[[Callable[[Iterator[ChainLink]], Iterator[ChainLink]]], dict[str, Any]]


class VerifyJobs:
    """This replica's verification: at most one running, the last one kept."""

    def __init__(self, check: Check, count: Callable[[], int]) -> None:
        self._check = check
        self._count = count
        self._lock = threading.Lock()
        self._job: VerifyJob | None = None
        self._stop = threading.Event()

    def current(self) -> VerifyJob | None:
        """The running job, or else the last one that ended (None: none since start-up)."""
        return self._job

    def start(
        self,
        started_by: str,
        role: str,
        finished: Callable[[VerifyJob], Coroutine[Any, Any, None]] | None = None,
    ) -> VerifyJob:
        """Start a check on its own thread; ``finished`` is awaited on the caller's event
        loop when it ends (the admin record of its result). Raises JobRunning."""
        loop = asyncio.get_running_loop() if finished is not None else None
        with self._lock:
            if self._job is not None and self._job.running:
                raise JobRunning(self._job.id)
            job = VerifyJob(uuid.uuid4().hex[:12], started_by, role, time.time())
            self._job = job
        thread = threading.Thread(
            target=self._run, args=(job, finished, loop), name=f"verify-{job.id}", daemon=True
        )
        thread.start()
        return job

    def stop(self) -> None:
        """Ask a running check to give up (shutdown); it ends at its next batch."""
        self._stop.set()

    def _run(
        self,
        job: VerifyJob,
        finished: Callable[[VerifyJob], Coroutine[Any, Any, None]] | None,
        loop: asyncio.AbstractEventLoop | None,
    ) -> None:
        try:
            job.total = self._count()
            job.report = self._check(lambda records: self._counted(job, records))
        except JobStopped:
            job.failure = "stopped"
        except Exception as exc:  # the store failed: its kind, never a message
            log.error("chain verification %s failed: %s", job.id, type(exc).__name__)
            job.failure = type(exc).__name__
        job.finished = time.time()
        if finished is not None and loop is not None and not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(finished(job), loop)
            except RuntimeError:  # the loop stopped meanwhile: nothing left to record in
                log.warning("chain verification %s ended after shutdown", job.id)

    def _counted(self, job: VerifyJob, records: Iterator[ChainLink]) -> Iterator[ChainLink]:
        for checked, record in enumerate(records, 1):
            job.checked = checked  # an attribute store: nothing beside a record's hash
            if checked % _STOP_CHECK == 0 and self._stop.is_set():
                raise JobStopped
            yield record
