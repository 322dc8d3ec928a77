"""Which client application is calling: a configured header, else the User-Agent.

The official SDKs name themselves in the User-Agent (``OpenAI/Python 1.52.0``,
``AsyncAnthropic/Python 0.40.0``, ``google-genai-sdk/1.0 gl-python/3.12``);
those become stable names a policy can match (``openai-python``,
``anthropic-python``, ``google-genai-python``). Any other agent is named by its
first product token, lower-cased (``curl``, ``python-httpx``).

The caller chooses both headers, so the name is a label, not a fact: the same
function is applied again to the headers' *scanned* text (``gateway/labels.py``),
where a finding has become ``<ENTITY>``, and a placeholder is kept as it is
(``<KR_RRN>``) so that the record says what the label held, never the value.
"""

from __future__ import annotations

import re

__all__ = ["MAX_APPLICATION", "application_name"]

MAX_APPLICATION = 64
_LANGUAGES = {"python": "python", "js": "node", "node": "node", "go": "go", "java": "java"}
_PLACEHOLDER = r"<[A-Z][A-Z0-9_]*>"
_TOKEN = re.compile(rf"(?:{_PLACEHOLDER}|[A-Za-z0-9])(?:{_PLACEHOLDER}|[A-Za-z0-9._+-])*")
_PLACEHOLDERS = re.compile(rf"({_PLACEHOLDER})")
_SDK = re.compile(r"(?:Async)?(?:Azure)?(OpenAI|Anthropic)/(\w+)")


def application_name(
    client_header: bytes | str | None, user_agent: bytes | str | None
) -> str | None:
    """A short, safe name: letters, digits, ``._+-`` and placeholders, at most 64 characters."""
    if client_header:
        return _clean(_text(client_header))
    if not user_agent:
        return None
    agent = _text(user_agent).strip()
    sdk = _SDK.match(agent)
    if sdk:
        vendor, language = sdk.group(1).lower(), sdk.group(2).lower()
        return f"{vendor}-{_LANGUAGES.get(language, language)}"
    if agent.startswith("google-genai-sdk/"):
        language = re.search(r"\bgl-(\w+)/", agent)
        return "google-genai-" + (language.group(1).lower() if language else "sdk")
    return _clean(agent.split("/", 1)[0])


def _text(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _clean(value: str) -> str | None:
    token = _TOKEN.match(value.strip())
    if not token:
        return None
    # lower-case the name, not the placeholders (they name entity types)
    parts = _PLACEHOLDERS.split(token.group(0))
    name = "".join(part if index % 2 else part.lower() for index, part in enumerate(parts))
    return name[:MAX_APPLICATION]
