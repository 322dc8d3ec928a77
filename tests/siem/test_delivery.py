"""Delivery from a real audit store to real listeners on loopback: in order, at least
once, nothing acknowledged sent twice, nothing lost while a SIEM is down."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from gateway.audit.open import open_audit_store
from gateway.audit.record import AuditRecord
from gateway.audit.sqlstore import SQLAuditStore
from gateway.settings import SiemSettings
from gateway.siem.delivery import Delivery
from gateway.siem.setup import build_delivery
from tests.siem.receivers import HttpCollector, SyslogCollector
from tests.support.redis_server import _certificates

SECRET = "w" * 32


def make(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{i}", time=1_767_225_600.0 + i, request_id=f"req-{i}",
        client_address="10.0.0.1", user=f"user{i % 3}", provider="openai", api="chat",
        model="gpt-4o", method="POST", path="/openai/v1/chat/completions",
        decision="block" if i % 5 == 0 else "allow",
        entities={"KR_RRN": 1} if i % 5 == 0 else {},
    )  # fmt: skip


async def appended(store: SQLAuditStore, numbers: range) -> None:
    for i in numbers:
        store.append(make(i))
    await store.flush()


def append(store: SQLAuditStore, numbers: range) -> None:
    asyncio.run(appended(store, numbers))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLAuditStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = open_audit_store(url)
    opened.start()
    yield opened
    opened.close()


def delivery(store: SQLAuditStore, state: Path, *sinks: dict[str, object]) -> Delivery:
    settings = SiemSettings.model_validate(
        {"sinks": list(sinks), "state_dir": str(state), "batch_size": 40}
    )
    return build_delivery(settings, store, environ={"HAETAE_WEBHOOK_SECRET": SECRET})


def concatenated_json(text: str) -> list[dict[str, object]]:
    """Objects written one after another, as HEC takes them."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


def seqs(messages: list[bytes]) -> list[int]:
    return [orjson.loads(m.partition(b"\xef\xbb\xbf")[2])["seq"] for m in messages]


def test_syslog_gets_every_record_in_order_and_a_restart_resends_nothing(
    store: SQLAuditStore, tmp_path: Path
) -> None:
    append(store, range(1, 101))
    collector = SyslogCollector()

    async def scenario() -> None:
        await collector.start()
        sink = {"kind": "syslog", "name": "soc", "address": f"127.0.0.1:{collector.port}"}
        first = delivery(store, tmp_path / "state", sink)
        await first.start()
        assert await first.deliver_pending() == {"soc": 100}
        await collector.received(100)
        await first.aclose()

        # A restart (a new process, the same state folder) starts where the last stopped.
        await appended(store, range(101, 131))
        second = delivery(store, tmp_path / "state", sink)
        await second.start()
        assert await second.deliver_pending() == {"soc": 30}
        await collector.received(130)
        assert await second.deliver_pending() == {"soc": 0}
        await second.aclose()
        await collector.stop()

    asyncio.run(scenario())
    assert seqs(collector.messages) == list(range(1, 131))


def test_a_syslog_receiver_that_is_down_loses_nothing(store: SQLAuditStore, tmp_path: Path) -> None:
    append(store, range(1, 51))
    collector = SyslogCollector()

    async def scenario() -> None:
        await collector.start()
        port = collector.port
        sink = {"kind": "syslog", "name": "soc", "address": f"127.0.0.1:{port}"}
        run = delivery(store, tmp_path / "state", sink)
        await run.start()
        assert await run.deliver_pending(now=0) == {"soc": 50}
        await collector.received(50)

        await collector.stop()  # the SIEM goes down, and records keep coming
        await appended(store, range(51, 91))
        await asyncio.sleep(0.05)
        assert await run.deliver_pending(now=1) == {"soc": 0}
        (route,) = run.routes
        assert route.failures == 1 and route.cursor.seq == 50
        assert await run.deliver_pending(now=1.5) == {}  # backing off, not hammering

        restarted = SyslogCollector(port=port)
        await restarted.start()
        assert await run.deliver_pending(now=10) == {"soc": 40}
        await restarted.received(40)
        assert seqs(restarted.messages) == list(range(51, 91))
        await run.aclose()
        await restarted.stop()

    asyncio.run(scenario())


def test_syslog_over_tls_verifies_the_receiver_against_the_configured_ca(
    store: SQLAuditStore, tmp_path: Path
) -> None:
    append(store, range(1, 11))
    ca, cert, key = _certificates(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    collector = SyslogCollector(tls=server_tls)

    async def scenario() -> None:
        await collector.start()
        address = f"127.0.0.1:{collector.port}"
        trusting = {"kind": "syslog", "name": "soc-tls", "address": address, "tls": True}
        untrusting = delivery(store, tmp_path / "a", trusting)  # the system's CAs only
        await untrusting.start()
        assert await untrusting.deliver_pending() == {"soc-tls": 0}
        await untrusting.aclose()

        with_ca = delivery(store, tmp_path / "b", {**trusting, "ca_file": str(ca), "format": "cef"})
        await with_ca.start()
        assert await with_ca.deliver_pending() == {"soc-tls": 10}
        await collector.received(10)
        await with_ca.aclose()
        await collector.stop()

    asyncio.run(scenario())
    assert all(b"CEF:0|Haetae|" in message for message in collector.messages)


def test_splunk_hec_gets_batches_with_its_token_and_a_500_is_retried(
    store: SQLAuditStore, tmp_path: Path
) -> None:
    append(store, range(1, 61))
    collector = HttpCollector(status=503)

    async def scenario() -> None:
        await collector.start()
        sink = {
            "kind": "splunk_hec",
            "name": "splunk",
            "url": collector.url("/services/collector/event"),
            "token_env": "TEST_HEC_TOKEN",
            "index": "ai_gateway",
        }
        settings = SiemSettings.model_validate(
            {"sinks": [sink], "state_dir": str(tmp_path), "batch_size": 40}
        )
        token = "11111111-2222-3333-4444-555555555555"
        run = build_delivery(settings, store, environ={"TEST_HEC_TOKEN": token})
        await run.start()
        assert await run.deliver_pending(now=0) == {"splunk": 0}  # Splunk is overloaded
        collector.status = 200
        assert await run.deliver_pending(now=100) == {"splunk": 60}
        await run.aclose()
        await collector.stop()

        (headers, first), (_, second) = collector.requests
        assert headers["Authorization"] == f"Splunk {token}"
        events = concatenated_json((first + second).decode())
        assert [e["event"]["seq"] for e in events] == list(range(1, 61))
        assert {e["index"] for e in events} == {"ai_gateway"}

    asyncio.run(scenario())


def test_a_webhook_gets_signed_batches_of_only_the_decisions_it_asked_for(
    store: SQLAuditStore, tmp_path: Path
) -> None:
    append(store, range(1, 101))  # every fifth is a block
    collector = HttpCollector()

    async def scenario() -> None:
        await collector.start()
        sink = {
            "kind": "webhook",
            "name": "soc-hook",
            "url": collector.url("/haetae"),
            "decisions": ["block"],
        }
        run = delivery(store, tmp_path, sink)
        await run.start()
        assert await run.deliver_pending() == {"soc-hook": 20}
        assert run.routes[0].cursor.seq == 100  # the skipped allows are behind it too
        await run.aclose()
        await collector.stop()

    asyncio.run(scenario())
    delivered = []
    for headers, body in collector.requests:
        mac = hmac.new(
            SECRET.encode(), headers["X-Haetae-Timestamp"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        assert headers["X-Haetae-Signature"] == f"sha256={mac}"
        delivered += orjson.loads(body)["records"]
    assert [r["seq"] for r in delivered] == list(range(5, 101, 5))
    assert {r["decision"] for r in delivered} == {"block"}


def test_delivery_stops_loudly_when_the_store_no_longer_holds_the_last_record_sent(
    tmp_path: Path,
) -> None:
    first = open_audit_store(f"sqlite:///{tmp_path / 'one.db'}")
    first.start()
    append(first, range(1, 21))
    collector = HttpCollector()

    async def scenario() -> str | None:
        await collector.start()
        sink = {"kind": "webhook", "name": "hook", "url": collector.url("/")}
        run = delivery(first, tmp_path / "state", sink)
        await run.start()
        await run.deliver_pending()
        await run.aclose()

        # Another database behind the same settings: its numbering starts over, and
        # its record 20 is not the one the sink received.
        replaced = open_audit_store(f"sqlite:///{tmp_path / 'two.db'}")
        replaced.start()
        await appended(replaced, range(1001, 1031))
        again = delivery(replaced, tmp_path / "state", sink)
        await again.start()
        assert await again.deliver_pending() == {}
        await again.aclose()
        replaced.close()
        await collector.stop()
        return again.routes[0].stopped

    reason = asyncio.run(scenario())
    first.close()
    assert reason is not None and "no longer holds record 20" in reason
    assert sum(len(orjson.loads(body)["records"]) for _, body in collector.requests) == 20
