"""Who may do what in the admin API: one table of roles and the actions they grant.

Every route names the action it performs (``requires("policy.activate")``);
``build_admin_app`` refuses to start with a route that names none, so a new
endpoint cannot be open to every token by omission. A refusal is answered 403
in English and Korean and recorded in the audit chain like any admin action.

| role | may |
| --- | --- |
| ``admin`` | everything but sealed evidence |
| ``policy_author`` | read policies; validate, dry-run, upload (propose); activate if approved; |
|  | list, register and remove company tables and documents |
| ``policy_approver`` | read policies; validate and dry-run; approve; activate; roll back; |
|  | list registered company sources |
| ``auditor`` | read policies; search, count, export and verify the audit log; list keys; |
|  | list registered company sources |
| ``viewer`` | read policies; counts of the audit log (no records); list keys |
| ``incident_responder`` | read policies; search and count the audit log; fetch sealed evidence |

Sealed evidence (``evidence.read``) is the incident responder's alone, not even
an admin's: whoever runs the gateway is not whoever may read what people sent.
The responder fetches the sealed items; they are opened with a private key the
gateway never sees (in the browser, or ``haetae audit evidence``).

Gateway keys are issued and revoked by admins only (``keys.manage``); the list
of keys and of who is who (``keys.read``) never shows a key, only its id.

An author may activate only what someone else approved (four eyes); rolling
back is for approvers and admins, who answer for production.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from gateway.settings import AdminRole

__all__ = ["ACTIONS", "GRANTS", "ROLES", "Action", "AdminRole", "denial_ko", "may"]

Action = Literal[
    "policy.read",  # list, show, diff, history, who am I
    "policy.test",  # validate, dry run: nothing is stored or changed
    "policy.upload",
    "policy.approve",
    "policy.activate",
    "policy.rollback",
    "audit.stats",  # counts only
    "audit.read",  # records: search, export
    "audit.verify",
    "audit.purge",
    "evidence.read",  # sealed evidence of records (ciphertext; opened outside the server)
    "keys.read",  # list keys (never the key itself) and who is who
    "keys.manage",  # issue and revoke gateway keys
    "settings.reload",
    "company.read",  # registered tables and documents: names, counts, never values
    "company.register",  # register, replace and remove them
]

ACTIONS: tuple[Action, ...] = get_args(Action)
ROLES: tuple[AdminRole, ...] = get_args(AdminRole)

_READ: frozenset[Action] = frozenset({"policy.read"})

GRANTS: Mapping[AdminRole, frozenset[Action]] = {
    "admin": frozenset(ACTIONS) - {"evidence.read"},
    "policy_author": _READ
    | {"policy.test", "policy.upload", "policy.activate", "company.read", "company.register"},
    "policy_approver": _READ
    | {"policy.test", "policy.approve", "policy.activate", "policy.rollback", "company.read"},
    "auditor": _READ | {"audit.stats", "audit.read", "audit.verify", "keys.read", "company.read"},
    "viewer": _READ | {"audit.stats", "keys.read"},
    "incident_responder": _READ | {"audit.stats", "audit.read", "evidence.read"},
}

_ACTION_KO: Mapping[Action, str] = {
    "policy.read": "정책 조회",
    "policy.test": "정책 검증·시험 실행",
    "policy.upload": "정책 업로드",
    "policy.approve": "정책 승인",
    "policy.activate": "정책 활성화",
    "policy.rollback": "정책 롤백",
    "audit.stats": "감사 로그 집계",
    "audit.read": "감사 로그 조회·내보내기",
    "audit.verify": "감사 로그 무결성 검증",
    "audit.purge": "감사 로그 삭제",
    "evidence.read": "봉인된 증거 조회",
    "keys.read": "API 키·사용자 조회",
    "keys.manage": "API 키 발급·폐기",
    "settings.reload": "설정 다시 읽기",
    "company.read": "회사 등록 자료 조회",
    "company.register": "회사 표·문서 등록·삭제",
}


def may(role: AdminRole, action: Action) -> bool:
    return action in GRANTS[role]


def denial_ko(role: AdminRole, action: Action) -> str:
    """The Korean sentence of a 403 (the English one is built beside it)."""
    return f"'{role}' 역할은 '{_ACTION_KO[action]}'({action}) 권한이 없습니다."
