"""Korean and English for the console: one table of texts, and which language a page is in.

The language is the ``lang`` query parameter (the switch in the header), else the
``haetae_console_lang`` cookie it set, else the browser's ``Accept-Language``,
else ``console.language``. Every text the pages show is a key of ``TEXTS``; a
test checks that each has both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from gateway.console.i18n_jobs import JOB_TEXTS
from gateway.console.i18n_pages import PAGE_TEXTS

__all__ = ["LANG_COOKIE", "TEXTS", "Language", "negotiate", "translate"]

Language = Literal["ko", "en"]
LANG_COOKIE = "haetae_console_lang"

#: key -> (English, Korean)
TEXTS: Mapping[str, tuple[str, str]] = {
    "console": ("Haetae console", "해태 콘솔"),
    "skip": ("Skip to content", "본문으로 건너뛰기"),
    "nav.overview": ("Overview", "개요"),
    "nav.audit": ("Audit", "감사 로그"),
    "nav.policies": ("Policies", "정책"),
    "signed_in_as": ("Signed in as", "로그인 사용자"),
    "role": ("Role", "역할"),
    "sign_out": ("Sign out", "로그아웃"),
    "language": ("Language", "언어"),
    "time_zone": ("Times in", "시간대"),
    "sign_in": ("Sign in", "로그인"),
    "sign_in.title": ("Sign in to the Haetae console", "해태 콘솔 로그인"),
    "sign_in.oidc": ("Sign in with the company account", "회사 계정으로 로그인"),
    "sign_in.password": ("Break-glass administrator", "비상용 관리자 계정"),
    "sign_in.token": ("Admin token", "관리자 토큰"),
    "sign_in.name": ("Name", "이름"),
    "sign_in.password_field": ("Password", "비밀번호"),
    "sign_in.token_field": ("Token", "토큰"),
    "sign_in.none": (
        "No way to sign in is configured: set console.oidc, console.local_admins or an "
        "admin token (docs/console.md).",
        "로그인 방법이 설정되지 않았습니다. console.oidc, console.local_admins 또는 관리자 "
        "토큰을 설정하세요 (docs/console.md).",
    ),
    "sign_in.failed": (
        "Sign-in failed: wrong name, password or token.",
        "로그인 실패: 이름, 비밀번호 또는 토큰이 올바르지 않습니다.",
    ),
    "sign_in.throttled": (
        "Too many failed sign-ins from this address: wait a few minutes and try again.",
        "이 주소에서 로그인 실패가 너무 많습니다. 몇 분 뒤에 다시 시도하세요.",
    ),
    "sign_in.no_role": (
        "You are signed in with the identity provider, but none of your groups has a console role.",
        "ID 공급자 로그인은 되었지만 소속 그룹 중 콘솔 역할이 부여된 그룹이 없습니다.",
    ),
    "sign_in.oidc_failed": (
        "Sign-in with the identity provider failed",
        "ID 공급자 로그인에 실패했습니다",
    ),
    "sign_in.expired": (
        "Your session has ended (signed out, idle or expired). Sign in again.",
        "세션이 끝났습니다 (로그아웃, 유휴 시간 초과 또는 만료). 다시 로그인하세요.",
    ),
    "sign_in.continue": (
        "Signed in. Continue to the console.",
        "로그인되었습니다. 콘솔로 이동합니다.",
    ),
    "csrf": (
        "The form expired or did not come from this console. Reload the page and try again.",
        "양식이 만료되었거나 이 콘솔에서 보낸 것이 아닙니다. "
        "페이지를 새로 고친 뒤 다시 시도하세요.",
    ),
    "error": ("Error", "오류"),
    "not_found": ("No such page.", "페이지가 없습니다."),
    "overview.title": ("Overview", "개요"),
    "overview.period": ("Last 7 days", "최근 7일"),
    "overview.over_time": ("Decisions per day", "일별 결정"),
    "overview.top_rules": ("Top rules", "가장 많이 적용된 규칙"),
    "overview.entities": ("Entity types found", "탐지된 개인정보·비밀 유형"),
    "overview.providers": ("Providers", "AI 제공자"),
    "overview.users": ("Users", "사용자"),
    "overview.blocked": ("Blocked attempts by user", "사용자별 차단 시도"),
    "overview.health": ("Health of this replica", "이 인스턴스 상태"),
    "overview.no_stats": (
        "Counts need the audit.stats permission.",
        "집계를 보려면 audit.stats 권한이 필요합니다.",
    ),
    "health.audit": ("Audit store", "감사 저장소"),
    "health.spool": ("Records waiting in the spool", "스풀에서 대기 중인 기록"),
    "health.redis": ("Redis (shared policy)", "Redis (정책 공유)"),
    "health.policy": ("Active policy", "활성 정책"),
    "health.ready": ("Ready", "준비 상태"),
    "count": ("Count", "건수"),
    "key": ("Value", "값"),
    "total": ("Total", "합계"),
    "none": ("Nothing in this period.", "이 기간에는 없습니다."),
    "audit.title": ("Audit log", "감사 로그"),
    "audit.search": ("Search", "검색"),
    "audit.filters": ("Filters", "필터"),
    "audit.start": ("From (inclusive)", "시작 (포함)"),
    "audit.end": ("Until (exclusive)", "종료 (미포함)"),
    "audit.limit": ("Records per page", "페이지당 기록 수"),
    "audit.order": ("Order", "정렬"),
    "audit.newest": ("Newest first", "최신순"),
    "audit.oldest": ("Oldest first", "오래된순"),
    "audit.any": ("Any", "전체"),
    "audit.results": ("Records", "기록"),
    "audit.more": ("Next page", "다음 페이지"),
    "audit.time": ("Time", "시간"),
    "audit.user": ("User", "사용자"),
    "audit.provider": ("Provider", "AI 제공자"),
    "audit.decision": ("Decision", "결정"),
    "audit.rules": ("Rules", "규칙"),
    "audit.entities": ("Found", "탐지 항목"),
    "audit.detail": ("Detail", "상세"),
    "audit.findings": (
        "Findings (types, places and fingerprints; never the values)",
        "탐지 결과 (유형·위치·지문만, 값은 표시하지 않음)",
    ),
    "audit.location": ("Location", "위치"),
    "audit.fingerprints": ("Fingerprints", "지문"),
    "audit.max_score": ("Score", "점수"),
    "audit.direction": ("Direction", "방향"),
    "audit.evidence": (
        "Sealed evidence kept (opened only with the responder's key)",
        "봉인된 증거 보관됨 (대응 담당자의 키로만 열람)",
    ),
    "audit.export": ("Export", "내보내기"),
    "audit.export_csv": ("CSV for Excel", "엑셀용 CSV"),
    "audit.export_jsonl": ("JSON lines", "JSON Lines"),
    "audit.verify": ("Verify the chain", "체인 무결성 검증"),
    "audit.verify_ok": ("The chain verifies", "체인 검증 성공"),
    "audit.verify_bad": ("The chain does NOT verify", "체인 검증 실패"),
    "audit.checked": ("records checked", "건 검사"),
    "audit.problems": ("Problems", "문제"),
    "audit.warnings": ("Warnings", "경고"),
    "audit.empty": ("No record matches.", "일치하는 기록이 없습니다."),
    "crosstab.title": ("Cross-tab", "교차 집계"),
    "crosstab.rows": ("Rows", "행"),
    "crosstab.cols": ("Columns", "열"),
    "crosstab.count": ("Count", "집계"),
    "policies.title": ("Policies", "정책"),
    "policies.active": ("Active version", "활성 버전"),
    "policies.versions": ("Stored versions", "저장된 버전"),
    "policies.history": ("Activation history", "활성화 이력"),
    "policies.version": ("Version", "버전"),
    "policies.name": ("Name", "이름"),
    "policies.rules": ("Rules", "규칙 수"),
    "policies.uploaded_by": ("Proposed by", "제안자"),
    "policies.uploaded_at": ("Proposed at", "제안 시각"),
    "policies.by": ("By", "수행자"),
    "policies.at": ("At", "시각"),
    "policies.action": ("Action", "작업"),
    "policies.from": ("From", "이전"),
    "policies.to": ("To", "이후"),
    "policies.view": ("View", "보기"),
    "policies.editor": ("Propose a policy", "정책 제안"),
    "policies.yaml": ("Policy YAML", "정책 YAML"),
    "policies.validate": ("Validate and run its tests", "검증 및 테스트 실행"),
    "policies.dry_run": ("Dry run against the last 7 days", "최근 7일 기록으로 시험 실행"),
    "policies.propose": ("Propose (store as a candidate)", "제안 (후보로 저장)"),
    "policies.valid": (
        "Valid: it compiles and its own tests pass.",
        "유효함: 컴파일되고 정책 자체 테스트를 통과했습니다.",
    ),
    "policies.invalid": ("Not valid", "유효하지 않음"),
    "policies.live": ("Checked as you type", "입력하는 동안 검사"),
    "policies.live_ok": (
        "No schema or YAML errors (its tests run when you validate).",
        "스키마·YAML 오류 없음 (테스트는 검증할 때 실행됩니다).",
    ),
    "policies.live_problems": ("error(s)", "개 오류"),
    "policies.check_paused": (
        "Checking paused: too many checks this minute.",
        "검사 일시 중지: 1분 동안 검사가 너무 많습니다.",
    ),
    "policies.check_refused": (
        "Your role may not check policies.",
        "이 역할은 정책을 검사할 수 없습니다.",
    ),
    "policies.check_failed": ("The check did not answer.", "검사 응답이 없습니다."),
    "policies.line": ("line", "줄"),
    "policies.diff": ("Changes against the active version", "활성 버전 대비 변경 사항"),
    "policies.no_diff": ("No change against the active version.", "활성 버전과 차이가 없습니다."),
    "policies.explain": ("Explain a sample request", "예시 요청 판정 설명"),
    "policies.sketch": (
        "The request, as in a policy test: provider, user, groups and what was found "
        "(entities), as JSON",
        "정책 테스트와 같은 형식의 요청 (JSON): AI 제공자, 사용자, 그룹, 탐지 항목(entities)",
    ),
    "policies.approvals": ("Approvals", "승인"),
    "policies.no_approvals": (
        "No approval by anyone but its author yet.",
        "작성자 외의 승인이 아직 없습니다.",
    ),
    "policies.approve": ("Approve this version", "이 버전 승인"),
    "policies.activate": ("Activate this version", "이 버전 활성화"),
    "policies.rollback": ("Roll back to this version", "이 버전으로 롤백"),
    "policies.rollback_prev": ("Roll back to the previous version", "이전 버전으로 롤백"),
    "done.policy": ("Done", "완료"),
    "done.proposed": (
        "Proposed: an approver can now approve this version.",
        "제안되었습니다. 이제 승인자가 이 버전을 승인할 수 있습니다.",
    ),
    "policies.is_active": ("active", "활성"),
    "policies.dry_run_result": ("Dry run", "시험 실행 결과"),
    "policies.four_eyes": (
        "Four eyes: an activation needs an approval by someone else.",
        "4-eyes: 활성화하려면 작성자가 아닌 다른 사람의 승인이 필요합니다.",
    ),
    "confirm": ("Are you sure?", "계속하시겠습니까?"),
    **PAGE_TEXTS,
    **JOB_TEXTS,
}


def translate(key: str, language: Language) -> str:
    english, korean = TEXTS[key]
    return korean if language == "ko" else english


def negotiate(
    asked: str | None, cookie: str | None, accept_language: str, default: Language
) -> Language:
    """The page's language: the switch, the remembered choice, the browser, the setting."""
    for choice in (asked, cookie):
        if choice in ("ko", "en"):
            return "ko" if choice == "ko" else "en"
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        ranked.append((-weight, index, tag.strip().lower()))
    for negative_weight, _, tag in sorted(ranked):
        primary = tag.split("-")[0]
        if negative_weight < 0 and primary in ("ko", "en"):
            return "ko" if primary == "ko" else "en"
    return default
