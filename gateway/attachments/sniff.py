"""What a file is, by its first bytes: the declared type and name are only hints.

A caller may call a PDF ``notes.txt`` or send a spreadsheet as
``application/octet-stream``; the magic bytes decide. ZIP and OLE containers are
told apart by what they hold (``containers.py`` for ZIP, ``hwp.py`` for OLE).
"""

from __future__ import annotations

import mimetypes

__all__ = ["IMAGE_KINDS", "TEXT_KINDS", "sniff", "text_kind"]

#: leading bytes → kind; checked in order, longest prefixes first where they overlap
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty archive
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"{\\rtf", "rtf"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"ID3", "mp3"),
    (b"OggS", "ogg"),
    (b"fLaC", "flac"),
)

IMAGE_KINDS = frozenset({"png", "jpeg", "gif", "webp", "bmp", "tiff"})

#: text formats by file extension, for the name a caller gave; anything else is "text"
_TEXT_EXTENSIONS = {
    "csv": "csv", "tsv": "tsv", "tab": "tsv", "json": "json", "jsonl": "json",
    "ndjson": "json", "xml": "xml", "html": "html", "htm": "html", "xhtml": "html",
    "md": "markdown", "markdown": "markdown", "yaml": "yaml", "yml": "yaml",
    "txt": "text", "log": "text", "sql": "code", "py": "code", "js": "code",
    "ts": "code", "java": "code", "kt": "code", "go": "code", "rs": "code", "c": "code",
    "h": "code", "cpp": "code", "cs": "code", "rb": "code", "php": "code", "sh": "code",
    "swift": "code", "scala": "code", "toml": "code", "ini": "code", "properties": "code",
}  # fmt: skip
_TEXT_SUBTYPES = {
    "csv": "csv", "tab-separated-values": "tsv", "json": "json", "jsonl": "json",
    "x-ndjson": "json", "xml": "xml", "html": "html", "markdown": "markdown",
    "x-markdown": "markdown", "yaml": "yaml", "x-yaml": "yaml",
}  # fmt: skip
TEXT_KINDS = frozenset({*_TEXT_EXTENSIONS.values(), "text"})


def sniff(data: bytes) -> str | None:
    """The kind the bytes say, or None for anything without a known signature."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] == b"RIFF" and data[8:12] in (b"WAVE", b"AVI "):
        return "audio" if data[8:12] == b"WAVE" else "video"
    if data[4:8] == b"ftyp":
        return "video"
    return None


def text_kind(media_type: str | None, filename: str | None) -> str:
    """What a text file holds (csv, json, code, ...), from its name or declared type."""
    if filename and "." in filename:
        extension = filename.rsplit(".", 1)[1].lower()
        if extension in _TEXT_EXTENSIONS:
            return _TEXT_EXTENSIONS[extension]
    if media_type:
        subtype = media_type.split(";")[0].strip().lower().rpartition("/")[2]
        subtype = subtype.rpartition("+")[2] if "+" in subtype else subtype
        if subtype in _TEXT_SUBTYPES:
            return _TEXT_SUBTYPES[subtype]
        guessed = mimetypes.guess_extension(media_type.split(";")[0].strip())
        if guessed and guessed[1:] in _TEXT_EXTENSIONS:
            return _TEXT_EXTENSIONS[guessed[1:]]
    return "text"
