"""Hostile input costs the attacker, not everyone else (issue 10 §5).

Each crafted input of the issue is sent to a real gateway: the attacker gets a clear
refusal in the provider's format (or the right answer), nothing reaches the provider
unscanned, and a well-behaved request sent meanwhile completes. Deadlines are generous
(seconds, where the attacks used to hold every request for seconds to minutes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.dev.bench.attacks import azure, markings, nested
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.providers.catalog import load_catalog
from gateway.providers.endpoints import resolve_endpoint
from gateway.settings import load_settings
from gateway.uninspectable import json_depth, prescreen

ROOT = Path(__file__).resolve().parents[2]
CHAT = "/openai/v1/chat/completions"
POLICY = ROOT / "policies" / "korea-public-sector.yaml"


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerThread, FakeUpstream]]:
    """A gateway with small limits, so that each one is reached by a small request."""
    from gateway.app import build_app

    folder = tmp_path_factory.mktemp("hostile")
    policy = folder / "policy.yaml"
    policy.write_text(
        "policy: hostile-input\ndefault_language: en\nrules:\n"
        "  - {id: markings, when: {entities: [CONFIDENTIAL_MARKER]}, action: block}\n"
        "  - {id: secrets, when: {entities: [SECRET_AZURE_CONNECTION_STRING]}, action: block}\n"
        "  - {id: rrn, when: {entities: [KR_RRN]}, action: block}\n"
    )
    fake = FakeUpstream()
    with ServerThread(fake) as upstream:
        overrides = {f"providers.{pid}.base_url": upstream.base_url for pid in load_catalog()}
        overrides |= {
            "policy": str(policy),
            "audit.url": f"sqlite:///{folder / 'audit.db'}",
            "limits.max_segments": 1_000,
            "limits.max_json_values": 5_000,
            "limits.max_json_depth": 64,
            "detection.max_scan_chars": 300_000,
        }
        app = build_app(load_settings(environ={}, overrides=overrides), environ={})
        with ServerThread(app, lifespan="on") as gateway:
            yield gateway, fake


def _post(gateway: ServerThread, body: bytes, path: str = CHAT, **headers: str) -> httpx.Response:
    return httpx.post(gateway.url(path), content=body, headers=headers, timeout=60)


def _chat(content: object) -> bytes:
    return orjson.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": content}]})


def test_deeply_nested_body_is_a_400_not_a_recursion_error(hostile) -> None:
    gateway, fake = hostile
    fake.reset()
    response = _post(gateway, nested(0))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "uninspectable_content"
    assert "nested more than 64 levels" in error["message"]
    assert fake.received == []


def test_deeply_nested_body_is_refused_in_anthropic_format_and_korean(hostile) -> None:
    gateway, fake = hostile
    fake.reset()
    deep = b'{"a":' * 200 + b'"x"' + b"}" * 200
    body = (
        b'{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user",'
        b'"content":"hi"}],"metadata":' + deep + b"}"
    )
    response = _post(gateway, body, "/anthropic/v1/messages", **{"accept-language": "ko"})
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert "중첩" in response.json()["error"]["message"]
    assert fake.received == []


def test_too_many_content_parts_are_refused_as_uninspectable(hostile) -> None:
    gateway, fake = hostile
    fake.reset()
    response = _post(gateway, _chat([{"type": "text", "text": "a"}] * 1_500))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "uninspectable_content"
    assert "limits.max_segments" in response.json()["error"]["message"]
    assert fake.received == []


def test_too_many_json_values_are_refused_before_parsing(hostile) -> None:
    gateway, fake = hostile
    fake.reset()
    response = _post(gateway, _chat([{"type": "text", "text": "a"}] * 2_000))
    assert response.status_code == 413
    assert "limits.max_json_values" in response.json()["error"]["message"]
    assert fake.received == []


def test_text_over_the_scan_budget_is_refused_never_forwarded(hostile) -> None:
    gateway, fake = hostile
    fake.reset()
    response = _post(gateway, _chat("12 34 " * 60_000), **{"accept-language": "ko"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "uninspectable_content"
    assert "detection.max_scan_chars" in response.json()["error"]["message"]
    assert fake.received == []


def test_crafted_inputs_get_the_right_answer(hostile) -> None:
    gateway, fake = hostile
    fake.reset()
    assert _post(gateway, markings(0)).status_code == 403  # a marking, blocked
    assert _post(gateway, azure(0)).status_code == 200  # no key in it: nothing to block
    assert len(fake.received) == 1


@pytest.mark.slow
def test_other_clients_are_served_while_attackers_send_crafted_input(hostile) -> None:
    """Two attackers loop on crafted input; a small request meanwhile still takes < 2 s."""
    gateway, _ = hostile
    stop = threading.Event()
    attacks = [markings(0), azure(0), _chat("대외비 " * 20_000), _chat("12 34 " * 40_000)]

    def attack(bodies: list[bytes]) -> None:
        with httpx.Client(timeout=120) as client:
            while not stop.is_set():
                for body in bodies:
                    client.post(gateway.url(CHAT), content=body)

    threads = [threading.Thread(target=attack, args=(attacks[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        slowest = 0.0
        with httpx.Client(timeout=60) as client:
            for _ in range(20):
                began = time.monotonic()
                response = client.post(gateway.url(CHAT), content=_chat("hello there"))
                slowest = max(slowest, time.monotonic() - began)
                assert response.status_code == 200
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert slowest < 2.0


@pytest.mark.slow
@contextmanager
def _default_gateway(
    tmp_path: Path, settings: dict[str, object], workers: bool = False
) -> Iterator[tuple[ServerThread, FakeUpstream]]:
    """A gateway with the default policy and ``settings``; ``workers``: scan workers started."""
    from gateway.app import build_app

    fake = FakeUpstream()
    with ServerThread(fake) as upstream:
        overrides = {f"providers.{pid}.base_url": upstream.base_url for pid in load_catalog()}
        overrides |= {
            "policy": str(ROOT / "policies" / "default.yaml"),
            "audit.url": f"sqlite:///{tmp_path / 'audit.db'}",
            **settings,
        }
        app = build_app(load_settings(environ={}, overrides=overrides), environ={})
        if workers:
            app.start_scan_workers()
        with ServerThread(app, lifespan="on") as gateway:
            yield gateway, fake


def test_a_scan_past_its_deadline_is_refused(tmp_path: Path) -> None:
    settings = {
        "detection.offload_threshold_chars": 1_000,
        "detection.scan_timeout_seconds": 0.001,
    }
    with _default_gateway(tmp_path, settings) as (gateway, fake):
        response = _post(gateway, _chat("010-1234-5678 " * 20_000))
        small = _post(gateway, _chat("hello"))
    assert response.status_code == 413
    assert "detection.scan_timeout_seconds" in response.json()["error"]["message"]
    assert small.status_code == 200
    assert len(fake.received) == 1


@pytest.mark.parametrize(
    ("document", "depth"),
    [("x", 0), ({}, 1), ([], 1), ({"a": [1, {"b": []}]}, 4), ([[[[[]]]]], 5)],
)
def test_json_depth(document: object, depth: int) -> None:
    assert json_depth(document, 100) == depth


def test_json_depth_stops_early_and_never_recurses() -> None:
    deep: object = "x"
    for _ in range(100_000):
        deep = [deep]
    assert json_depth(deep, 64) == 65


def test_a_joined_view_past_the_scan_budget_is_refused_never_forwarded(hostile) -> None:
    # Each part is under the budget's share, but every boundary meets digit to digit, so
    # the joined view (values split across places) would push the scan past the budget.
    gateway, fake = hostile
    fake.reset()
    part = "12345 " + "a" * 290 + " 56789"
    response = _post(gateway, _chat([{"type": "text", "text": part}] * 900))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "uninspectable_content"
    assert "one text field" in response.json()["error"]["message"]
    assert fake.received == []


def test_a_joined_view_past_half_the_request_is_refused_never_forwarded(hostile) -> None:
    # well under the scan budget, but 400 parts meeting digit to digit would make the
    # joined view several times the request: refused, not read in part
    gateway, fake = hostile
    fake.reset()
    parts = [{"type": "text", "text": f"{n:06d}"} for n in range(400)]
    response = _post(gateway, _chat(parts))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "uninspectable_content"
    assert fake.received == []


@pytest.mark.parametrize(
    ("body", "broken"),
    [
        (_chat("hello " * 100), None),  # within every limit: parsed by the gateway itself
        (_chat("12 34 " * 60_000), "scan"),
        (_chat([{"type": "text", "text": "a"}] * 1_200), "segments"),
        (b'{"model":"m","messages":[' + b"1," * 6_000 + b"1]}", "values"),
        (nested(0), "depth"),
        (_chat([{"type": "text", "text": f"{n:06d}"} for n in range(400)]), "split"),
        (b"not json", None),  # the gateway parses it and answers with the exact error
        (b"[]", None),
    ],
)
def test_a_large_body_is_prescreened_against_every_limit(body: bytes, broken: str | None) -> None:
    dialect = resolve_endpoint("openai", "POST", "/v1/chat/completions").dialect
    assert prescreen(body, dialect, (5_000, 64, 1_000, 300_000)) == broken


@pytest.mark.slow
def test_scan_workers_scan_and_prescreen_through_the_gateway(tmp_path: Path) -> None:
    """With a scan worker warm: a large prompt is scanned there (and blocked or forwarded as
    in-process), and a 2 MB body over the scan budget is refused before the gateway parses
    it; /readyz names the worker's state."""
    settings = {"detection.scan_processes": 1, "detection.max_scan_chars": 300_000}
    with _default_gateway(tmp_path, settings, workers=True) as (gateway, fake):
        deadline = time.monotonic() + 120  # the forkserver imports the engine first
        while httpx.get(gateway.url("/readyz")).json()["scan_workers"] == "starting":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert httpx.get(gateway.url("/readyz")).json()["scan_workers"] == "ready"
        prose = "The quarterly plan covers hiring, budget and the launch. " * 80
        leaked = _post(gateway, _chat(prose + " 주민번호 900101-1234568"))
        clean = _post(gateway, _chat(prose))
        huge = _post(gateway, _chat("12 34 " * 350_000))
    assert leaked.status_code == 403
    assert clean.status_code == 200
    assert huge.status_code == 413
    assert "detection.max_scan_chars" in huge.json()["error"]["message"]
    assert len(fake.received) == 1
