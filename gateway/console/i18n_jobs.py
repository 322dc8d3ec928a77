"""Korean and English of the chain check's job page and the cross-tab's top rows.

Kept apart from ``i18n.py`` only for length; ``TEXTS`` there includes these.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["JOB_TEXTS"]

#: key -> (English, Korean)
JOB_TEXTS: Mapping[str, tuple[str, str]] = {
    "verify.intro": (
        "The check reads every record of the chain, its signed checkpoints and the witness, "
        "as `haetae audit verify` does. It runs in the background on this server: you may "
        "leave this page and come back.",
        "체인의 모든 기록과 서명된 체크포인트, 증인을 `haetae audit verify` 와 같이 "
        "검사합니다. 이 서버에서 백그라운드로 실행되므로 페이지를 떠났다가 다시 와도 됩니다.",
    ),
    "verify.none": (
        "No check has run on this server since it started.",
        "이 서버가 시작된 뒤 실행된 검증이 없습니다.",
    ),
    "verify.start": ("Start the check", "검증 시작"),
    "verify.last": ("The last check", "최근 검증 결과"),
    "verify.again": ("Check again", "다시 검증"),
    "verify.running": ("Checking the chain…", "체인을 검사하는 중…"),
    "verify.progress": ("Records checked", "검사한 기록"),
    "verify.rate": ("records a second", "건/초"),
    "verify.left": ("Time left (estimate)", "남은 시간 (추정)"),
    "verify.elapsed": ("Time taken", "걸린 시간"),
    "verify.started": ("Started", "시작"),
    "verify.finished": ("Finished", "종료"),
    "verify.by": ("by", "실행자"),
    "verify.ok_through": ("OK up to record", "다음 기록까지 이상 없음:"),
    "verify.first_break": ("First break at record", "처음 끊어진 기록:"),
    "verify.failed": (
        "The check could not finish: the audit store could not be read",
        "검증을 끝내지 못했습니다. 감사 저장소를 읽을 수 없습니다",
    ),
    "verify.refreshing": (
        "This page refreshes itself every few seconds while the check runs.",
        "검증이 진행되는 동안 이 페이지는 몇 초마다 새로 고쳐집니다.",
    ),
    "done.verify_started": ("The check started", "검증을 시작했습니다"),
    "done.verify_running": (
        "A check is already running on this server: its progress is below.",
        "이 서버에서 이미 검증이 진행 중입니다. 진행 상황은 아래와 같습니다.",
    ),
    "crosstab.top": ("Rows shown", "표시할 행 수"),
    "crosstab.others": ("Others", "그 밖의 값"),
    "crosstab.more": ("Show more rows", "행 더 보기"),
}
