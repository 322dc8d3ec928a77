"""``/admin/v1/audit/verify/job``: the chain check as a background job (``audit.verify``).

``POST`` starts it (409 while one runs on this replica) and is an admin record
like any action; when the check ends, a second record says what it found
(records checked, OK or the first break's number and kind), so the chain
itself keeps each result. ``GET`` answers the running or last job's progress
and report: it checks the role but is not recorded, since it reveals nothing
of the log but the report its start already put on record, and the console
asks for it every few seconds while a job runs.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Request

from gateway.admin.journal import AdminCall, AdminJournal, BilingualHTTPException, requires
from gateway.audit.admin_event import Outcome, admin_record
from gateway.audit.verify_job import JobRunning, VerifyJob, VerifyJobs
from gateway.audit.verify_store import verify_store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from gateway.audit.chain import Witness
    from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["JOB_PATH", "store_verify_jobs", "verify_job_router"]

JOB_PATH = "/audit/verify/job"


def store_verify_jobs(
    store: SQLAuditStore, *, public_keys: list[Ed25519PublicKey], witness: Witness | None
) -> VerifyJobs:
    """The jobs checking ``store`` as ``haetae audit verify`` does (keys, witness)."""

    def chain_length() -> int:
        last, first = store.tail(1), store.after(-1, 1)
        if not last or not first or last[0].seq is None or first[0].seq is None:
            return 0
        return last[0].seq - first[0].seq + 1

    return VerifyJobs(
        lambda tap: verify_store(store, public_keys, witness, tap=tap).as_dict(witness),
        chain_length,
    )


def verify_job_router(jobs: VerifyJobs) -> APIRouter:
    router = APIRouter()

    @router.post(JOB_PATH)
    async def start(request: Request, call: Annotated[AdminCall, requires("audit.verify")]) -> Any:
        async with call.recorded():
            if request.query_params:
                raise HTTPException(400, "starting a verification takes no parameters")
            try:
                job = jobs.start(
                    call.principal.name, call.principal.role, _recorder(call.journal, call)
                )
            except JobRunning as running:
                raise BilingualHTTPException(
                    409,
                    f"a verification is already running on this replica (job {running})",
                    f"이 서버에서 이미 검증이 진행 중입니다 (작업 {running})",
                ) from None
            call.details["job"] = job.id
            return {"job": job.view()}

    @router.get(JOB_PATH)
    async def progress(_call: Annotated[AdminCall, requires("audit.verify")]) -> Any:
        job = jobs.current()
        return {"job": None if job is None else job.view()}

    return router


def _recorder(journal: AdminJournal, call: AdminCall) -> Any:
    """The admin record of a job's end, written on the event loop that started it."""

    async def finished(job: VerifyJob) -> None:
        report = job.report or {}
        problems = report.get("problems") or []
        first = problems[0] if problems else None
        outcome: Outcome = "ok" if job.failure is None else "failed"
        extra: dict[str, Any] = {
            **{k: v for k, v in call.details.items() if k == "via"},
            "job": job.id,
            "phase": "finished",
            "records": job.checked,
            "verified": bool(report.get("ok")) if job.failure is None else None,
            "last_seq": report.get("last_seq"),
            "problems": len(problems),
            "first_problem": None
            if first is None
            else {"seq": first["seq"], "kind": first["kind"]},
        }
        # a failing store: its health says so, and the job's report stays on the page
        with contextlib.suppress(HTTPException):
            await journal.write_record(
                admin_record(
                    actor=job.started_by,
                    role=job.role,
                    action=call.action,
                    outcome=outcome,
                    method=call.method,
                    path=call.path,
                    status=200 if job.failure is None else 503,
                    client_address=call.client,
                    error=job.failure,
                    extra=extra,
                )
            )

    return finished
