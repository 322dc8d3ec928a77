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
import functools
import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import astuple, replace
from typing import TYPE_CHECKING, Any

from gateway.attachments.cache import Sealer, SharedStore
from gateway.attachments.result import UninspectableAttachment
from gateway.detect.findings import Finding
from gateway.errors import PolicyBlock
from gateway.providers.attachments import decode_file
from gateway.providers.dialect import Form, InlineFile, JSONPath, Segment
from gateway.providers.upload_reader import ReadUpload
from gateway.providers.upload_reader import UninspectableAttachment as UploadRefusal

if TYPE_CHECKING:
    from gateway.attachments import AttachmentReader, ReadAttachment
    from gateway.detect import DetectionEngine
    from gateway.exchange import Exchange
    from gateway.policy import PolicyInput
    from gateway.policy.evaluate import Decision

__all__ = [
    "UNINSPECTABLE_RULE",
    "AttachmentScan",
    "file_texts",
    "read_inline_files",
    "refuse_unread",
    "scan_with_files",
    "segment_scanner",
    "uneditable_attachment",
    "unread_files",
]

#: the rule id recorded when files the gateway could not read meet a policy with no
#: ``allow``/``warn`` rule on ``uninspectable_attachments`` that matches
UNINSPECTABLE_RULE = "uninspectable-attachment"
#: base64 payloads longer than this are decoded on a worker thread
_ON_LOOP_CHARS = 1024 * 1024


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
    if len(file.payload) > _ON_LOOP_CHARS:  # decoding megabytes of base64 takes milliseconds
        data = await asyncio.to_thread(decode_file, file)
    else:
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


class AttachmentScan:
    """Findings in files' text, remembered by a keyed hash of the text and the policy.

    Chat clients resend every attachment with every turn: the reader's cache spares
    the parsing and OCR, this spares the scan. The key is an HMAC of the policy
    version and the file's texts (never the text itself); the findings hold only
    types, offsets and scores. In memory and, with ``shared`` (Redis), sealed for
    the other replicas: ``prefetch`` before a scan, ``publish`` after it.
    """

    def __init__(
        self, secret: bytes, entries: int = 256, shared: SharedStore | None = None
    ) -> None:
        self._key = hmac.new(secret, b"haetae-attachment-findings", hashlib.sha256).digest()
        self._entries = entries
        self._memory: OrderedDict[str, list[list[Finding]]] = OrderedDict()
        self._lock = threading.Lock()  # scans run on worker threads
        self._shared = shared
        self._sealer = Sealer(secret, b"findings")
        self._new: list[str] = []  # scanned here since the last publish
        self.hits = 0

    def key(self, version: str, texts: list[str]) -> str:
        mac = hmac.new(self._key, version.encode(), hashlib.sha256)
        for text in texts:
            encoded = text.encode("utf-8", "surrogatepass")
            mac.update(len(encoded).to_bytes(8, "little") + encoded)
        return mac.hexdigest()

    def findings(
        self, engine: DetectionEngine, version: str, texts: list[str]
    ) -> list[list[Finding]]:
        """The findings of one file's texts (read joined: a value split across pages)."""
        key = self.key(version, texts)
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                self.hits += 1
                return [list(per_text) for per_text in found]
        found = engine.scan_segments(texts)
        self._remember(key, found)
        with self._lock:
            self._new.append(key)
        return [list(per_text) for per_text in found]

    def _remember(self, key: str, found: list[list[Finding]]) -> None:
        with self._lock:
            self._memory[key] = found
            self._memory.move_to_end(key)
            while len(self._memory) > self._entries:
                self._memory.popitem(last=False)

    async def prefetch(self, keys: list[str]) -> None:
        """What other replicas scanned already, for the keys not in memory."""
        if self._shared is None:
            return
        for key in keys:
            if key in self._memory:
                continue
            try:
                sealed = await self._shared.get("findings:" + key)
            except Exception:  # the shared store is an optimisation: down means scan again
                return
            plain = self._sealer.open(key, sealed) if sealed else None
            if not isinstance(plain, list):  # absent, or sealed under another key
                continue
            try:
                found = [[Finding(*item) for item in per_text] for per_text in plain]
            except TypeError:  # not what was sealed: scan again
                continue
            self._remember(key, found)

    async def publish(self) -> None:
        """Share what this replica scanned since the last call."""
        with self._lock:
            keys, self._new = self._new, []
        if self._shared is None:
            return
        for key in keys:
            found = self._memory.get(key)
            if found is None:
                continue
            plain = [[astuple(f) for f in per_text] for per_text in found]
            try:
                await self._shared.set("findings:" + key, self._sealer.seal(key, plain))
            except Exception:  # the next replica scans it itself
                return


def file_texts(segments: list[Segment], count: int) -> dict[JSONPath, list[int]]:
    """The indexes of each file's ``attachment`` segments among the first ``count``."""
    groups: dict[JSONPath, list[int]] = {}
    for index in range(count):
        if segments[index].form == "attachment":
            groups.setdefault(segments[index].path, []).append(index)
    return groups


def scan_with_files(
    scan: Callable[[list[str], int], list[list[Finding]]],
    files: AttachmentScan,
    engine: DetectionEngine,
    version: str,
    segments: list[Segment],
    texts: list[str],
) -> list[list[Finding]]:
    """Findings for ``texts`` (the body's places), files' text scanned file by file.

    ``scan(texts, places)`` scans the rest as before, read joined; each file's
    ``attachment`` segments are scanned on their own, through the findings cache.
    Split-value numbers (``Finding.joined``) of a file are moved past the rest's,
    so two scans never share one.
    """
    rest = [i for i in range(len(texts)) if segments[i].form != "attachment"]
    places = next(
        (n for n, i in enumerate(rest) if segments[i].form == "url" and not segments[i].path),
        len(rest),
    )
    out: list[list[Finding]] = [[] for _ in texts]
    for index, found in zip(rest, scan([texts[i] for i in rest], places), strict=True):
        out[index] = found
    joined = max((f.joined for found in out for f in found), default=0)
    for indexes in file_texts(segments, len(texts)).values():
        found_file = files.findings(engine, version, [texts[i] for i in indexes])
        top = max((f.joined for found in found_file for f in found), default=0)
        for index, found in zip(indexes, found_file, strict=True):
            out[index] = [replace(f, joined=f.joined + joined) if f.joined else f for f in found]
        joined += top
    return out


def segment_scanner(
    engine: DetectionEngine,
    files: AttachmentScan,
    exchange: Exchange,
    places: int,
    max_view_chars: int,
) -> Callable[[list[str]], list[list[Finding]]]:
    """The Detect stage's scan of the body's texts: files' text apart, when there is any."""
    scan = functools.partial(engine.scan_segments, places=places, max_view_chars=max_view_chars)
    if not any(segment.form == "attachment" for segment in exchange.segments):
        return scan

    def scan_rest(texts: list[str], places: int) -> list[list[Finding]]:
        return engine.scan_segments(texts, places=places, max_view_chars=max_view_chars)

    version = exchange.policy.version
    return functools.partial(scan_with_files, scan_rest, files, engine, version, exchange.segments)


def unread_files(exchange: Exchange, language: str) -> str:
    """Each file that could not be read, and why, in the caller's language ("" if none)."""
    return " / ".join(item.message(language) for item in exchange.uninspectable)


def refuse_unread(exchange: Exchange, request: PolicyInput, decision: Decision) -> None:
    """Refuse files the gateway could not read, unless a rule lets them through.

    A block already refuses; otherwise only a matching ``allow``/``warn`` rule on
    ``uninspectable_attachments`` lets them go (``default_action: allow`` is not
    enough): what cannot be read cannot be guarded.
    """
    if not exchange.uninspectable or decision.action == "block":
        return
    if exchange.policy.lets_uninspectable_through(request):
        return
    raise PolicyBlock(
        unread_files(exchange, exchange.language()),
        rule_ids=[UNINSPECTABLE_RULE],
        code="uninspectable_attachment",
    )


def upload_document_reader(
    reader: AttachmentReader,
) -> Callable[[bytes, str | None, str | None], Awaitable[ReadUpload]]:
    """Uploaded files that are not text, read by the attachment reader, for the upload
    formats (``providers/upload_reader.py``): same kinds, same refusals, scan-only."""

    async def read(data: bytes, media_type: str | None, filename: str | None) -> ReadUpload:
        try:
            found = await reader.read(data, media_type=media_type, filename=filename)
        except UninspectableAttachment as refused:
            kind, code = refused.kind or "binary", UploadRefusal.code
            raise UploadRefusal(
                f"{refused.message_en} ({code})", f"{refused.message_ko} ({code})", kind
            ) from None
        return ReadUpload(found.kind, found.texts, editable=False, charset=None)

    return read
