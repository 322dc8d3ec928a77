"""Delivery as people run it: `haetae siem deliver --once` from a cron job or a
sidecar, and inside `haetae serve` (siem.deliver_in_gateway)."""

from __future__ import annotations

import asyncio
import contextlib
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import yaml

from gateway.cli import main
from tests.siem.receivers import HttpCollector
from tests.siem.test_delivery import append, make
from tests.support.polling import wait_for
from tests.support.stack import gateway_stack
from tests.support.values import RRN


class _Frames(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while True:
            length = b""
            while (byte := self.rfile.read(1)) not in (b" ", b""):
                length += byte
            if not length:
                return
            self.server.messages.append(self.rfile.read(int(length)))  # type: ignore[attr-defined]


@contextlib.contextmanager
def syslog_collector() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP syslog collector on its own thread (the gateway runs on another)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Frames)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1], server.messages  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_command_delivers_what_is_pending_and_says_how_each_sink_stands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.audit.open import open_audit_store

    store = open_audit_store(f"sqlite:///{tmp_path / 'audit.db'}")
    store.start()
    append(store, range(1, 26))
    store.close()
    collector = HttpCollector()
    monkeypatch.setenv("HAETAE_WEBHOOK_SECRET", "x" * 32)

    async def scenario() -> tuple[int, int]:
        await collector.start()
        config = tmp_path / "haetae.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "audit": {"url": f"sqlite:///{tmp_path / 'audit.db'}"},
                    "siem": {
                        "state_dir": str(tmp_path / "siem"),
                        "sinks": [
                            {"kind": "webhook", "name": "hook", "url": collector.url("/")},
                            {"kind": "syslog", "name": "gone", "address": "127.0.0.1:9"},
                        ],
                    },
                }
            )
        )
        args = ["siem", "deliver", "--once", "--config", str(config)]
        first = await asyncio.to_thread(main, args)
        second = await asyncio.to_thread(main, args)
        await collector.stop()
        return first, second

    first, second = asyncio.run(scenario())
    output = capsys.readouterr().out
    assert first == second == 1  # one sink is unreachable: a cron job should notice
    assert "hook: 25 records sent; up to date" in output
    assert "hook: 0 records sent; up to date" in output  # the second run resent nothing
    assert "gone: 0 records sent; failing (1 attempts)" in output
    delivered = [r for _, body in collector.requests for r in orjson.loads(body)["records"]]
    assert [r["record_id"] for r in delivered] == [make(i).record_id for i in range(1, 26)]


def test_the_gateway_delivers_its_own_decisions_while_serving(tmp_path: Path) -> None:
    with syslog_collector() as (port, messages):
        settings = {
            "siem.deliver_in_gateway": True,
            "siem.poll_seconds": 0.05,
            "siem.state_dir": str(tmp_path / "siem"),
            "siem.sinks": [
                {"kind": "syslog", "name": "soc", "address": f"127.0.0.1:{port}", "format": "cef"}
            ],
        }
        with gateway_stack(tmp_path / "gw", settings=settings) as stack:
            body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": ""}]}
            for text in ("hello", f"my number is {RRN}"):
                body["messages"][0]["content"] = text
                httpx.post(stack.url("/openai/v1/chat/completions"), json=body, timeout=10)
            wait_for(lambda: len(messages) >= 2, timeout=10)
    lines = [message.decode() for message in messages]
    assert any("|haetae:block|" in line and "KR_RRN" in line for line in lines)
    assert any("|haetae:allow|" in line for line in lines)
    assert not any(RRN in line for line in lines)
