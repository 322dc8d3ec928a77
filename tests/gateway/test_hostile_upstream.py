"""A provider that attacks through its answers, met by a real gateway and the official SDKs.

Every answer here is restored (the policy pseudonymizes e-mail addresses and
every prompt carries one), which is where the gateway has to read the stream.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import orjson
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from gateway.app import build_app
from gateway.audit import open_audit_store
from gateway.audit.phases import ended_request
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.dev.testing.hostile_upstream import SPOOFED_HEADERS, HostileUpstream
from gateway.providers.catalog import load_catalog
from gateway.settings import load_settings
from tests.support.polling import wait_for
from tests.support.values import EMAIL

pytestmark = pytest.mark.timeout(60)

POLICY = """
policy: hostile
rules:
  - {id: pseudo-mail, when: {entities: [EMAIL_ADDRESS]}, action: pseudonymize}
"""
MAX_EVENT = 256 * 1024
IDLE = 1.5
READ_TIMEOUT = 2.0
CHAT = "/openai/v1/chat/completions"


@dataclass
class Hostile:
    gateway: ServerThread
    upstream: HostileUpstream
    audit_url: str

    def openai(self) -> openai.OpenAI:
        return openai.OpenAI(api_key="sk-t", base_url=self.gateway.url("/openai/v1"), max_retries=0)

    def model(self, base: str = "gpt-4o") -> str:
        """A model name no other request uses, to find this request's audit record by."""
        self._count += 1
        return f"{base}-t{self._count}"

    def record_for(self, model: str) -> Any:
        def found() -> Any:
            tail = open_audit_store(self.audit_url).tail(50)
            first = next((record for record in tail if record.model == model), None)
            return None if first is None else ended_request(tail, first.request_id)

        return wait_for(found, message=f"no audit record for model {model}")

    def __post_init__(self) -> None:
        self._count = 0


@pytest.fixture(scope="module", params=["aiohttp", "httpx"])
def hostile(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hostile]:
    folder: Path = tmp_path_factory.mktemp("hostile")
    (folder / "policy.yaml").write_text(POLICY)
    upstream = HostileUpstream(FakeUpstream())
    with ServerThread(upstream) as served:
        overrides: dict[str, Any] = {
            f"providers.{pid}.base_url": served.base_url for pid in load_catalog()
        }
        overrides |= {
            "policy": str(folder / "policy.yaml"),
            "audit.url": f"sqlite:///{folder / 'audit.db'}",
            "forward.transport": request.param,
            "forward.max_event_bytes": MAX_EVENT,
            "forward.stream_idle_timeout": IDLE,
            "timeouts.read": READ_TIMEOUT,
        }
        app = build_app(
            load_settings(environ={}, overrides=overrides),
            environ={"HAETAE_PSEUDONYM_KEY": "k" * 32},
        )
        with ServerThread(app, lifespan="on") as gateway:
            yield Hostile(gateway, upstream, f"sqlite:///{folder / 'audit.db'}")


def attack(mode: str, size: int = 4 * 1024 * 1024, **more: str) -> dict[str, str]:
    return {"x-hostile": mode, "x-hostile-bytes": str(size), **more}


def chat_stream(client: openai.OpenAI, headers: dict[str, str], model: str = "gpt-4o") -> str:
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": f"write to {EMAIL}"}],
        stream=True,
        extra_headers=headers,
    )
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


# --- streams that never finish an event --------------------------------------------------------


def test_an_endless_event_ends_in_openais_error_event(hostile: Hostile) -> None:
    model = hostile.model()
    with pytest.raises(openai.APIError) as raised:
        chat_stream(hostile.openai(), attack("endless"), model)
    assert "Haetae stopped the answer of provider 'openai'" in raised.value.message
    assert raised.value.code == "upstream_protocol_error"
    record = hostile.record_for(model)
    assert (record.error, record.status, record.decision) == (
        "upstream_protocol_error",
        200,
        "pseudonymize",
    )


def test_an_endless_event_ends_in_anthropics_error_event(hostile: Hostile) -> None:
    claude = anthropic.Anthropic(
        api_key="sk-ant-t", base_url=hostile.gateway.url("/anthropic"), max_retries=0
    )
    with (
        pytest.raises(anthropic.APIStatusError) as raised,
        claude.messages.stream(
            model=(model := hostile.model("claude-sonnet-4-6")),
            max_tokens=50,
            messages=[{"role": "user", "content": f"write to {EMAIL}"}],
            extra_headers=attack("endless"),
        ) as stream,
    ):
        "".join(stream.text_stream)
    body = raised.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "api_error"
    assert body["error"]["details"]["error_code"] == "upstream_protocol_error"
    assert hostile.record_for(model).error == "upstream_protocol_error"


def test_an_endless_event_ends_in_geminis_error_event(hostile: Hostile) -> None:
    gemini = genai.Client(
        api_key="g", http_options=genai_types.HttpOptions(base_url=hostile.gateway.url("/gemini"))
    )
    with pytest.raises(genai_errors.APIError) as raised:
        for _ in gemini.models.generate_content_stream(
            model=(model := hostile.model("gemini-2.5-flash")),
            contents=f"ask {EMAIL}",
            config=genai_types.GenerateContentConfig(
                http_options=genai_types.HttpOptions(headers=attack("endless"))
            ),
        ):
            pass
    assert raised.value.code == 502 and raised.value.status == "UNAVAILABLE"
    assert "Haetae stopped the answer" in (raised.value.message or "")
    assert hostile.record_for(model).error == "upstream_protocol_error"


def test_a_giant_event_is_cut_at_the_limit_and_a_large_one_under_it_passes(
    hostile: Hostile,
) -> None:
    too_big, big = hostile.model(), hostile.model()
    with pytest.raises(openai.APIError, match="larger than the gateway relays"):
        chat_stream(hostile.openai(), attack("giant", 2 * MAX_EVENT), too_big)
    assert hostile.record_for(too_big).error == "upstream_protocol_error"
    text = chat_stream(hostile.openai(), attack("giant", MAX_EVENT // 2), big)
    assert len(text) == MAX_EVENT // 2  # a big event under the limit arrives whole
    assert hostile.record_for(big).error is None


def test_the_message_is_in_the_callers_language(hostile: Hostile) -> None:
    with pytest.raises(openai.APIError, match="공급자 'openai'의 응답을 중단했습니다"):
        chat_stream(hostile.openai(), attack("endless") | {"accept-language": "ko-KR,ko;q=0.9"})


@pytest.mark.slow  # waits out the idle timeout
def test_a_drip_that_never_finishes_its_event_is_cut_after_the_idle_timeout(
    hostile: Hostile,
) -> None:
    """One byte every 20 ms would never reach the size limit nor the read timeout."""
    model = hostile.model()
    drip = attack("drip", 10_000, **{"x-hostile-interval-ms": "20"})
    with pytest.raises(openai.APIError, match="did not finish it in time"):
        chat_stream(hostile.openai(), drip, model)
    assert hostile.record_for(model).error == "upstream_protocol_error"


@pytest.mark.slow
def test_other_clients_are_served_while_a_hostile_stream_is_open(hostile: Hostile) -> None:
    outcome: list[BaseException | str] = []

    def hostile_client() -> None:
        try:
            outcome.append(
                chat_stream(
                    hostile.openai(), attack("drip", 10_000, **{"x-hostile-interval-ms": "5"})
                )
            )
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    served_before = len(hostile.upstream.served)
    thread = threading.Thread(target=hostile_client)
    thread.start()
    wait_for(lambda: len(hostile.upstream.served) > served_before)
    for _ in range(3):  # well-behaved, restored answers, streamed and not
        assert chat_stream(hostile.openai(), {}) == f"echo: write to {EMAIL}"
        answer = hostile.openai().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"to {EMAIL}"}]
        )
        assert answer.choices[0].message.content == f"echo: to {EMAIL}"
    assert thread.is_alive(), "the hostile stream ended before the other requests were served"
    thread.join(30)
    assert isinstance(outcome[0], openai.APIError)


@pytest.mark.parametrize("prompt", [f"write to {EMAIL}", "nothing to restore"])
@pytest.mark.slow  # waits out the idle timeout
def test_silence_mid_stream_ends_in_an_error_event_restored_or_passed_through(
    hostile: Hostile, prompt: str
) -> None:
    model = hostile.model()
    stream = hostile.openai().chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        extra_headers={
            "x-fake-chunks": "3",
            "x-fake-chunk-delay-ms": str(int(READ_TIMEOUT * 2000)),
        },
    )
    received = []
    with pytest.raises(openai.APIError) as raised:
        for chunk in stream:
            received.append(chunk)
    assert received  # what came before the silence was relayed
    assert raised.value.code == "upstream_timeout"
    record = hostile.record_for(model)
    assert (record.error, record.status) == ("upstream_timeout", 200)


# --- headers ------------------------------------------------------------------------------------


def test_spoofed_gateway_headers_and_unlisted_ones_never_reach_the_client(
    hostile: Hostile,
) -> None:
    response = httpx.post(
        hostile.gateway.url(CHAT),
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": f"to {EMAIL}"}]},
        headers=attack("headers"),
        timeout=10,
    )
    assert response.status_code == 200
    names = [name.decode().lower() for name, _ in response.headers.raw]
    assert names.count("x-haetae-request-id") == 1
    assert response.headers["x-haetae-request-id"] != "spoofed-request-id"
    assert response.headers["x-haetae-decision"] == "pseudonymize"
    assert "x-haetae-warning" not in names and "x-haetae-policy" not in names
    for name, _ in SPOOFED_HEADERS:
        if not name.lower().startswith(b"x-haetae-"):
            assert name.decode().lower() not in names
    assert response.headers["x-request-id"].startswith("req_")  # the SDKs' request id stays
    assert response.json()["choices"][0]["message"]["content"] == f"echo: to {EMAIL}"


# --- non-streamed answers -----------------------------------------------------------------------


def test_a_huge_json_answer_streams_through_restoration_unbuffered(hostile: Hostile) -> None:
    size = 8 * 1024 * 1024
    answer = hostile.openai().chat.completions.create(
        model=(model := hostile.model()),
        messages=[{"role": "user", "content": f"to {EMAIL}"}],
        extra_headers=attack("huge-json", size),
    )
    assert len(answer.choices[0].message.content or "") == size
    assert hostile.record_for(model).error is None


def test_a_compressed_answer_that_was_not_asked_for_is_refused(hostile: Hostile) -> None:
    with pytest.raises(openai.InternalServerError) as raised:
        hostile.openai().chat.completions.create(
            model=(model := hostile.model()),
            messages=[{"role": "user", "content": f"to {EMAIL}"}],
            extra_headers=attack("gzip", 1000),
        )
    assert raised.value.status_code == 502
    assert raised.value.code == "upstream_protocol_error"
    record = hostile.record_for(model)
    assert (record.error, record.status) == ("upstream_protocol_error", 502)


def test_without_pseudonyms_a_compressed_answer_passes_through_untouched(hostile: Hostile) -> None:
    response = httpx.post(
        hostile.gateway.url(CHAT),
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]},
        headers=attack("gzip", 1000),
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert orjson.loads(response.content)["choices"][0]["message"]["content"].startswith("lorem")
