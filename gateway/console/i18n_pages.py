"""Korean and English of the keys, who-is-who, health, chart and evidence pages.

Kept apart from ``i18n.py`` only for length; ``TEXTS`` there includes these.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["PAGE_TEXTS"]

#: key -> (English, Korean)
PAGE_TEXTS: Mapping[str, tuple[str, str]] = {
    "nav.keys": ("Keys", "API 키"),
    "nav.who": ("Who is who", "사용자·역할"),
    "keys.title": ("Gateway keys", "게이트웨이 API 키"),
    "keys.intro": (
        "Keys the gateway issued (hk_…). Only a key's id is kept and shown; the key itself "
        "is shown once, when it is issued.",
        "게이트웨이가 발급한 키(hk_…)입니다. 키 자체는 발급할 때 한 번만 보여 주며, "
        "저장·표시되는 것은 키 ID 뿐입니다.",
    ),
    "keys.off": (
        "Gateway keys are off: set identity.api_keys.file (docs/identity.md).",
        "게이트웨이 키가 꺼져 있습니다. identity.api_keys.file 을 설정하세요 (docs/identity.md).",
    ),
    "keys.create": ("Issue a key", "키 발급"),
    "keys.create_button": ("Issue the key", "키 발급하기"),
    "keys.issued": ("Key issued", "키가 발급되었습니다"),
    "keys.shown_once": (
        "Copy it now: it is shown only this once and is not stored anywhere.",
        "지금 복사하세요. 이 키는 이번 한 번만 표시되며 어디에도 저장되지 않습니다.",
    ),
    "keys.secret": ("The key", "발급된 키"),
    "keys.list": ("Issued keys", "발급된 키"),
    "keys.id": ("Key id", "키 ID"),
    "keys.user": ("User", "사용자"),
    "keys.groups": ("Groups", "그룹"),
    "keys.groups_hint": ("comma-separated", "쉼표로 구분"),
    "keys.note": ("Note", "메모"),
    "keys.created": ("Created (UTC)", "발급 (UTC)"),
    "keys.last_used": ("Last used", "마지막 사용"),
    "keys.last_used_hint": (
        "Last used: when this gateway process last accepted the key since it started "
        "(each replica knows its own).",
        "마지막 사용: 이 게이트웨이 프로세스가 시작된 뒤 그 키를 마지막으로 받아들인 "
        "시각입니다 (복제본마다 따로 압니다).",
    ),
    "keys.state": ("State", "상태"),
    "keys.active": ("active", "사용 중"),
    "keys.revoked": ("revoked", "폐기됨"),
    "keys.revoke": ("Revoke", "폐기"),
    "done.key_revoked": (
        "Revoked: the gateway refuses the key within a few seconds.",
        "폐기되었습니다. 몇 초 안에 게이트웨이가 이 키를 거부합니다.",
    ),
    "who.title": ("Who is who", "사용자·역할"),
    "who.sources": ("How callers are identified", "호출자 확인 방법"),
    "who.source": ("Source", "방법"),
    "who.detail": ("Trusts", "신뢰 대상"),
    "who.on": ("on", "켜짐"),
    "who.off": ("off", "꺼짐"),
    "who.source.api_key": ("Gateway key", "게이트웨이 키"),
    "who.source.header": ("Trusted proxy header", "신뢰 프록시 헤더"),
    "who.source.jwt": ("Company token (JWT)", "회사 토큰 (JWT)"),
    "who.source.anonymous": ("Anonymous callers allowed", "익명 호출 허용"),
    "who.per_request": (
        "Users who arrive by header or company token are learnt per request: the audit "
        "log's counts by user show them.",
        "헤더나 회사 토큰으로 들어오는 사용자는 요청마다 확인되므로, 감사 로그의 "
        "사용자별 집계에서 볼 수 있습니다.",
    ),
    "who.users": ("Users with keys", "키가 있는 사용자"),
    "who.groups": ("Groups", "그룹"),
    "who.group": ("Group", "그룹"),
    "who.members": ("Members", "구성원"),
    "who.active_keys": ("Active keys", "사용 중인 키"),
    "who.revoked_keys": ("Revoked keys", "폐기된 키"),
    "who.console": ("Console and admin API roles", "콘솔·관리 API 역할"),
    "who.name": ("Name", "이름"),
    "who.how": ("Signs in with", "로그인 방법"),
    "who.by_token": ("admin token", "관리자 토큰"),
    "who.by_password": ("break-glass password", "비상용 비밀번호"),
    "charts.title": ("Charts", "차트"),
    "charts.over_time": ("Decisions over time", "기간별 결정"),
    "charts.by_rule": ("Requests by rule", "규칙별 요청"),
    "charts.by_entity": ("Requests by entity type found", "탐지 유형별 요청"),
    "charts.per": ("Column per", "막대 단위"),
    "charts.per.day": ("day", "일"),
    "charts.per.hour": ("hour", "시간"),
    "charts.draw": ("Draw", "그리기"),
    "charts.to_search": ("Search these records", "이 조건으로 기록 검색"),
    "charts.for_search": ("Charts of this search", "이 검색의 차트"),
    "charts.table": ("The numbers as a table", "표로 보기"),
    "charts.time_desc": ("Stacked columns of decisions from", "결정별 누적 막대, 기간"),
    "charts.most": ("largest column", "최대 막대"),
    "charts.bars_desc": ("Bars, largest first; the largest is", "큰 순서의 막대, 가장 큰 항목"),
    "replicas.title": ("Every replica", "모든 복제본"),
    "replicas.replica": ("Replica (host:process)", "복제본 (호스트:프로세스)"),
    "replicas.seen": ("Last report", "마지막 보고"),
    "replicas.seconds_ago": ("s ago", "초 전"),
    "replicas.started": ("Started", "시작"),
    "replicas.alone": (
        "Only the process that answered is shown: without Redis (rollout.redis_url) replicas "
        "do not publish their health, so other processes, if any, cannot be seen from here.",
        "응답한 프로세스만 표시합니다. Redis(rollout.redis_url)가 없으면 복제본이 상태를 "
        "공유하지 않으므로, 다른 프로세스가 있더라도 여기서는 볼 수 없습니다.",
    ),
    "replicas.unreadable": (
        "The other replicas' reports could not be read",
        "다른 복제본의 보고를 읽을 수 없습니다",
    ),
    "replicas.mixed": (
        "The replicas do not all serve the same policy version (a rollout in progress, or "
        "one replica cannot reach the store).",
        "복제본들이 같은 정책 버전을 쓰고 있지 않습니다 (배포 진행 중이거나 저장소에 "
        "연결하지 못하는 복제본이 있습니다).",
    ),
}
