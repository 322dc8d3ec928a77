"""The end-to-end tests' gateway: the default policy in front of a fake provider."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from gateway.dev.testing import FakeUpstream, ServerThread
from tests.gateway.e2e import INJECTED_KEY, READ_TIMEOUT
from tests.support.stack import ROOT, UNREACHABLE, GatewayStack, gateway_stack

__all__ = ["INJECTED_KEY", "READ_TIMEOUT", "ROOT", "UNREACHABLE", "Stack", "custom_gateway"]

Stack = GatewayStack  # the name these tests knew it by


@pytest.fixture(scope="session", params=["aiohttp", "httpx"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayStack]:
    """Every end-to-end test runs once per upstream client."""
    settings = {
        "providers.mistral.base_url": UNREACHABLE,
        "timeouts.read": READ_TIMEOUT,
        "forward.transport": request.param,
        "limits.max_body_bytes": 256 * 1024,
        "detection.offload_threshold_chars": 8192,
        "providers.upstage.credentials.mode": "inject",
        "providers.upstage.credentials.env": "UPSTAGE_KEY_FOR_TESTS",
        "providers.gemini.credentials.mode": "inject",
        "providers.gemini.credentials.env": "GEMINI_KEY_FOR_TESTS",
    }
    keys = {"UPSTAGE_KEY_FOR_TESTS": INJECTED_KEY, "GEMINI_KEY_FOR_TESTS": INJECTED_KEY}
    folder = tmp_path_factory.mktemp("gateway")
    with gateway_stack(folder, settings=settings, environ=keys) as built:
        yield built


@pytest.fixture
def fake(stack: GatewayStack) -> FakeUpstream:
    stack.fake.reset()
    return stack.fake


# The official SDKs pointed at the gateway, without retries (a refusal is final).


@pytest.fixture
def claude(stack: GatewayStack) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test", base_url=stack.url("/anthropic"), max_retries=0
    )


@pytest.fixture
def gpt(stack: GatewayStack) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=stack.url("/openai/v1"), max_retries=0)


@pytest.fixture
def gemini(stack: GatewayStack) -> genai.Client:
    return genai.Client(
        api_key="gemini-test-key",
        http_options=types.HttpOptions(
            base_url=stack.url("/gemini"), retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )


@contextlib.contextmanager
def custom_gateway(
    policy: Path, folder: Path, environ: dict[str, str] | None = None
) -> Iterator[tuple[ServerThread, FakeUpstream]]:
    """A gateway with its own policy in front of its own fake provider.

    Kept for tests written before ``tests.support.stack``; new tests use ``gateway_stack``.
    """
    with gateway_stack(folder, policy=policy, environ=environ) as built:
        yield built.server, built.fake
