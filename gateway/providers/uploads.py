"""File uploads: bodies that are files, not JSON, judged like any other content.

An upload format reads a request body (multipart, or the file's bytes themselves)
into an ``UploadDocument``: the segments to scan (each file's text through
``read_upload``, the one seam every file's bytes pass; JSON metadata as text; part
headers, which carry the file's name, and the other form fields scan-only), what the
audit record names (kind, size, purpose; never content), and how the body is written
out again with edits. A text file is edited in place and re-encoded in its charset; a
batch file line by line; JSON metadata in place; a file that cannot be edited refuses
an edit, naming the file, and so does an edit nothing can take.

Formats: ``MultipartFiles`` (OpenAI and Anthropic Files, OpenAI Upload parts) and
``GeminiUpload`` (simple, multipart and resumable). Chunks of a file sent in several
requests are judged by ``joins.py`` as well, where the pieces meet.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from gateway.providers.batch_file import BatchFile, read_batch_file
from gateway.providers.dialect import Dialect, Extraction, JSONPath, Segment, apply_edits
from gateway.providers.multipart import (
    MultipartBody,
    Part,
    boundary_of,
    parse_multipart,
)
from gateway.providers.upload_errors import UneditableUpload, UploadProblem
from gateway.providers.upload_reader import (
    ReadUpload,
    UninspectableAttachment,
    read_upload,
    written_back,
)

__all__ = [
    "OFFLOAD_BYTES",
    "PURPOSES",
    "UPLOAD_HEADERS",
    "MultipartFiles",
    "UploadDocument",
    "UploadFormat",
    "UploadedFile",
    "file_segments",
    "header_segments",
    "metadata_segments",
    "parse_form",
    "piece_of_file",
    "upload_headers",
]

#: a media type as recorded: plain tokens, no run of digits (``text/csv``, ``application/x-ndjson``)
_MEDIA_TYPE = re.compile(r"(?![^0-9]*[0-9]{3})[a-z]{1,20}/[a-z][a-z0-9.+-]{0,60}")

#: above this many bytes a body is parsed, and a batch file read, on a worker thread
OFFLOAD_BYTES = 256 * 1024

#: where a refusal of a batch input file says the findings are (English, Korean)
_BATCH_LINES = (" (batch file lines {lines})", " (배치 파일의 줄: {lines})")

#: purposes recorded as they are; any other value is recorded as ``other``
PURPOSES = frozenset(
    {"assistants", "batch", "fine-tune", "vision", "user_data", "evals", "responses"}
)


@dataclass(slots=True)
class UploadedFile:
    """One file of an upload: what the record says about it, and how it was read."""

    field: JSONPath
    kind: str
    size: int
    filename: str | None = None
    purpose: str | None = None
    read: ReadUpload | None = None
    batch: BatchFile | None = None
    #: why an edit cannot be written back (a chunk of a file whose size was declared)
    fixed_size: bool = False

    def record(self) -> dict[str, Any]:
        """Kinds and sizes only: never the name (the caller's text) nor the content.

        A declared media type is the caller's text too: recorded only when it reads as
        one (``text/csv``), else as ``text``.
        """
        kind = self.kind if _MEDIA_TYPE.fullmatch(self.kind) else "text"
        entry: dict[str, Any] = {"kind": kind, "bytes": self.size}
        if self.purpose is not None:
            entry["purpose"] = self.purpose
        if self.batch is not None:
            entry["lines"] = len(self.batch.documents)
        return entry

    def rewritten(self, edits: Mapping[JSONPath, str]) -> bytes:
        """The file's bytes with ``edits`` (paths below ``field``) applied."""
        shown = f"'{self.filename[:80]}'" if self.filename else "(unnamed)"
        if self.fixed_size or self.read is None or not self.read.editable:
            if self.fixed_size:
                why = (
                    "its size was declared when the upload began",
                    "업로드 시작 때 크기가 정해져",
                )
            else:
                why = (f"a {self.kind} file cannot be rewritten safely", f"{self.kind} 파일은")
            raise UneditableUpload(
                f"the policy would edit the uploaded file {shown}, but {why[0]}, so the request "
                "was not forwarded; remove the values from the file and upload it again",
                f"정책상 업로드한 파일 {shown}의 값을 편집해야 하지만 {why[1]} 안전하게 고쳐 쓸 수 "
                "없어 요청을 전달하지 않았습니다. 파일에서 값을 지우고 다시 올리세요",
            )
        if self.batch is not None:
            return self.batch.render(edits)
        texts = dict(self.read.texts)
        for path, value in edits.items():
            location = str(path[0]) if path else ""
            if location not in texts or len(path) > 1:
                raise UneditableUpload(
                    f"the policy would edit the uploaded file {shown} outside its text, so the "
                    "request was not forwarded",
                    f"정책상 업로드한 파일 {shown}의 텍스트 밖을 편집해야 해서 요청을 전달하지 "
                    "않았습니다",
                )
            texts[location] = value
        return written_back(self.read, tuple(texts[location] for location, _ in self.read.texts))


@dataclass(slots=True)
class UploadDocument:
    """A parsed upload body; ``render`` writes it out with edits applied."""

    found: Extraction
    files: list[UploadedFile]
    #: the body from the bytes of its edited places (a file's field, a JSON part's path)
    write: Callable[[Mapping[JSONPath, bytes]], bytes]
    #: JSON parts (a file's metadata) by path: their text segments are edited in them
    json_parts: dict[JSONPath, Any] = field(default_factory=dict)
    #: the body is one piece of a file: its bytes, and (for a resumable chunk) the
    #: upload's id and the piece's offset
    piece: bytes | None = None
    chunk: tuple[str, int] | None = None

    def render(self, edits: Mapping[JSONPath, str]) -> bytes:
        """The body to forward: as scanned, each edited file or JSON part rewritten.

        An edit no file or JSON part takes refuses the request (``UneditableUpload``):
        dropping it would forward the value the policy meant to remove.
        """
        replaced: dict[JSONPath, bytes] = {}
        taken: set[JSONPath] = set()
        for upload in self.files:
            width = len(upload.field)
            mine = {p[width:]: v for p, v in edits.items() if p[:width] == upload.field}
            if mine:
                replaced[upload.field] = upload.rewritten(mine)
                taken.update((*upload.field, *p) for p in mine)
        for at, document in self.json_parts.items():
            width = len(at)
            mine = {p[width:]: v for p, v in edits.items() if p[:width] == at and p not in taken}
            if mine:
                apply_edits(document, mine)
                replaced[at] = orjson.dumps(document)
                taken.update((*at, *p) for p in mine)
        if len(taken) != len(edits):
            raise UneditableUpload(
                "the policy would edit a part of the upload that cannot be rewritten, so the "
                "request was not forwarded",
                "정책상 업로드의 고쳐 쓸 수 없는 부분을 편집해야 해서 요청을 전달하지 않았습니다",
            )
        return self.write(replaced)

    def where(self, segments: list[Segment], findings: list[list[Any]], language: str) -> str:
        """For a refusal: the batch lines holding findings (``""`` if not a batch)."""
        for upload in self.files:
            if upload.batch is None:
                continue
            width = len(upload.field)
            lines = sorted(
                {
                    int(s.path[width])
                    for s, f in zip(segments, findings, strict=False)
                    if f and s.path[:width] == upload.field and len(s.path) > width
                }
            )
            if lines:
                return _BATCH_LINES[language == "ko"].format(lines=upload.batch.describe(lines))
        return ""


class UploadFormat(Protocol):
    """How one upload endpoint's body is read (the counterpart of ``Dialect``)."""

    @property
    def api(self) -> str: ...

    async def read(
        self, body: bytes, headers: Mapping[bytes, bytes], query: str
    ) -> UploadDocument: ...


async def file_segments(
    data: bytes,
    at: JSONPath,
    found: Extraction,
    *,
    media_type: str | None,
    filename: str | None,
    charset: str | None = None,
    purpose: str | None = None,
    batch_dialect: Callable[[str], Dialect | None] | None = None,
) -> UploadedFile:
    """Read one file into ``found`` under path ``at``; the file as the record names it."""
    if media_type is None and filename:
        media_type = mimetypes.guess_type(filename, strict=False)[0]
    try:
        read = await read_upload(data, media_type=media_type, filename=filename, charset=charset)
    except UninspectableAttachment as refused:  # the record still names the file
        refused.upload["bytes"] = len(data)
        if purpose is not None:
            refused.upload["purpose"] = purpose
        raise
    upload = UploadedFile(at, read.kind, len(data), filename, purpose, read)
    found.attach("file")
    if batch_dialect is not None and read.texts:
        text = read.texts[0][1]
        if len(text) > OFFLOAD_BYTES:  # a line a few µs to parse, a large file a second
            upload.batch = await asyncio.to_thread(read_batch_file, text, at, batch_dialect, found)
        else:
            upload.batch = read_batch_file(text, at, batch_dialect, found)
        return upload
    for location, text in read.texts:
        path = (*at, location) if location else at
        found.segments.append(Segment(path, text))
    return upload


def header_segments(part: Part, at: JSONPath, found: Extraction) -> None:
    """Every header line of a multipart part, scan-only: they reach the provider too
    (a file's name in Content-Disposition, parameters of its Content-Type)."""
    for index, (name, value) in enumerate(part.headers):
        line = (name + b": " + value).decode("utf-8", "replace")
        found.segments.append(Segment((*at, "headers", index), line, "fixed"))


@dataclass(frozen=True, slots=True)
class MultipartFiles:
    """A ``multipart/form-data`` upload: one file field, the other fields scan-only.

    ``file_field`` names the part holding the file (``file``; ``data`` for an Upload
    part). Field names may not repeat: a provider reading the other copy would store
    a file that was never judged. With ``purpose=batch`` the file is a batch input
    file and each line is judged by the dialect its ``url`` names (``batch_dialect``).
    """

    api: str
    file_field: str = "file"
    batch_dialect: Callable[[str], Dialect | None] | None = None
    #: an Upload part: a piece of a file whose size was declared, never edited
    piece: bool = False

    async def read(self, body: bytes, headers: Mapping[bytes, bytes], query: str) -> UploadDocument:
        multipart = await parse_form(body, headers.get(b"content-type"), (b"form-data",))
        found = Extraction()
        fields: dict[str, int] = {}
        for index, part in enumerate(multipart.parts):
            name = part.name
            if not name:
                raise UploadProblem(
                    "every part of a multipart form needs a field name",
                    "multipart 폼의 모든 파트에는 필드 이름이 있어야 합니다",
                )
            if name in fields:
                raise UploadProblem(
                    f"the form field '{name[:40]}' is given twice",
                    f"폼 필드 '{name[:40]}'이(가) 두 번 있습니다",
                )
            fields[name] = index
        if self.file_field not in fields:
            raise UploadProblem(
                f"the form has no '{self.file_field}' field",
                f"폼에 '{self.file_field}' 필드가 없습니다",
            )
        purpose = None
        for name, index in fields.items():
            header_segments(multipart.parts[index], (name,), found)
            if name != self.file_field:
                value = _field_text(multipart.parts[index], name)
                if name == "purpose":
                    purpose = value if value in PURPOSES else "other"
                if value:
                    found.segments.append(Segment((name,), value, "fixed", free_from=0))
        part = multipart.parts[fields[self.file_field]]
        batch = self.batch_dialect if purpose == "batch" else None
        upload = await file_segments(
            piece_of_file(part.data) if self.piece else part.data,
            (self.file_field,),
            found,
            media_type=part.media_type,
            filename=part.filename,
            charset=part.charset,
            purpose=purpose,
            batch_dialect=batch,
        )
        upload.size = len(part.data)
        upload.fixed_size = self.piece
        file_index = fields[self.file_field]

        def write(replaced: Mapping[JSONPath, bytes]) -> bytes:
            new = replaced.get((self.file_field,))
            return multipart.render({file_index: new} if new is not None else None)

        document = UploadDocument(found, [upload], write)
        if self.piece:
            document.piece = part.data
        return document


#: request headers an upload format reads: each must be given once, since a provider
#: reading the other copy (another boundary, another offset) would read another body
UPLOAD_HEADERS = (
    b"content-type",
    b"x-goog-upload-protocol",
    b"x-goog-upload-command",
    b"x-goog-upload-offset",
)


def upload_headers(headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """The request's headers by name; one an upload format reads, given twice, refuses."""
    found: dict[bytes, bytes] = {}
    for name, value in headers:
        if name in found and name in UPLOAD_HEADERS:
            shown = name.decode("latin-1")
            raise UploadProblem(
                f"the header {shown} is given twice", f"{shown} 헤더가 두 번 있습니다"
            )
        found.setdefault(name, value)
    return found


async def parse_form(
    body: bytes, content_type: bytes | None, subtypes: tuple[bytes, ...]
) -> MultipartBody:
    """The multipart body, parsed on a worker thread when it is large."""
    boundary = boundary_of(content_type, subtypes)
    if len(body) > OFFLOAD_BYTES:
        return await asyncio.to_thread(parse_multipart, body, boundary)
    return parse_multipart(body, boundary)


def _field_text(part: Part, name: str) -> str:
    try:
        return part.data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadProblem(
            f"the form field '{name[:40]}' is not UTF-8 text",
            f"폼 필드 '{name[:40]}'이(가) UTF-8 텍스트가 아닙니다",
        ) from None


def piece_of_file(data: bytes) -> bytes:
    """A piece of a file cut anywhere: up to 3 bytes of a character cut at either end
    are left out of the text read here (``joins.py`` reads them where pieces meet)."""
    for start in range(4):
        for end in range(4):
            candidate = data[start : len(data) - end]
            try:
                candidate.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return candidate
    return data  # not UTF-8 text: read_upload decides (another charset, or binary)


def metadata_segments(body: bytes, found: Extraction, at: JSONPath) -> Any:
    """A JSON metadata part or body (a file's display name, mime type), ``None`` if empty.

    Every value is scanned as text someone wrote (a name, a type, a size alike): the
    document is edited in place through ``UploadDocument.json_parts``.
    """
    if not body.strip():
        return None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UploadProblem(
            "the upload's metadata is not valid JSON", "업로드 메타데이터가 올바른 JSON이 아닙니다"
        ) from None
    found.free(document, at)
    return document
