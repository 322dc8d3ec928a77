"""Gateway keys and who is who, under ``/admin/v1/keys`` and ``/admin/v1/identities``.

The same key file as ``haetae keys`` (``identity.api_keys.file``), edited under
the same lock; the running gateway picks a change up within
``identity.api_keys.reload_seconds``. Listing (``keys.read``) never shows a key
nor its digest, only its public id; issuing and revoking (``keys.manage``) are
admin records naming the key's id and user. An issued key is in the answer to
its ``POST`` and nowhere else: not in the record, not in the file.

"Who is who" is what the gateway can know without asking anyone: the users and
groups its keys name, which ways of identifying callers are on, and who may use
the admin API and the console with which role. Users who arrive by trusted
header or company token are not listed here: the gateway learns them per
request (the audit log's ``user`` counts show them).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request

from gateway.admin.auth import AdminAuth
from gateway.admin.journal import AdminCall, BilingualHTTPException, requires
from gateway.errors import ConfigError
from gateway.identity.api_keys import KeyEntry, KeyFile, KeyStore
from gateway.settings import ConsoleSettings, IdentitySettings

__all__ = ["keys_router"]

Reader = Annotated[AdminCall, requires("keys.read")]
Manager = Annotated[AdminCall, requires("keys.manage")]
_MAX_BODY = 16 * 1024


def keys_router(
    identity: IdentitySettings,
    store: KeyStore | None,
    auth: AdminAuth,
    console: ConsoleSettings,
    local_admins: Iterable[str],
) -> APIRouter:
    router = APIRouter()
    key_file = KeyFile(identity.api_keys.file) if identity.api_keys.file is not None else None
    admins = sorted(local_admins)

    def _file() -> KeyFile:
        if key_file is None:
            raise BilingualHTTPException(
                409,
                "gateway keys are off: set identity.api_keys.file (docs/identity.md)",
                "게이트웨이 키가 꺼져 있습니다. identity.api_keys.file 을 설정하세요.",
            )
        return key_file

    async def _entries() -> list[KeyEntry]:
        if key_file is None:
            return []
        try:
            return await asyncio.to_thread(key_file.read)
        except ConfigError as exc:  # the file's own fault, named without its contents
            raise BilingualHTTPException(
                500, str(exc), "키 파일을 읽을 수 없습니다 (서버 로그 참조)."
            ) from None

    def _public(entry: KeyEntry) -> dict[str, Any]:
        return {
            "id": entry.id,
            "user": entry.user,
            "groups": list(entry.groups),
            "created": entry.created,
            "revoked": entry.revoked,
            "note": entry.note,
            "state": "revoked" if entry.revoked else "active",
            "last_used": store.last_used(entry.id) if store is not None else None,
        }

    @router.get("/keys")
    async def list_keys(call: Reader) -> dict[str, Any]:
        async with call.recorded():
            entries = await _entries()
        return {"enabled": key_file is not None, "keys": [_public(e) for e in entries]}

    @router.post("/keys")
    async def create_key(request: Request, call: Manager) -> dict[str, Any]:
        """Body: ``{"user": …, "groups": [...], "note": …}``. The answer holds the key, once."""
        async with call.recorded():
            call.details["operation"] = "create"  # like ``haetae keys create``'s keys.create
            user, groups, note = _key_request(await request.body())
            call.target["user"] = user
            try:
                key, entry = await asyncio.to_thread(_file().create, user, groups, note)
            except ConfigError as exc:
                raise BilingualHTTPException(
                    400, str(exc), "사용자·그룹·메모는 1-200자의 출력 가능한 문자여야 합니다."
                ) from None
            call.target["key_id"] = entry.id
        return {"key": key, **_public(entry)}

    @router.post("/keys/{key_id}/revoke")
    async def revoke_key(key_id: str, call: Manager) -> dict[str, Any]:
        async with call.recorded():
            call.details["operation"] = "revoke"
            try:
                entry = await asyncio.to_thread(_file().revoke, key_id)
            except ConfigError:
                raise BilingualHTTPException(
                    404, f"no key has the id '{key_id}'", f"'{key_id}' 키가 없습니다."
                ) from None
            call.target["user"] = entry.user
        return _public(entry)

    @router.get("/identities")
    async def identities(call: Reader) -> dict[str, Any]:
        async with call.recorded():
            entries = await _entries()
        return {
            "users": _users(entries),
            "groups": _groups(entries),
            "sources": _sources(identity),
            "console": {
                "tokens": sorted(
                    ({"name": p.name, "role": p.role} for p in auth.principals),
                    key=lambda p: p["name"],
                ),
                "local_admins": [{"name": name, "role": "admin"} for name in admins],
                "oidc": None
                if console.oidc is None
                else {
                    "issuer": console.oidc.issuer,
                    "groups_claim": console.oidc.groups_claim,
                    "group_roles": dict(sorted(console.oidc.group_roles.items())),
                },
            },
        }

    return router


def _key_request(body: bytes) -> tuple[str, list[str], str | None]:
    refused = BilingualHTTPException(
        400,
        'expected JSON {"user": "...", "groups": ["..."], "note": "..."}',
        '{"user": "...", "groups": ["..."], "note": "..."} 형식의 JSON 이 필요합니다.',
    )
    if len(body) > _MAX_BODY:
        raise refused
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise refused from None
    if not isinstance(data, dict) or not isinstance(data.get("user"), str):
        raise refused
    groups = data.get("groups") or []
    note = data.get("note") or None
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise refused
    if note is not None and not isinstance(note, str):
        raise refused
    return data["user"], [g for g in groups if g.strip()], note


def _users(entries: list[KeyEntry]) -> list[dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    for entry in entries:
        user = users.setdefault(
            entry.user, {"user": entry.user, "groups": [], "active_keys": 0, "revoked_keys": 0}
        )
        user["groups"] = sorted(set(user["groups"]) | set(entry.groups))
        user["revoked_keys" if entry.revoked else "active_keys"] += 1
    return [users[name] for name in sorted(users)]


def _groups(entries: list[KeyEntry]) -> list[dict[str, Any]]:
    members: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        for group in entry.groups:
            members[group].add(entry.user)
    return [{"group": g, "users": sorted(members[g])} for g in sorted(members)]


def _sources(identity: IdentitySettings) -> list[dict[str, Any]]:
    """Each way a caller can be identified, whether it is on, and what it trusts."""
    headers = identity.trusted_headers
    jwt = identity.jwt
    return [
        {"source": "api_key", "on": identity.api_keys.file is not None,
         "detail": f"{identity.key_header}"},
        {"source": "header", "on": bool(headers.proxies),
         "detail": f"{headers.user} / {headers.groups} from {len(headers.proxies)} network(s)"},
        {"source": "jwt", "on": jwt is not None,
         "detail": f"{jwt.issuer} ({jwt.user_claim}, {jwt.groups_claim})" if jwt else ""},
        {"source": "anonymous", "on": identity.anonymous == "allow", "detail": ""},
    ]  # fmt: skip
