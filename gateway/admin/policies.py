"""``/admin/v1/policies``: list, upload, validate, diff, explain, dry-run, approve, activate,
roll back.

Uploads are YAML bodies; a policy that does not validate, or whose own
``tests:`` fail, is answered 422 with the loader's own message (file, key and
reason); YAML over its bounds (size, depth, aliases) 413. Every change and
every check is an admin record in the audit chain (``journal.py``), but for
``/check``, the editor's compile-only check as one types; activation
and rollback are also in the rollout history with a rule-by-rule diff. With
``admin.four_eyes`` an activation needs an approval of that exact version by
someone other than its author; see docs/rollout.md for the whole procedure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from gateway.admin.journal import AdminCall, BilingualHTTPException, requires
from gateway.admin.rate import CheckLimit
from gateway.audit import AuditStore
from gateway.errors import ConfigError
from gateway.policy.diff import diff_policies
from gateway.policy.evaluate import CompiledPolicy
from gateway.policy.source import PolicyTooLarge
from gateway.rollout.approvals import NotApproved, SelfApproval
from gateway.rollout.dryrun import dry_run
from gateway.rollout.manager import ReadOnlyReplica, Rollout, RolloutConflict, UnknownVersion
from gateway.rollout.signing import UntrustedState
from gateway.rollout.store import Approval, ChangeRecord, StoreUnavailable

__all__ = ["MAX_POLICY_BYTES", "policies_router"]

MAX_POLICY_BYTES = 1024 * 1024
_DAY = 86_400.0

T = TypeVar("T")

Reader = Annotated[AdminCall, requires("policy.read")]
Tester = Annotated[AdminCall, requires("policy.test")]
Uploader = Annotated[AdminCall, requires("policy.upload")]
Approver = Annotated[AdminCall, requires("policy.approve")]
Activator = Annotated[AdminCall, requires("policy.activate")]
RollerBack = Annotated[AdminCall, requires("policy.rollback")]


def policies_router(rollout: Rollout, audit: AuditStore) -> APIRouter:
    router = APIRouter(prefix="/policies")
    checks = CheckLimit()

    @router.get("")
    async def list_versions(_call: Reader) -> dict[str, Any]:
        active = rollout.holder.active.version
        try:
            shared = await _store(rollout.store.active_version())
        except HTTPException as exc:
            if exc.status_code != 409:
                raise
            shared = None  # refused (see "replica"): list what does verify
        versions = await _store(rollout.store.list_versions())
        return {
            "active": shared or active,
            "replica": rollout.status(),
            "versions": [
                v.summary() | {"active": v.version == (shared or active)}
                for v in reversed(versions)
            ],
        }

    @router.get("/history")
    async def history(_call: Reader, limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
        changes = await _store(rollout.store.history(limit))
        return {"changes": [_change_dict(c) for c in changes]}

    @router.post("", status_code=201)
    async def upload(request: Request, call: Uploader) -> JSONResponse:
        """Store a candidate (a proposal): validated, and its own tests pass."""
        async with call.recorded():
            raw = await _yaml_body(request)
            try:
                uploaded = await _store(rollout.upload(raw, call.principal.name))
            except PolicyTooLarge as exc:
                raise HTTPException(413, str(exc)) from None
            except ConfigError as exc:
                raise HTTPException(422, str(exc)) from None
            except ReadOnlyReplica as exc:
                raise HTTPException(403, str(exc)) from None
            stored, compiled, created = uploaded
            call.target["version"] = stored.version
            call.details["created"] = created
        body = stored.summary() | {
            "created": created,
            "diff_from_active": diff_policies(rollout.holder.active.policy, compiled).to_dict(),
        }
        return JSONResponse(body, 201 if created else 200)

    @router.post("/validate")
    async def validate(request: Request, call: Tester) -> dict[str, Any]:
        async with call.recorded():
            compiled = await _compile_body(rollout, request)
            call.target["version"] = compiled.version
            try:  # valid means uploadable: its own tests pass too
                await asyncio.to_thread(rollout.require_tests, compiled)
            except ConfigError as exc:
                raise HTTPException(422, str(exc)) from None
        return {
            "valid": True,
            "version": compiled.version,
            "name": compiled.name,
            "rules": len(compiled.rules),
            "diff_from_active": diff_policies(rollout.holder.active.policy, compiled).to_dict(),
        }

    @router.post("/check")
    async def check(request: Request, call: Tester) -> dict[str, Any]:
        """Compile only, for the console's editor while someone types: no tests, no record.

        It changes nothing and is called after each pause in typing, so, like the
        reads, it is not an admin record; ``CheckLimit`` bounds it per person instead.
        """
        if wait := checks.wait(call.principal.name):
            raise HTTPException(
                429, "too many policy checks this minute", {"retry-after": str(int(wait) + 1)}
            )
        checks.add(call.principal.name)
        compiled = await _compile_body(rollout, request)
        return {"valid": True, "version": compiled.version, "rules": len(compiled.rules)}

    @router.post("/dry-run")
    async def dry_run_body(
        request: Request, call: Tester, days: float = Query(7.0, gt=0, le=366)
    ) -> dict[str, Any]:
        """Dry-run a candidate given as the YAML body, without storing it."""
        async with call.recorded():
            compiled = await _compile_body(rollout, request)
            call.target["version"] = compiled.version
            call.details["days"] = days
            return await _dry_run(compiled, days)

    @router.get("/{version}")
    async def show(version: str, _call: Reader) -> dict[str, Any]:
        stored = await _store(rollout.store.get_version(version))
        if stored is None:
            raise HTTPException(404, f"no stored policy has version {version}")
        return stored.summary() | {"yaml": stored.yaml}

    @router.get("/{version}/diff")
    async def diff(version: str, _call: Reader, against: str | None = None) -> dict[str, Any]:
        """Rule-by-rule changes from ``against`` (default: the active version) to ``version``."""
        base = await _compiled(rollout, against or rollout.holder.active.version)
        return diff_policies(base, await _compiled(rollout, version)).to_dict()

    @router.post("/{version}/dry-run")
    async def dry_run_stored(
        version: str, call: Tester, days: float = Query(7.0, gt=0, le=366)
    ) -> dict[str, Any]:
        async with call.recorded():
            call.details["days"] = days
            return await _dry_run(await _compiled(rollout, version), days)

    @router.post("/{version}/explain")
    async def explain_version(version: str, request: Request, call: Tester) -> dict[str, Any]:
        """Which rules a sketched request (a policy test's ``request:``) matches, and why."""
        async with call.recorded():
            compiled = await _compiled(rollout, version)
            return await asyncio.to_thread(_explain, compiled, await _yaml_body(request))

    @router.get("/{version}/approvals")
    async def approvals(version: str, _call: Reader) -> dict[str, Any]:
        """Who approved exactly this version, and whether four eyes would let it activate."""
        found = await _store(rollout.approvals.by_others(version))
        return {
            "version": version,
            "four_eyes": rollout.approvals.required,
            "approvals": [_approval_dict(a) for a in found],
            "activatable": bool(found) or not rollout.approvals.required,
        }

    @router.post("/{version}/approve")
    async def approve(version: str, call: Approver) -> dict[str, Any]:
        """Approve exactly this version: by anyone with the role but its author."""
        async with call.recorded():
            by = call.principal
            approval = await _refusals(rollout.approve(version, by.name, by.role), version)
        return _approval_dict(approval)

    @router.post("/{version}/activate")
    async def activate(version: str, call: Activator) -> dict[str, Any]:
        async with call.recorded():
            call.details["four_eyes"] = rollout.approvals.required
            change = await _change(rollout.activate(version, call.principal.name), version)
            found = await _store(rollout.approvals.by_others(version))
            call.details["approvals"] = [a.by for a in found]
        return change

    @router.post("/rollback")
    async def rollback(
        call: RollerBack, to: str | None = Query(None, description="a version")
    ) -> dict[str, Any]:
        async with call.recorded({"version": to} if to else None):
            change = await _change(rollout.rollback(call.principal.name, to), to)
            call.target.update({"version": change["to"], "from": change["from"] or ""})
        return change

    async def _dry_run(candidate: CompiledPolicy, days: float) -> dict[str, Any]:
        until = time.time()
        since = until - days * _DAY
        records = await asyncio.to_thread(audit.records_between, since, until)
        active = rollout.holder.active
        try:
            # Each policy judges with its own providers: the candidate may add or correct some.
            candidate_providers = await asyncio.to_thread(
                rollout.holder.candidate_providers, candidate
            )
        except ConfigError as exc:
            raise HTTPException(422, str(exc)) from None
        report = await asyncio.to_thread(
            dry_run,
            records,
            active.policy,
            candidate,
            active.providers,
            candidate_providers=candidate_providers,
            since=since,
            until=until,
        )
        return report.to_dict()

    return router


def _explain(policy: CompiledPolicy, body: bytes) -> dict[str, Any]:
    """The body is a request sketch as JSON; text is refused: it would need the detector,
    and a sketch says what was found (``entities``) instead."""
    from pydantic import ValidationError

    from gateway.detect import SUPPORTED_ENTITIES
    from gateway.policy.cases import Sketcher
    from gateway.policy.explain import explain
    from gateway.policy.providers import policy_catalog
    from gateway.policy.schema import RequestSketch

    try:
        sketch = RequestSketch.model_validate_json(body)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors()
        )
        raise HTTPException(422, f"request sketch: {where}") from None
    if sketch.text is not None:
        raise HTTPException(422, "request sketch: give 'entities' (what was found), not 'text'")
    try:
        catalog = policy_catalog(policy.name, policy.document.providers)
        decision, report = explain(policy, Sketcher(policy, catalog, SUPPORTED_ENTITIES)(sketch))
    except ValueError as exc:
        raise HTTPException(422, f"request sketch: {exc}") from None
    return {"action": decision.action, "rules": list(decision.rule_ids), "report": report}


async def _yaml_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_POLICY_BYTES:
        raise HTTPException(413, f"a policy may be at most {MAX_POLICY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_POLICY_BYTES:
            raise HTTPException(413, f"a policy may be at most {MAX_POLICY_BYTES} bytes")
    if not body.strip():
        raise HTTPException(400, "send the policy as the request body (YAML)")
    return bytes(body)


async def _compile_body(rollout: Rollout, request: Request) -> CompiledPolicy:
    raw = await _yaml_body(request)
    try:
        raw.decode("utf-8")
        return await asyncio.to_thread(rollout.compile, raw)
    except UnicodeDecodeError:
        raise HTTPException(422, "<upload>: a policy must be UTF-8 text") from None
    except PolicyTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from None


async def _compiled(rollout: Rollout, version: str) -> CompiledPolicy:
    try:
        return await _store(rollout.compiled_version(version))
    except UnknownVersion:
        raise HTTPException(404, f"no stored policy has version {version}") from None
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from None


async def _store(operation: Awaitable[T]) -> T:
    try:
        return await operation
    except StoreUnavailable as exc:
        raise HTTPException(503, f"the policy store is unreachable ({exc})") from None
    except UntrustedState as exc:
        # A forged or replayed value in the shared store: refused, never used.
        raise HTTPException(
            409, f"refused shared state that does not verify: {exc} (see docs/security.md)"
        ) from None


async def _change(operation: Awaitable[ChangeRecord], version: str | None) -> dict[str, Any]:
    """Run an activation or rollback, mapping its refusals to HTTP statuses."""
    return _change_dict(await _refusals(operation, version))


async def _refusals(operation: Awaitable[T], version: str | None) -> T:
    """Run a change of the rollout state, mapping each of its refusals to an HTTP status."""
    try:
        return await _store(operation)
    except UnknownVersion:
        raise HTTPException(404, f"no stored policy has version {version}") from None
    except RolloutConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except ReadOnlyReplica as exc:
        raise HTTPException(403, str(exc)) from None
    except SelfApproval as exc:
        ko = "정책을 올린 사람은 같은 정책을 승인할 수 없습니다 (4-eyes)."
        raise BilingualHTTPException(403, str(exc), ko) from None
    except NotApproved as exc:
        ko = (
            f"버전 {version}은(는) 작성자가 아닌 다른 승인자의 승인이 있어야 "
            "활성화할 수 있습니다 (4-eyes)."
        )
        raise BilingualHTTPException(403, str(exc), ko) from None
    except ConfigError as exc:  # does not compile on this replica, or its tests fail
        raise HTTPException(422, str(exc)) from None


def _approval_dict(approval: Approval) -> dict[str, Any]:
    return dataclasses.asdict(approval)  # version, by, role, at


def _change_dict(change: ChangeRecord) -> dict[str, Any]:
    return {
        "at": change.at,
        "by": change.by,
        "action": change.action,
        "from": change.from_version,
        "to": change.to_version,
        "diff": change.diff,
        "seq": change.seq,
    }
