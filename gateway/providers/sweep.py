"""The rest of a body: every string and number no dialect reads as text, scan-only.

A dialect names the places whose text it can edit (messages, tool arguments,
schemas ...). Everything else it leaves alone: ids, names, tags, settings,
signed provider state, keys of objects it does not know. Each of those reaches
the provider all the same, and an insider can put anything there, so after the
dialect has read a body this walk goes over the whole document once more and
returns every value the dialect did not cover, to be scanned *scan-only*: a
finding counts for the policy, an edit refuses the request (the provider
checks these values, or would behave differently if one were renamed).

Only values that cannot carry data are left out, and they are recognised by
what they are, not by where they sit:

- booleans, nulls and numbers with fewer than ``MIN_NUMBER_DIGITS`` digits
  (``0.7``, ``1024``), unless several stand side by side in an array: a run of
  numbers is scanned as one text (``[900101, -1234568]`` → ``900101 -1234568``),
  so a value split into numbers is still seen;
- strings of the closed vocabulary below (roles, type tags, enum values the
  providers define), compared exactly: ``"user"`` is vocabulary, ``"user "`` or
  ``"AKIA…"`` in the same place is scanned;
- object keys shaped like vocabulary: ASCII letters, ``_``, ``-``, ``.`` or ``$``,
  no digit, at most 40 characters (``tool_call_id``, ``thoughtSignature``); a
  key with a digit or any other character (``900101``, ``대외비``) is scanned.

An object key that is a number and whose value is a number is scanned joined
with it (``{"900101": -1234568}`` → ``900101 -1234568``). Paths the dialect
recorded as binary media, and credentials handed to a third party on purpose
(an MCP server's token), are passed over (``skipped``).

This module knows nothing of ``Segment``: it returns ``(path, text, form)``
triples that ``dialect.py`` turns into segments, so the two stay acyclic.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, Literal

__all__ = [
    "MIN_NUMBER_DIGITS",
    "VOCABULARY",
    "Found",
    "joined_numbers",
    "number_key",
    "number_text",
    "sweep",
]

#: numbers with at least this many digits are scanned (RRNs, card and account numbers);
#: shorter ones are counts, sizes and settings that match nothing a policy acts on
MIN_NUMBER_DIGITS = 6

Path = tuple[str | int, ...]
#: ``fixed``: a value scanned in place but never edited; ``key``: an object key
Found = tuple[Path, str, Literal["fixed", "key"]]

#: values providers define: roles, type tags and enum values. Only an exact match
#: is passed over; this set only saves scan time, it never hides a value
VOCABULARY = frozenset(
    {
        # roles
        "system", "user", "assistant", "tool", "developer", "function", "model",
        # type tags
        "text", "input_text", "output_text", "refusal", "image_url", "input_image",
        "input_audio", "input_file", "file", "image", "audio", "video", "document",
        "message", "function_call", "function_call_output", "custom", "tool_use",
        "tool_result", "thinking", "redacted_thinking", "reasoning", "summary_text",
        "json_object", "json_schema", "object", "string", "integer", "number", "boolean",
        "array", "null", "base64", "url", "ephemeral", "web_search", "web_search_preview",
        "file_search", "code_interpreter", "computer_use_preview", "mcp", "item_reference",
        # enum values
        "auto", "none", "required", "any", "low", "medium", "high", "minimal", "xhigh",
        "default", "flex", "priority", "scale", "standard", "standard_only", "enabled",
        "disabled", "adaptive", "completed", "in_progress", "incomplete", "float",
        "5m", "1h", "json", "wav", "mp3", "pcm16", "flac", "opus", "aac", "detailed",
        "concise", "in-memory", "24h", "application/json", "text/plain", "text/x.enum",
        "reasoning.encrypted_content", "file_search_call.results",
        "message.output_text.logprobs", "message.input_image.image_url",
        "computer_call_output.output.image_url", "code_interpreter_call.outputs",
        "web_search_call.action.sources", "web_search_call.results",
        # media types
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/heic", "image/heif",
        "application/pdf", "audio/wav", "audio/mpeg", "audio/mp3", "audio/ogg",
        "audio/flac", "audio/webm", "video/mp4", "video/webm", "text/html", "text/csv",
        "text/markdown",
        # Gemini enums
        "AUTO", "ANY", "NONE", "VALIDATED", "MODE_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO",
        "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_CIVIC_INTEGRITY", "HARM_CATEGORY_UNSPECIFIED", "BLOCK_NONE",
        "BLOCK_ONLY_HIGH", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_LOW_AND_ABOVE", "OFF",
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED", "SEVERITY", "PROBABILITY",
        "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION",
        "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
        "MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH",
        "PYTHON", "OUTCOME_OK", "OUTCOME_FAILED", "OUTCOME_DEADLINE_EXCEEDED",
    }
)  # fmt: skip

_VOCABULARY_KEY = re.compile(r"[A-Za-z_$][A-Za-z_$.\-]{0,39}")
_NUMBER_KEY = re.compile(r"[-+]?[0-9][0-9 .\-]*")
_MIN_INT = 10 ** (MIN_NUMBER_DIGITS - 1)


def number_text(value: int | float) -> str | None:
    """The decimal text of a number long enough to carry data, else None.

    A fractional float is written as Python writes it, which is the shortest text
    that reads back as the same number (``900101.1234568``).
    """
    if type(value) is int:
        return str(value) if value >= _MIN_INT or value <= -_MIN_INT else None
    text = repr(value)
    digits = sum(char.isdigit() for char in text.partition("e")[0])
    return text if digits >= MIN_NUMBER_DIGITS else None


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def joined_numbers(items: list[Any]) -> list[tuple[int, int, str]]:
    """Runs of two or more adjacent numbers in ``items``: ``(start, end, text)``.

    The run is written with spaces between its numbers, the way a detector reads a
    number written in groups (``900101 -1234568``).
    """
    runs: list[tuple[int, int, str]] = []
    start = None
    for index, item in enumerate((*items, None)):
        if index < len(items) and _is_number(item):
            if start is None:
                start = index
            continue
        if start is not None and index - start >= 2:
            text = " ".join(_plain(number) for number in items[start:index])
            runs.append((start, index, text))
        start = None
    return runs


def _plain(number: int | float) -> str:
    if type(number) is float and number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(number) if type(number) is float else str(number)


def number_key(key: str) -> bool:
    """Whether an object key is itself a number (``"900101"``)."""
    return _NUMBER_KEY.fullmatch(key) is not None


def sweep(
    document: Any,
    covered: Collection[Path],
    covered_keys: Collection[Path],
    skipped: Collection[Path],
) -> list[Found]:
    """Every string, number run and key of ``document`` not yet covered, in order.

    ``covered`` holds the paths of the values the dialect already made segments
    of (a run of numbers is covered by the path of its first item);
    ``covered_keys`` the paths whose key it scanned; ``skipped`` whole subtrees to
    pass over.
    """
    out: list[Found] = []
    _walk(document, (), out, covered, covered_keys, skipped)
    return out


def _walk(
    value: Any,
    path: Path,
    out: list[Found],
    covered: Collection[Path],
    keys: Collection[Path],
    skipped: Collection[Path],
) -> None:
    kind = type(value)
    if kind is str:
        if value and value not in VOCABULARY and path not in covered:
            out.append((path, value, "fixed"))
    elif kind is dict:
        for key, item in value.items():
            where = (*path, key)
            if where in skipped:
                continue
            if key and where not in keys and not _VOCABULARY_KEY.fullmatch(key):
                if _is_number(item) and number_key(key):  # {"900101": -1234568}
                    if where not in covered:
                        out.append((where, f"{key} {_plain(item)}", "fixed"))
                    continue
                out.append((where, key, "key"))
            _walk(item, where, out, covered, keys, skipped)
    elif kind is list:
        in_runs: set[int] = set()
        for start, end, run in joined_numbers(value):
            in_runs.update(range(start, end))
            if (*path, start) not in covered:
                out.append(((*path, start), run, "fixed"))
        for index, item in enumerate(value):
            if index not in in_runs:
                where = (*path, index)
                if where not in skipped:
                    _walk(item, where, out, covered, keys, skipped)
    elif (kind is int or kind is float) and path not in covered:
        text = number_text(value)
        if text is not None:
            out.append((path, text, "fixed"))
