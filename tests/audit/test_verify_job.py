"""The chain check as a background job: one at a time, its progress counted as the
records pass, its report kept, and a stop at shutdown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.admin.verify_jobs import store_verify_jobs
from gateway.audit import open_audit_store
from gateway.audit.record import AuditRecord
from gateway.audit.verify_job import JobRunning, VerifyJob, VerifyJobs
from tests.support.polling import wait_for

Tap = Callable[[Iterator[AuditRecord]], Iterator[AuditRecord]]


def _record(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"r{i}", time=1.0 + i, request_id=f"q{i}", client_address=None,
        user="u", provider="p", api="chat", model="m", method="POST", path="/",
        decision="allow", seq=i + 1,
    )  # fmt: skip


def _records(n: int) -> list[AuditRecord]:
    return [_record(i) for i in range(n)]


def test_one_check_at_a_time_with_its_progress_and_report() -> None:
    gate, halfway = threading.Event(), threading.Event()

    def check(tap: Tap) -> dict[str, Any]:
        seen = 0
        for _ in tap(iter(_records(10))):
            seen += 1
            if seen == 4:
                halfway.set()
                assert gate.wait(10)
        return {"ok": True, "records": seen}

    jobs = VerifyJobs(check, lambda: 10)

    async def scenario() -> tuple[VerifyJob, dict[str, Any]]:
        job = jobs.start("audrey", "auditor")
        assert await asyncio.to_thread(halfway.wait, 10)
        with pytest.raises(JobRunning):
            jobs.start("root", "admin")  # the second start is refused while one runs
        running = job.view()
        gate.set()
        await asyncio.to_thread(wait_for, lambda: not job.running, 10)
        return job, running

    job, running = asyncio.run(scenario())
    assert running["running"] and running["checked"] == 4 and running["total"] == 10
    assert running["seconds_left"] is not None and running["seconds_left"] >= 0
    assert jobs.current() is job and not job.running
    assert job.checked == 10 and job.report == {"ok": True, "records": 10}
    done = job.view()
    assert done["seconds_left"] is None and done["finished"] >= done["started"]
    again = jobs.start("root", "admin")  # once ended, another may start; it is the one shown
    wait_for(lambda: not again.running, 10)
    assert jobs.current() is again


def test_a_store_that_cannot_be_read_ends_the_job_with_its_kind() -> None:
    def check(_tap: Tap) -> dict[str, Any]:
        raise OSError("disk said something that could quote a record")

    jobs = VerifyJobs(check, lambda: 0)
    job = jobs.start("audrey", "auditor")
    wait_for(lambda: not job.running, 10)
    assert job.failure == "OSError" and job.report is None


def test_a_stop_abandons_the_walk() -> None:
    def endless() -> Iterator[AuditRecord]:
        record = _records(1)[0]
        while True:
            yield record

    def check(tap: Tap) -> dict[str, Any]:
        for _ in tap(endless()):
            pass
        return {}

    jobs = VerifyJobs(check, lambda: 1)
    job = jobs.start("root", "admin")
    wait_for(lambda: job.checked > 0, 10)
    jobs.stop()
    wait_for(lambda: not job.running, 10)
    assert job.failure == "stopped"


def test_a_store_job_counts_every_record_of_the_chain(tmp_path: Path) -> None:
    store = open_audit_store(f"sqlite:///{tmp_path / 'audit.db'}")
    for record in _records(300):
        record.seq = None
        store.append_now(record)
    jobs = store_verify_jobs(store, public_keys=[], witness=None)
    job = jobs.start("root", "admin")
    wait_for(lambda: not job.running, 30)
    assert job.total == 300 and job.checked == 300
    assert job.report is not None and job.report["ok"] and job.report["last_seq"] == 300
