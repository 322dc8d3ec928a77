"""A judge for the shipped default policy's answer rules, on the real detector."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.answers.judge import AnswerJudge
from gateway.detect import DetectionEngine
from gateway.detect.actions import RequestEditor
from gateway.detect.transforms import Pseudonymizer
from gateway.exchange import AnswerVerdict
from gateway.policy import CompiledPolicy, PolicyInput, load_policy, parse_policy
from gateway.policy.cases import build_engine

DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
KEY = b"k" * 32

BLOCKING = b"""
policy: block-answers
rules:
  - id: no-rrn-in-answers
    when: { entities: [KR_RRN] }
    direction: response
    action: block
"""


@pytest.fixture(scope="session")
def default_policy() -> CompiledPolicy:
    from gateway.detect import SUPPORTED_ENTITIES

    return load_policy(DEFAULT, SUPPORTED_ENTITIES)


@pytest.fixture(scope="session")
def engine(default_policy: CompiledPolicy) -> DetectionEngine:
    return build_engine(default_policy)


@pytest.fixture
def make_judge(
    default_policy: CompiledPolicy, engine: DetectionEngine
) -> Callable[..., AnswerJudge]:
    def make(blocking: bool = False, max_scan_chars: int = 1 << 20) -> AnswerJudge:
        from gateway.detect import SUPPORTED_ENTITIES

        policy = parse_policy(BLOCKING, SUPPORTED_ENTITIES) if blocking else default_policy
        facts = PolicyInput("openai", "US", None, "chat", "gpt-4o")
        editor = RequestEditor(KEY, Pseudonymizer(KEY))
        verdict = AnswerVerdict()
        return AnswerJudge(engine, policy, facts, editor, "en", verdict, 2_048, max_scan_chars)

    return make
