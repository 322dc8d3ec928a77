"""Content parts shared by OpenAI's Chat Completions and Responses formats.

Both APIs spell text, refusals, images, audio and files the same way (Chat
nests a file under ``file``, Responses puts it on the part), so one reader
serves both: text is scanned, media are recorded, inline text files are decoded
and scanned, file ids are server references. An unknown part type is refused.
"""

from __future__ import annotations

from typing import Any

from gateway.providers.attachments import attach_data, attach_url
from gateway.providers.dialect import (
    SCHEMA_KEYS,
    Extraction,
    Handler,
    JSONPath,
    UninspectableContent,
    format_location,
    read_text,
)

__all__ = ["read_content", "read_part"]

#: part types that carry their text under ``text``
_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
_TEXT_FIELDS: dict[str, Handler] = {
    "text": read_text,
    "refusal": read_text,
    "annotations": lambda value, path, found: found.free(value, path, SCHEMA_KEYS),
}
#: ``logprobs`` repeat the text token by token; the rest are tags and cache hints
_TEXT_PART_KEYS = frozenset({"type", "logprobs", "cache_control", "prompt_cache_breakpoint"})


def _file(file: Any, path: JSONPath, found: Extraction) -> None:
    """``{file_id | file_data | file_url, filename}``: the name is text, the data a file."""
    found.attach("file")
    if not isinstance(file, dict):
        raise UninspectableContent(f"{format_location(path)} has an unsupported shape")
    if file.get("file_id"):
        found.refer("file_id")
    name = file.get("filename")
    found.text(name, (*path, "filename"))
    attach_data(found, "file", file.get("file_data"), (*path, "file_data"), None, name)
    attach_url(found, "file", file.get("file_url"), (*path, "file_url"))


def _media(kind: Any, part: dict[str, Any], path: JSONPath, found: Extraction) -> bool:
    """Read an attachment part; ``False`` when ``part`` is not one."""
    if kind == "image_url":  # {"image_url": {"url": ..., "detail": ...}} (or a bare URL)
        image = part.get(kind)
        where = (*path, kind)
        if isinstance(image, dict):
            image, where = image.get("url"), (*where, "url")
        attach_url(found, "image", image, where)
    elif kind == "input_image":  # {"image_url": "...", "file_id": ...}
        if part.get("file_id"):
            found.refer("file_id")
        attach_url(found, "image", part.get("image_url"), (*path, "image_url"))
    elif kind == "input_audio":
        audio = part.get(kind)
        if not isinstance(audio, dict):
            raise UninspectableContent(f"{format_location(path)} has an unsupported shape")
        fmt = audio.get("format")
        media_type = f"audio/{fmt}" if isinstance(fmt, str) else None
        attach_data(found, "audio", audio.get("data"), (*path, kind, "data"), media_type)
    elif kind == "file":
        _file(part.get(kind), (*path, kind), found)
    elif kind == "input_file":
        _file(part, path, found)
    elif kind in ("video_url", "video"):  # Qwen-style video: a URL, or frames as a list
        video = part.get(kind)
        found.attach("video")
        if isinstance(video, dict):
            attach_url(found, "video", video.get("url"), (*path, kind, "url"))
        elif isinstance(video, list):
            for index, frame in enumerate(video):
                attach_url(found, "video", frame, (*path, kind, index))
        else:
            attach_url(found, "video", video, (*path, kind))
    else:
        return False
    return True


def read_part(part: Any, path: JSONPath, found: Extraction) -> None:
    """One content part: text, a refusal, or an attachment."""
    if isinstance(part, str):  # some compatible servers accept bare strings
        found.text(part, path)
        return
    if not isinstance(part, dict):
        raise UninspectableContent(f"{format_location(path)} has an unsupported shape")
    kind = part.get("type")
    if kind in _TEXT_PARTS or kind == "refusal":
        # annotations (replayed citations: titles, URLs) are scanned with the text
        found.fields(part, _TEXT_FIELDS, path, _TEXT_PART_KEYS)
    elif not _media(kind, part, path, found):
        raise UninspectableContent(f"{format_location(path)} has an unsupported part type")


def read_content(content: Any, path: JSONPath, found: Extraction) -> None:
    """A ``content`` (or tool ``output``) field: a string, or a list of typed parts."""
    found.text_or_items(content, path, read_part)
