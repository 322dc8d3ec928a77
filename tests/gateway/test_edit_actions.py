"""Pseudonymize, mask and hash through the gateway, and restoration in the answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from gateway.app import build_app
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.settings import load_settings
from tests.support.stack import gateway_stack
from tests.support.values import EMAIL, RRN

POLICY = """
policy: edits
rules:
  - {id: pseudo-mail, when: {entities: [EMAIL_ADDRESS]}, action: pseudonymize}
  - {id: mask-cards, when: {entities: [CREDIT_CARD]}, action: mask}
  - {id: hash-rrn, when: {entities: [KR_RRN]}, action: hash}
"""
PLACEHOLDER = re.compile(r"\[\[EMAIL_ADDRESS_[0-9a-f]{10}\]\]")
KEY = "k" * 32


class EditStack:
    def __init__(self, gateway: ServerThread, fake: FakeUpstream) -> None:
        self.gateway, self.fake = gateway, fake

    def openai(self) -> openai.OpenAI:
        return openai.OpenAI(api_key="sk-t", base_url=self.gateway.url("/openai/v1"), max_retries=0)


@pytest.fixture(scope="module")
def edits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EditStack]:
    folder = tmp_path_factory.mktemp("edits")
    with gateway_stack(folder, policy_text=POLICY, environ={"HAETAE_PSEUDONYM_KEY": KEY}) as stack:
        yield EditStack(stack.server, stack.fake)


@pytest.fixture(autouse=True)
def _reset(edits: EditStack) -> None:
    edits.fake.reset()


def test_pseudonyms_leave_and_the_answer_gets_the_value_back(edits: EditStack) -> None:
    prompt = f"Reply to {EMAIL} and cc {EMAIL}"
    completion = edits.openai().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": prompt}]
    )
    sent = edits.fake.received[0].json()["messages"][0]["content"]
    assert EMAIL not in sent
    tags = PLACEHOLDER.findall(sent)
    assert len(tags) == 2 and tags[0] == tags[1]  # one value, one stable placeholder
    assert completion.choices[0].message.content == f"echo: {prompt}"


def test_pseudonyms_are_stable_across_requests(edits: EditStack) -> None:
    client = edits.openai()
    for _ in range(2):
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"to {EMAIL}"}]
        )
    first, second = (r.json()["messages"][0]["content"] for r in edits.fake.received)
    assert first == second


def test_streamed_answers_are_restored(edits: EditStack) -> None:
    stream = edits.openai().chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"mail {EMAIL} today please"}],
        stream=True,
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == f"echo: mail {EMAIL} today please"


def test_anthropic_stream_and_gemini_answers_are_restored(edits: EditStack) -> None:
    claude = anthropic.Anthropic(
        api_key="sk-ant-t", base_url=edits.gateway.url("/anthropic"), max_retries=0
    )
    with claude.messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=50,
        messages=[{"role": "user", "content": f"write to {EMAIL} now"}],
    ) as stream:
        assert "".join(stream.text_stream) == f"echo: write to {EMAIL} now"
    gemini = genai.Client(
        api_key="g", http_options=types.HttpOptions(base_url=edits.gateway.url("/gemini"))
    )
    answer = gemini.models.generate_content(model="gemini-2.5-flash", contents=f"ask {EMAIL}")
    assert answer.text == f"echo: ask {EMAIL}"


def test_a_large_whole_answer_is_restored_too(edits: EditStack) -> None:
    """Over ``RESTORE_INLINE_BYTES`` the answer is restored on a thread: the same result."""
    from gateway.forward import RESTORE_INLINE_BYTES

    filler = "분기 보고서 " * (RESTORE_INLINE_BYTES // 10)
    prompt = f"mail {EMAIL} {filler} and {EMAIL}"
    completion = edits.openai().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": prompt}]
    )
    sent = edits.fake.received[0].json()["messages"][0]["content"]
    assert EMAIL not in sent and len(sent.encode()) > RESTORE_INLINE_BYTES
    assert completion.choices[0].message.content == f"echo: {prompt}"


def test_only_this_requests_placeholders_are_restored(edits: EditStack) -> None:
    foreign = "[[EMAIL_ADDRESS_0123456789]]"
    completion = edits.openai().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": f"what is {foreign}?"}]
    )
    assert completion.choices[0].message.content == f"echo: what is {foreign}?"


def test_cards_are_masked_and_resident_numbers_hashed(edits: EditStack) -> None:
    edits.openai().chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"card 4111-1111-1111-1111, rrn {RRN}, {RRN}"}],
    )
    sent = edits.fake.received[0].json()["messages"][0]["content"]
    assert "****-****-****-1111" in sent
    tags = re.findall(r"<KR_RRN:[0-9a-f]{8}>", sent)
    assert len(tags) == 2 and tags[0] == tags[1]
    assert RRN not in sent


def test_without_a_configured_key_start_up_warns_and_still_protects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    settings = load_settings(
        environ={}, overrides={"policy": str(policy), "audit.url": f"sqlite:///{tmp_path}/a.db"}
    )
    build_app(settings, environ={})
    assert "no pseudonym key configured" in caplog.text


SPLIT = {"x-fake-chunks": "30"}  # more chunks than words: placeholders span several events


def test_placeholders_split_across_stream_events_are_restored(edits: EditStack) -> None:
    client = edits.openai()
    prompt = f"mail {EMAIL} today"
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        extra_headers=SPLIT,
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert len(pieces) >= 25
    assert "".join(pieces) == f"echo: {prompt}"
    with client.responses.stream(model="gpt-4o", input=prompt, extra_headers=SPLIT) as events:
        deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == f"echo: {prompt}"


def test_anthropic_and_gemini_streams_split_mid_placeholder_are_restored(
    edits: EditStack,
) -> None:
    prompt = f"write to {EMAIL} now"
    claude = anthropic.Anthropic(
        api_key="sk-ant-t", base_url=edits.gateway.url("/anthropic"), max_retries=0
    )
    with claude.messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=50,
        messages=[{"role": "user", "content": prompt}],
        extra_headers=SPLIT,
    ) as stream:
        assert "".join(stream.text_stream) == f"echo: {prompt}"
    gemini = genai.Client(
        api_key="g",
        http_options=types.HttpOptions(base_url=edits.gateway.url("/gemini"), headers=SPLIT),
    )
    chunks = gemini.models.generate_content_stream(model="gemini-2.5-flash", contents=prompt)
    assert "".join(c.text or "" for c in chunks) == f"echo: {prompt}"
