"""Alert rules over the audit stream: the incidents a SOC asks to be told about,
once each, in a shape Slack and Teams show, with no value in them."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import orjson

from gateway.audit.open import open_audit_store
from gateway.audit.record import AuditRecord
from gateway.settings import AlertRuleSettings, SiemSettings
from gateway.siem.alerts import AlertSink, chat_message
from gateway.siem.setup import build_delivery
from tests.siem.receivers import HttpCollector


def event(
    seq: int,
    at: float,
    *,
    user: str = "kim",
    decision: str = "block",
    entities: dict[str, int] | None = None,
    rules: list[str] | None = None,
    jurisdiction: str | None = "US",
) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{seq}", time=at, request_id=f"req-{seq}", client_address="10.0.0.9",
        user=user, provider="openai", api="chat", model="gpt-4o", method="POST",
        path="/openai/v1/chat/completions", decision=decision,
        entities={"KR_RRN": 1} if entities is None else entities,
        rule_ids=["pipa-resident-number"] if rules is None else rules,
        jurisdiction=jurisdiction, seq=seq,
    )  # fmt: skip


def sink(*rules: AlertRuleSettings) -> AlertSink:
    return AlertSink(
        list(rules),
        url="http://127.0.0.1:9/",
        chat_format="slack",
        tls=ssl.create_default_context(),
        timeout=1,
    )


REPEATED_RRN = AlertRuleSettings(
    name="repeated-rrn", decisions=["block"], entities=["KR_RRN"], count=5, window_seconds=600
)


def test_five_blocks_by_one_user_in_ten_minutes_fire_once_per_cooldown() -> None:
    alerts = sink(REPEATED_RRN)
    start = 1_767_225_600.0
    # four blocks, then a fifth 11 minutes after the first: the window slid past it
    assert alerts.evaluate([event(i, start + i * 60) for i in range(1, 5)]) == []
    assert alerts.evaluate([event(5, start + 660)]) == []
    # another user's blocks do not add up with kim's
    assert alerts.evaluate([event(i, start + 700, user="lee") for i in range(6, 10)]) == []
    (fired,) = alerts.evaluate([event(10, start + 700), event(11, start + 701)])
    assert (fired.rule, fired.key, fired.count) == ("repeated-rrn", "kim", 5)
    # kim keeps going within the cooldown: no second message for the same incident
    assert alerts.evaluate([event(i, start + 720 + i) for i in range(12, 30)]) == []
    # after the cooldown, a new run of five is a new incident
    later = start + 720 + 600 + 1
    (again,) = alerts.evaluate([event(i, later + i) for i in range(30, 35)])
    assert again.key == "kim"


def test_any_secret_and_any_jurisdiction_block_fire_on_the_first_record() -> None:
    alerts = sink(
        AlertRuleSettings(name="secret-found", entities=["SECRET_*"]),
        AlertRuleSettings(name="jurisdiction", decisions=["block"], rules=["no-cn-*"], per="none"),
    )
    fired = alerts.evaluate(
        [
            event(1, 1.0, decision="redact", entities={"EMAIL_ADDRESS": 1}, rules=[]),
            event(2, 2.0, entities={"SECRET_AWS_ACCESS_KEY": 1}, rules=["no-secrets"]),
            event(3, 3.0, entities={}, rules=["no-cn-jurisdiction"], jurisdiction="CN"),
        ]
    )
    assert [(f.rule, f.last.seq) for f in fired] == [("secret-found", 2), ("jurisdiction", 3)]


def test_messages_carry_facts_and_no_value_in_slack_and_teams_shape() -> None:
    (fired,) = sink(AlertRuleSettings(name="secret-found", entities=["SECRET_*"])).evaluate(
        [event(1, 1_767_225_600.0, entities={"SECRET_AWS_ACCESS_KEY": 1}, rules=["no-secrets"])]
    )
    slack = chat_message(fired, "slack")
    assert set(slack) == {"text"}
    for fact in ("secret-found", "kim", "SECRET_AWS_ACCESS_KEY", "no-secrets", "req-1"):
        assert fact in slack["text"]
    teams = chat_message(fired, "teams")
    assert teams["@type"] == "MessageCard" and teams["summary"] == "Haetae alert: secret-found"
    names = {fact["name"] for fact in teams["sections"][0]["facts"]}
    assert {"key", "rules", "entity types", "request id"} <= names


def test_a_chat_outage_delays_alerts_without_losing_or_repeating_them(tmp_path: Path) -> None:
    store = open_audit_store(f"sqlite:///{tmp_path / 'audit.db'}")
    store.start()
    chat = HttpCollector(status=503)

    async def scenario() -> None:
        await chat.start()
        for i in range(1, 11):  # ten blocks with a resident number by kim
            store.append(event(i, 1_767_225_600.0 + i))
        await store.flush()
        settings = SiemSettings.model_validate(
            {
                "state_dir": str(tmp_path / "siem"),
                "alerts": {"rules": [REPEATED_RRN.model_dump()], "format": "slack"},
            }
        )
        run = build_delivery(settings, store, environ={"HAETAE_ALERT_WEBHOOK_URL": chat.url("/")})
        await run.start()
        await run.deliver_pending(now=0)  # fires, but the chat service is down
        assert run.routes[0].cursor.seq == 0 and chat.requests == []
        chat.status = 200
        await run.deliver_pending(now=100)
        await run.deliver_pending(now=200)
        await run.aclose()
        await chat.stop()

    asyncio.run(scenario())
    store.close()
    # Ten matching blocks: one alert at the fifth, then the cooldown. Once, not twice.
    assert len(chat.requests) == 1
    assert "repeated-rrn" in orjson.loads(chat.requests[0][1])["text"]
