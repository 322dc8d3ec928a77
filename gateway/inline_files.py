"""The Extract stage's second half: files sent inside the body, read into segments.

A dialect lists the inline files it found (``Extraction.files``); here each is
read by the ``AttachmentReader`` (a worker process, or the cache). A text file
becomes an editable segment, rewritten in place like any prompt; the text of any
other file becomes scan-only ``attachment`` segments, located by file part
(``pdf page 3``). A file that cannot be read is noted on the exchange as
uninspectable, with its reason, for the policy to decide on; the audit record
names each file's kind and sizes, never its name or content.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from gateway.attachments.result import UninspectableAttachment
from gateway.providers.attachments import decode_file
from gateway.providers.dialect import Form, InlineFile, Segment

if TYPE_CHECKING:
    from gateway.attachments import AttachmentReader, ReadAttachment
    from gateway.detect import Finding
    from gateway.exchange import Exchange

__all__ = ["read_inline_files", "uneditable_attachment"]


async def read_inline_files(
    exchange: Exchange, files: list[InlineFile], reader: AttachmentReader | None
) -> list[Segment]:
    """The segments of every file in ``files``, read concurrently (bounded by the pool)."""
    outcomes = await asyncio.gather(*(_read(file, reader) for file in files))
    segments: list[Segment] = []
    for file, (size, outcome) in zip(files, outcomes, strict=True):
        if isinstance(outcome, UninspectableAttachment):
            exchange.uninspectable.append(outcome)
            exchange.files.append(
                {"kind": outcome.kind, "bytes": size, "uninspectable": outcome.reason}
            )
            continue
        exchange.files.append(_summary(outcome))
        if file.filename:
            exchange.file_names[file.path] = file.filename
        segments += _segments(file, outcome)
    return segments


async def _read(
    file: InlineFile, reader: AttachmentReader | None
) -> tuple[int, ReadAttachment | UninspectableAttachment]:
    data = decode_file(file)
    if reader is None:  # no reader configured: nothing unread leaves
        return len(data), UninspectableAttachment("unsupported", file.filename or "", file.kind)
    try:
        return len(data), await reader.read(
            data, media_type=file.media_type, filename=file.filename
        )
    except UninspectableAttachment as exc:
        return len(data), exc


def _summary(read: ReadAttachment) -> dict[str, Any]:
    summary: dict[str, Any] = {"kind": read.kind, "bytes": read.size_bytes, "chars": read.chars}
    if read.images:
        summary["images"] = read.images
    return summary


def _segments(file: InlineFile, read: ReadAttachment) -> list[Segment]:
    if read.editable and read.charset and len(read.texts) == 1:
        # a text file: scanned and, when edited, encoded back in its own charset
        urlsafe = "-" in file.payload or "_" in file.payload
        text = read.texts[0][1]
        form: Form = "base64url" if urlsafe else "base64"
        return [Segment(file.path, text, form, file.prefix, read.charset)]
    return [
        Segment(file.path, text, "attachment", part=f"{read.kind} {where}")
        for where, text in read.texts
        if text
    ]


def uneditable_attachment(
    exchange: Exchange, segment: Segment, hits: list[Finding], language: str
) -> str:
    """Why a request whose attached file the policy would edit was refused: which file, why."""
    entities = ", ".join(sorted({f.entity_type for f in hits}))
    kind = (segment.part or "file").split(" ", 1)[0].upper()
    name = exchange.file_names.get(segment.path)
    named = f"'{name[:80]}' " if name else ""
    if language == "ko":
        return (
            f"첨부 파일 {named}({segment.location})에 정책이 편집해야 하는 {entities}이(가) "
            f"있지만 {kind} 파일은 그 자리에서 편집할 수 없어 요청을 전달하지 않았습니다. "
            "파일에서 값을 지우거나 텍스트로 보내세요."
        )
    return (
        f"the attached file {named}({segment.location}) holds {entities}, which the policy "
        f"would edit, but a {kind} file cannot be edited in place, so the request was not "
        "forwarded; remove the value from the file or send the text instead"
    )
