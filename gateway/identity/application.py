"""Which client application is calling: a configured header, else the User-Agent.

The official SDKs name themselves in the User-Agent (``OpenAI/Python 1.52.0``,
``AsyncAnthropic/Python 0.40.0``, ``google-genai-sdk/1.0 gl-python/3.12``);
those become stable names a policy can match (``openai-python``,
``anthropic-python``, ``google-genai-python``). Any other agent is named by its
first product token, lower-cased (``curl``, ``python-httpx``).
"""

from __future__ import annotations

import re

__all__ = ["application_name"]

_MAX = 64
_LANGUAGES = {"python": "python", "js": "node", "node": "node", "go": "go", "java": "java"}
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_SDK = re.compile(r"(?:Async)?(?:Azure)?(OpenAI|Anthropic)/(\w+)")


def application_name(client_header: bytes | None, user_agent: bytes | None) -> str | None:
    """A short, safe name: letters, digits and ``._+-``, at most 64 characters."""
    if client_header:
        return _clean(client_header.decode("latin-1"))
    if not user_agent:
        return None
    agent = user_agent.decode("latin-1").strip()
    sdk = _SDK.match(agent)
    if sdk:
        vendor, language = sdk.group(1).lower(), sdk.group(2).lower()
        return f"{vendor}-{_LANGUAGES.get(language, language)}"
    if agent.startswith("google-genai-sdk/"):
        language = re.search(r"\bgl-(\w+)/", agent)
        return "google-genai-" + (language.group(1).lower() if language else "sdk")
    return _clean(agent.split("/", 1)[0])


def _clean(value: str) -> str | None:
    token = _TOKEN.match(value.strip())
    return token.group(0)[:_MAX].lower() if token else None
