"""The words a caller reads: why a request was blocked or warned about, in Korean or English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal
from urllib.parse import quote

from gateway.policy.evaluate import CompiledPolicy, Decision, Judged
from gateway.policy.fact_table import FACTS
from gateway.policy.facts import PolicyInput

__all__ = [
    "Language",
    "choose_language",
    "coach_note",
    "refusal_message",
    "warning_header",
    "warning_message",
]

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
#: the same, for an answer the policy withheld from the caller
_ANSWER_CONTAINS = {
    "en": "the answer contains {entities}, which may not be shown",
    "ko": "답변에 표시가 금지된 정보({entities})가 포함되어 있습니다",
}
_ANSWER_PREFIX = {
    "en": "Answer withheld by Haetae policy '{policy}' (rule {rules}): ",
    "ko": "Haetae 정책 '{policy}'에 의해 답변이 차단되었습니다 (규칙 {rules}): ",
}


_WARNING = {
    "en": "this request was forwarded, but the policy asks you to check what it contains",
    "ko": "요청은 전달되었지만, 정책상 포함된 내용을 확인해야 합니다",
}
_WARNING_PREFIX = {
    "en": "Haetae policy '{policy}' (rule {rules}): ",
    "ko": "Haetae 정책 '{policy}' (규칙 {rules}): ",
}
# Kept readable in the header; everything else (Korean included) is percent-encoded UTF-8.
_HEADER_SAFE = " !\"#$&'()*+,./:;<=>?@[]^_`{|}~-"


def choose_language(accept_language: str | None, default: Language) -> Language:
    """Of ``ko``/``en``, the one the client weighs highest (ties: first listed), else default."""
    if not accept_language:
        return default
    best: Language | None = None
    best_weight = 0.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().lower().partition(";")
        language: Language | None = "ko" if tag.startswith("ko") else None
        if tag.startswith("en"):
            language = "en"
        if language is None:
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        if weight > best_weight:
            best, best_weight = language, weight
    return best or default


#: ``{key}`` in a message → the PolicyInput field of a fact whose value is the catalogs'
_QUOTABLE = {"{" + fact.key + "}": fact.attr for fact in FACTS if fact.quotable}


def _fill(text: str, request: PolicyInput | None) -> str:
    """A message naming catalog facts (``{model.operator}``): never the request's text."""
    if request is None or "{" not in text:
        return text
    for placeholder, attr in _QUOTABLE.items():
        if placeholder in text:
            value = getattr(request, attr)
            shown = ", ".join(value) if isinstance(value, tuple) else str(value or "")
            text = text.replace(placeholder, shown)
    return text


def refusal_message(
    policy: CompiledPolicy,
    decision: Decision,
    entity_counts: Mapping[str, int],
    language: Language,
    request: PolicyInput | None = None,
    direction: Judged = "request",
) -> str:
    """Names the rules and entity types that blocked; never quotes the request.

    ``direction="response"``: the answer was withheld, and the message says so.

    A rule's message may name facts that come from the catalogs, not from the
    request's text (``{provider}``, ``{model.operator}``, ``{model.jurisdiction}``):
    ``request`` supplies them.
    """
    rules = ", ".join(decision.rule_ids)
    reasons: list[str] = []
    for compiled in decision.blocking_rules:
        text = compiled.rule.message.get(language) or compiled.rule.message.get(
            policy.document.default_language
        )
        if text is None:
            found = sorted(e for e in compiled.entities if entity_counts.get(e))
            contains = _ANSWER_CONTAINS if direction == "response" else _CONTAINS
            template = contains[language] if found else _GENERIC[language]
            text = template.format(entities=", ".join(found))
        text = _fill(text, request)
        if text not in reasons:
            reasons.append(text)
    prefixes = _ANSWER_PREFIX if direction == "response" else _PREFIX
    prefix = prefixes[language].format(policy=policy.name, rules=rules)
    return prefix + " / ".join(reasons)


def warning_message(policy: CompiledPolicy, decision: Decision, language: Language) -> str | None:
    """What the enforced ``warn`` rules that matched tell the client, or None."""
    if not decision.warning_rules:
        return None
    reasons: list[str] = []
    for compiled in decision.warning_rules:
        text = compiled.rule.message.get(language) or compiled.rule.message.get(
            policy.document.default_language, _WARNING[language]
        )
        if text not in reasons:
            reasons.append(text)
    rules = ", ".join(rule.id for rule in decision.warning_rules)
    return _WARNING_PREFIX[language].format(policy=policy.name, rules=rules) + " / ".join(reasons)


def coach_note(policy: CompiledPolicy, decision: Decision, language: Language) -> str | None:
    """The coach notes of the rules that edited or warned about this request, or None.

    Only enforced rules that applied: an edit rule whose entity types were found
    (``decision.edits``) or a matching ``warn`` rule. Each note once, in rule order.
    """
    if not decision.edits and not decision.warning_rules:
        return None
    applied = set(decision.rule_ids)
    notes: list[str] = []
    for compiled in policy.rules:
        coach = compiled.rule.coach
        if not coach or compiled.id not in applied:
            continue
        if compiled.rule.action != "warn" and not any(
            e in decision.edits for e in compiled.entities
        ):
            continue
        text = coach.get(language) or coach.get(policy.document.default_language)
        if text is None:
            text = next(iter(coach.values()))
        if text not in notes:
            notes.append(text)
    return " / ".join(notes) or None


def warning_header(message: str) -> bytes:
    """The ``x-haetae-warning`` value: HTTP headers carry ASCII, so the rest is %-encoded."""
    return quote(message, safe=_HEADER_SAFE).encode("ascii")
