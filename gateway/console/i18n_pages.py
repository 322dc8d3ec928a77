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
    "nav.evidence": ("Evidence", "증거"),
    "evidence.title": ("Sealed evidence", "봉인된 증거"),
    "evidence.intro": (
        "The matched values of records, sealed to the incident responders' public key. "
        "The gateway cannot open them; you open them here with the private key, in this "
        "browser.",
        "기록의 탐지 값이 사고 대응 담당자의 공개키로 봉인되어 있습니다. 게이트웨이는 "
        "열 수 없으며, 이 브라우저에서 개인키로 엽니다.",
    ),
    "evidence.off": (
        "Sealed evidence is off on this gateway (audit.evidence_public_key_file): only older "
        "records may carry some.",
        "이 게이트웨이는 증거 봉인이 꺼져 있습니다 (audit.evidence_public_key_file). "
        "이전 기록에만 있을 수 있습니다.",
    ),
    "evidence.open_h": ("Open with your private key", "개인키로 열기"),
    "evidence.key_stays": (
        "The key stays in this browser: it is in no form, is never sent, and is forgotten "
        "when you leave the page.",
        "개인키는 이 브라우저에만 머뭅니다. 어떤 양식에도 들어가지 않고 전송되지 않으며, "
        "페이지를 떠나면 잊힙니다.",
    ),
    "evidence.key": ("Private key (X25519, PEM)", "개인키 (X25519, PEM)"),
    "evidence.key_file": ("or the key file", "또는 키 파일"),
    "evidence.open": ("Open the evidence on this page", "이 페이지의 증거 열기"),
    "evidence.forget": ("Forget the key and the values", "키와 값 지우기"),
    "evidence.opened": ("Opened / failed", "열림 / 실패"),
    "evidence.failed": ("Cannot open", "열 수 없음"),
    "evidence.unsupported": (
        "This browser has no WebCrypto X25519: use the offline command below.",
        "이 브라우저는 WebCrypto X25519 를 지원하지 않습니다. 아래 오프라인 명령을 쓰세요.",
    ),
    "evidence.noscript": (
        "Opening in the browser needs JavaScript; the offline command below works without.",
        "브라우저에서 열려면 JavaScript 가 필요합니다. 아래 오프라인 명령은 필요 없습니다.",
    ),
    "evidence.items": ("Records with sealed evidence", "봉인된 증거가 있는 기록"),
    "evidence.searched": ("records searched", "건 검색"),
    "evidence.found": ("Found", "탐지"),
    "evidence.values": ("Values", "값"),
    "evidence.still_sealed": ("sealed", "봉인됨"),
    "evidence.sealed_text": ("Sealed text", "봉인된 원문"),
    "evidence.offline": ("Offline", "오프라인"),
    "evidence.offline_text": (
        "Or open them on a machine that holds the key, from the audit store:",
        "또는 개인키가 있는 컴퓨터에서 감사 저장소로부터 직접 엽니다:",
    ),
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
