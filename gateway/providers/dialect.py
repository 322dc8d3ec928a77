"""What every provider dialect provides: segments out, edits in, refusals rendered.

A *dialect* is one wire format (OpenAI Chat Completions, Anthropic Messages,
...). It knows where text lives in a parsed request body, how to write edited
text back to exactly those places, and how the provider spells an error, so that
the official SDKs raise their usual exception when Haetae refuses a request.
Adding a provider format means adding one module that implements ``Dialect``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "Dialect",
    "JSONPath",
    "Segment",
    "UninspectableContent",
    "apply_edits",
    "format_location",
    "walk_strings",
]

JSONPath = tuple[str | int, ...]


class UninspectableContent(ValueError):
    """A body holds content the dialect cannot turn into text (e.g. token ids).

    Raised by ``extract_segments`` so that the request is refused rather than
    forwarded unscanned; the message is shown to the client and must not quote
    the body.
    """


@dataclass(frozen=True, slots=True)
class Segment:
    """One text-bearing position of a request body.

    ``path`` addresses the string inside the parsed JSON (keys and list
    indexes); ``location`` is the same path written for people, e.g.
    ``messages[3].content[0].text``, and is what audit records show.
    """

    path: JSONPath
    text: str

    @property
    def location(self) -> str:
        return format_location(self.path)


class Dialect(Protocol):
    """A provider wire format for one API (chat, messages, embeddings, ...)."""

    #: short API name used by policies and audit records, e.g. ``"chat"``
    api: str

    def extract_segments(self, body: Any) -> list[Segment]:
        """Every text-bearing position of ``body``, in document order."""
        ...

    def model(self, body: Any, path: str) -> str | None:
        """The model the request names (from the body or, for Gemini, the path)."""
        ...

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        """Whether the upstream will answer with a stream of events."""
        ...


def format_location(path: JSONPath) -> str:
    """``("messages", 3, "content")`` → ``messages[3].content``."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(f".{part}" if out else part)
    return "".join(out)


def walk_strings(value: Any, path: JSONPath) -> Iterator[Segment]:
    """Every string inside an arbitrary JSON value (tool arguments, tool results).

    Keys of objects are not yielded: they are schema, and editing them would
    change the meaning of the call rather than its data.
    """
    if isinstance(value, str):
        if value:
            yield Segment(path, value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from walk_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_strings(item, (*path, index))


def apply_edits(body: Any, edits: Mapping[JSONPath, str]) -> None:
    """Write edited strings back into ``body`` in place, touching nothing else."""
    for path, text in edits.items():
        if not path:
            raise ValueError("cannot replace the whole body")
        container = body
        for part in path[:-1]:
            container = container[part]
        container[path[-1]] = text
