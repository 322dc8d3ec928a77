"""What the fake upstream reads from a request: its text, and the last user turn.

Per dialect, the prompt a reply echoes; and all of a request's text, so that
the usage numbers it reports grow with the whole request.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]


_NOT_TEXT_KEYS = frozenset({"role", "type", "id", "mime_type", "mimeType"})


def all_text(value: Any) -> str:
    """Every string leaf of a JSON value, so input usage grows with the whole request."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(all_text(v) for k, v in value.items() if k not in _NOT_TEXT_KEYS)
    if isinstance(value, list):
        return " ".join(all_text(v) for v in value)
    return ""


def echo(prompt: str) -> str:
    """The reply: lets a test see through the client what the upstream received."""
    return "echo: " + prompt


# --- prompts: the text of the last user turn, per dialect -------------------------------------


def _parts_text(content: Any, kinds: tuple[str, ...]) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = [
        p["text"]
        for p in content
        if isinstance(p, dict) and p.get("type") in kinds and isinstance(p.get("text"), str)
    ]
    return "\n".join(texts)


def _last_user(items: Any, roles: tuple[str | None, ...]) -> dict[str, Any] | None:
    if not isinstance(items, list):
        return None
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") in roles:
            return item
    return None


def chat_prompt(body: JSON) -> str:
    """OpenAI Chat Completions (and compatible APIs): last ``role: user`` message."""
    msg = _last_user(body.get("messages"), ("user",))
    return "" if msg is None else _parts_text(msg.get("content"), ("text",))


def responses_prompt(body: JSON) -> str:
    """OpenAI Responses: ``input`` string, or the last user message item."""
    value = body.get("input")
    if isinstance(value, str):
        return value
    msg = _last_user(value, ("user",))
    return "" if msg is None else _parts_text(msg.get("content"), ("input_text", "text"))


def anthropic_prompt(body: JSON) -> str:
    """Anthropic Messages: text blocks of the last user message."""
    msg = _last_user(body.get("messages"), ("user",))
    return "" if msg is None else _parts_text(msg.get("content"), ("text",))


def gemini_prompt(body: JSON) -> str:
    """Gemini: text parts of the last content whose role is ``user`` or unset."""
    contents = body.get("contents")
    if isinstance(contents, dict):
        contents = [contents]
    item = _last_user(contents, ("user", None))
    if item is None or not isinstance(item.get("parts"), list):
        return ""
    texts = [p["text"] for p in item["parts"] if isinstance(p, dict) and "text" in p]
    return "\n".join(t for t in texts if isinstance(t, str))
