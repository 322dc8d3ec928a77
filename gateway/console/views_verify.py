"""Verify the chain: start the check in the background, watch it, read its result.

The check of a large log takes minutes (``gateway/audit/verify_job.py``), so
the button starts a job and the page shows its progress, refreshing itself
with a ``<meta http-equiv="refresh">`` (no script needed, nothing the CSP must
allow) until the report is there. The admin API checks the role (``audit.verify``)
and records the start and the end in the chain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.responses import Response

from gateway.admin.verify_jobs import JOB_PATH
from gateway.console.web import Page

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["REFRESH_SECONDS", "duration", "verify_job", "verify_start"]

PATH = "/console/audit/verify"
#: how often the page reloads itself while a check runs
REFRESH_SECONDS = 3


async def verify_job(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    reply = await console.api.call(page.principal, "GET", JOB_PATH, client=page.client)
    if not reply.ok:
        return page.error(reply.status, reply.error(page.language))
    job: dict[str, Any] | None = reply.data["job"]
    report = job["report"] if job else None
    problems = report["problems"] if report else []
    return page.render(
        "verify.html",
        job=job,
        report=report,
        first_problem=problems[0] if problems else None,
        refresh=REFRESH_SECONDS if job and job["running"] else None,
        elapsed=duration(job["elapsed_seconds"], page.language) if job else "",
        left=duration(job["seconds_left"], page.language) if job else "",
        percent=_percent(job),
    )


async def verify_start(console: Console, page: Page, _form: FormData | None) -> Response:
    assert page.principal is not None
    reply = await console.api.call(page.principal, "POST", JOB_PATH, client=page.client)
    if reply.status == 409:
        return page.redirect(PATH, "done.verify_running")
    if not reply.ok:
        return page.error(reply.status, reply.error(page.language))
    return page.redirect(PATH, "done.verify_started")


def _percent(job: dict[str, Any] | None) -> float:
    if not job or not job["total"]:
        return 0.0
    return min(100.0, 100.0 * int(job["checked"]) / int(job["total"]))


def duration(seconds: float | None, language: str) -> str:
    """``7 min 05 s`` / ``7분 05초``; empty when not known (no rate yet)."""
    if seconds is None:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    units = ("시간", "분", "초") if language == "ko" else (" h", " min", " s")
    parts = [f"{hours}{units[0]}"] if hours else []
    if hours or minutes:
        parts.append(f"{minutes}{units[1]}")
    parts.append(f"{secs:02d}{units[2]}" if parts else f"{secs}{units[2]}")
    return " ".join(parts)
