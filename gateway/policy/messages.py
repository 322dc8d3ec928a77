"""The words a blocked caller reads: rule ids and reasons, in Korean or English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from gateway.policy.evaluate import CompiledPolicy, Decision

__all__ = ["Language", "choose_language", "refusal_message"]

Language = Literal["en", "ko"]

_GENERIC = {
    "en": "this request is not allowed by policy",
    "ko": "정책상 허용되지 않는 요청입니다",
}
_CONTAINS = {
    "en": "the request contains {entities}, which may not be sent to this service",
    "ko": "요청에 전송이 금지된 정보({entities})가 포함되어 있습니다",
}
_PREFIX = {
    "en": "Blocked by Haetae policy '{policy}' (rule {rules}): ",
    "ko": "Haetae 정책 '{policy}'에 의해 차단되었습니다 (규칙 {rules}): ",
}


def choose_language(accept_language: str | None, default: Language) -> Language:
    """The first of ``ko``/``en`` the client prefers, else the policy's default."""
    if accept_language:
        for part in accept_language.split(","):
            tag = part.split(";", 1)[0].strip().lower()
            if tag.startswith("ko"):
                return "ko"
            if tag.startswith("en"):
                return "en"
    return default


def refusal_message(
    policy: CompiledPolicy,
    decision: Decision,
    entity_counts: Mapping[str, int],
    language: Language,
) -> str:
    """Names the rules and entity types that blocked; never quotes the request."""
    rules = ", ".join(decision.rule_ids)
    reasons: list[str] = []
    for compiled in decision.blocking_rules:
        text = compiled.rule.message.get(language) or compiled.rule.message.get(
            policy.document.default_language
        )
        if text is None:
            found = sorted(e for e in compiled.entities if entity_counts.get(e))
            template = _CONTAINS[language] if found else _GENERIC[language]
            text = template.format(entities=", ".join(found))
        if text not in reasons:
            reasons.append(text)
    prefix = _PREFIX[language].format(policy=policy.name, rules=rules)
    return prefix + " / ".join(reasons)
