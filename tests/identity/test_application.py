"""Client application names from the configured header or the User-Agent."""

from __future__ import annotations

import pytest

from gateway.labels import application_name


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("OpenAI/Python 1.52.0", "openai-python"),
        ("AsyncOpenAI/Python 1.52.0", "openai-python"),
        ("AzureOpenAI/Python 1.52.0", "openai-python"),
        ("OpenAI/JS 4.67.0", "openai-node"),
        ("Anthropic/Python 0.40.0", "anthropic-python"),
        ("AsyncAnthropic/Python 0.40.0", "anthropic-python"),
        ("google-genai-sdk/1.2.0 gl-python/3.12.1", "google-genai-python"),
        ("curl/8.5.0", "curl"),
        ("python-httpx/0.28.1", "python-httpx"),
        ("Mozilla/5.0 (X11; Linux x86_64)", "mozilla"),
        ("", None),
        ("\x00\x01", None),
    ],
)
def test_user_agent_products(agent, expected) -> None:
    assert application_name(None, agent.encode("latin-1")) == expected


def test_the_configured_header_wins_and_is_made_safe() -> None:
    assert application_name(b"Cursor", b"OpenAI/Python 1.0") == "cursor"
    assert application_name(b"my tool; rm -rf", None) == "my"
    assert application_name(b"x" * 100, None) == "x" * 64
    assert application_name(None, None) is None
