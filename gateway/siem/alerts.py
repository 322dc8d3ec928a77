"""Alert rules over the audit stream, posted to a chat webhook (Slack or Teams).

A rule counts the records that match it per key (a user, a source address, a
provider) in a sliding window, and fires when the count reaches its threshold:
"5 blocks with a resident number by one user in 10 minutes", "any secret
found", "any block for jurisdiction". After firing, the same rule and key stay
quiet for a cooldown, so one incident is one message.

Alerting is a sink of the delivery loop: it reads the same ordered stream with
its own cursor, so an alert is at least once and survives a chat outage. A
batch whose message could not be posted is not evaluated twice: the messages
wait, and go first on the next try. Windows live in memory, so a restart starts
them afresh. Messages name the rule, the key, counts, entity types, rule ids and
a request id, never a value.
"""

from __future__ import annotations

import fnmatch
import ssl
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from gateway.audit.phases import is_completion
from gateway.audit.record import AuditRecord
from gateway.settings import AlertRuleSettings
from gateway.siem.sinks import SinkError

__all__ = ["AlertSink", "Fired", "chat_message"]

#: keys tracked per rule; beyond it the least recently seen key is forgotten
MAX_KEYS_PER_RULE = 50_000


def _matches(patterns: list[str] | None, values: list[str]) -> bool:
    if patterns is None:
        return True
    return any(fnmatch.fnmatchcase(v, p) for p in patterns for v in values)


@dataclass(slots=True)
class Fired:
    rule: str
    key: str
    count: int
    window_seconds: float
    last: AuditRecord


@dataclass(slots=True)
class _RuleState:
    settings: AlertRuleSettings
    times: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    quiet_until: dict[str, float] = field(default_factory=dict)

    def wants(self, record: AuditRecord) -> bool:
        rule = self.settings
        if is_completion(record):
            return False  # a forwarded request counts once, by its opening
        return (
            (rule.decisions is None or record.decision in rule.decisions)
            and _matches(rule.entities, list(record.entities))
            and _matches(rule.rules, record.rule_ids)
            and _matches(rule.jurisdictions, [record.jurisdiction or ""])
        )

    def key(self, record: AuditRecord) -> str:
        per = self.settings.per
        if per == "none":
            return "*"
        value = {
            "user": record.user,
            "client_address": record.client_address,
            "provider": record.provider,
        }[per]
        return value or "(unknown)"

    def observe(self, record: AuditRecord) -> Fired | None:
        if not self.wants(record):
            return None
        key = self.key(record)
        window = self.times.pop(key, None) or deque()
        self.times[key] = window  # most recently seen last
        if len(self.times) > MAX_KEYS_PER_RULE:
            forgotten, _ = self.times.popitem(last=False)
            self.quiet_until.pop(forgotten, None)
        window.append(record.time)
        while window and window[0] <= record.time - self.settings.window_seconds:
            window.popleft()
        if len(window) < self.settings.count or record.time < self.quiet_until.get(key, 0.0):
            return None
        self.quiet_until[key] = record.time + self.settings.cooldown_seconds
        fired = Fired(self.settings.name, key, len(window), self.settings.window_seconds, record)
        window.clear()
        return fired


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def chat_message(fired: Fired, chat_format: str) -> dict[str, Any]:
    """Slack's ``{"text"}`` or a Teams MessageCard; facts only, never a value."""
    last = fired.last
    when = datetime.fromtimestamp(last.time, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    facts = {
        "key": fired.key,
        "matching records": f"{fired.count} in {_minutes(fired.window_seconds)}",
        "last decision": last.decision,
        "rules": ", ".join(last.rule_ids) or "-",
        "entity types": ", ".join(sorted(last.entities)) or "-",
        "provider": last.provider or "-",
        "request id": last.request_id,
        "time": when,
    }
    title = f"Haetae alert: {fired.rule}"
    if chat_format == "teams":
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": title,
            "themeColor": "D7263D" if last.decision == "block" else "F2A541",
            "title": title,
            "sections": [{"facts": [{"name": k, "value": v} for k, v in facts.items()]}],
        }
    lines = "\n".join(f"• {name}: {value}" for name, value in facts.items())
    return {"text": f"*{title}*\n{lines}"}


class AlertSink:
    """A delivery sink that evaluates alert rules and posts what fires."""

    name = "alerts"

    def __init__(
        self,
        rules: list[AlertRuleSettings],
        *,
        url: str,
        chat_format: str,
        tls: ssl.SSLContext,
        timeout: float,
    ) -> None:
        self._states = [_RuleState(rule) for rule in rules]
        self._url = url
        self._format = chat_format
        self._client = httpx.AsyncClient(verify=tls, timeout=timeout, trust_env=False)
        self._pending: list[dict[str, Any]] = []
        self._evaluated_to = 0  # the highest seq already counted

    def evaluate(self, records: list[AuditRecord]) -> list[Fired]:
        fired = []
        for record in records:
            if record.seq is not None and record.seq <= self._evaluated_to:
                continue  # a retried batch: counted already, its alerts are pending
            for state in self._states:
                if (hit := state.observe(record)) is not None:
                    fired.append(hit)
            if record.seq is not None:
                self._evaluated_to = record.seq
        return fired

    async def send(self, records: list[AuditRecord]) -> None:
        self._pending += [chat_message(f, self._format) for f in self.evaluate(records)]
        while self._pending:
            try:
                # The webhook URL is a credential: errors name the kind only.
                response = await self._client.post(self._url, json=self._pending[0])
            except httpx.HTTPError as exc:
                raise SinkError(f"alert webhook: {type(exc).__name__}") from None
            if not 200 <= response.status_code < 300:
                raise SinkError(f"alert webhook: HTTP {response.status_code}")
            self._pending.pop(0)

    async def aclose(self) -> None:
        await self._client.aclose()
