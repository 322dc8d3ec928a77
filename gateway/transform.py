"""Transform: write the policy's edits back into the body; the body forwarded is the one scanned."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import orjson

from gateway.detect.actions import RequestEditor
from gateway.detect.transforms import Pseudonymizer
from gateway.errors import BadRequest
from gateway.inline_files import uneditable_attachment
from gateway.large_bodies import INLINE_SEGMENTS, LARGE_BODY_BYTES, render
from gateway.providers.dialect import SCAN_ONLY, JSONPath, Segment, apply_edits
from gateway.providers.query import rewrite_query
from gateway.providers.upload_errors import UneditableUpload
from gateway.providers.uploads import UploadDocument

if TYPE_CHECKING:
    from gateway.detect import Finding
    from gateway.detect.processes import ScanProcesses
    from gateway.exchange import Exchange

__all__ = ["Transform", "as_scanned"]


class Transform:
    """Write the policy's edits back into the body; the body forwarded is the one scanned.

    A JSON body over ``LARGE_BODY_BYTES`` is written out by a scan worker process
    (``processes``, when they are ready; ``large_bodies.render``): serialising 10 MB
    is one C call that holds the GIL for 6–40 ms, on a thread as on the loop.
    """

    name = "transform"

    def __init__(self, key: bytes, processes: ScanProcesses | None = None) -> None:
        self._key = key
        self._pseudonymizer = Pseudonymizer(key)
        self._processes = processes

    async def __call__(self, exchange: Exchange) -> None:
        decision = exchange.decision
        if decision is None or not decision.edits:
            if self._offloaded(exchange):
                exchange.outgoing_body = await self._render(exchange, {})
            else:
                exchange.outgoing_body = as_scanned(exchange)
            return
        if len(exchange.segments) > INLINE_SEGMENTS:  # a Python loop per segment
            edits = await asyncio.to_thread(self._edit, exchange)
        else:
            edits = self._edit(exchange)
        if edits is None:  # written already
            return
        if self._offloaded(exchange):
            exchange.outgoing_body = await self._render(exchange, edits)
        elif edits:
            apply_edits(exchange.document, edits)
            exchange.outgoing_body = orjson.dumps(exchange.document)
        else:
            exchange.outgoing_body = as_scanned(exchange)

    def _offloaded(self, exchange: Exchange) -> bool:
        """Whether a worker process writes the body out (a large JSON document)."""
        return (
            len(exchange.body) > LARGE_BODY_BYTES
            and isinstance(exchange.document, dict)
            and self._processes is not None
            and self._processes.state == "ready"
        )

    async def _render(self, exchange: Exchange, edits: dict[JSONPath, str]) -> bytes:
        assert self._processes is not None
        return await self._processes.call(render, exchange.body, edits)

    def _edit(self, exchange: Exchange) -> dict[JSONPath, str] | None:
        """The edits to the body's places (None: an upload, written here); headers and
        query edited in place."""
        decision = exchange.decision
        assert decision is not None
        actions = decision.edits
        editor = RequestEditor(self._key, self._pseudonymizer)
        edits: dict[JSONPath, str] = {}
        # exchange.findings holds only findings that count (Detect screened them)
        query_edits: dict[int, str] = {}
        header_edits: dict[int, bytes] = {}
        for segment, findings in zip(exchange.segments, exchange.findings, strict=True):
            hits = [f for f in findings if f.entity_type in actions]
            if not hits:
                continue
            if segment.form in SCAN_ONLY:  # cannot be rewritten: refuse, never forward
                language = exchange.language()
                if segment.form == "attachment":
                    message = uneditable_attachment(exchange, segment, hits, language)
                else:
                    message = _uneditable(segment, hits, language)
                raise BadRequest(message, code="uneditable_content")
            edited = editor.edit(segment.text, hits, actions)
            if segment.form in ("query", "credential"):
                query_edits[int(segment.path[1])] = edited
            elif segment.form == "header":
                header_edits[int(segment.path[1])] = _header_value(segment, hits, edited)
            else:
                edits[segment.path] = segment.encode(edited)
        if header_edits:
            exchange.headers = [
                (name, header_edits.get(index, value))
                for index, (name, value) in enumerate(exchange.headers)
            ]
        if query_edits:
            exchange.outgoing_query = rewrite_query(exchange.query, query_edits)
        exchange.restore_mapping = editor.restore_mapping
        if isinstance(exchange.document, UploadDocument):
            try:
                exchange.outgoing_body = exchange.document.render(edits)
            except UneditableUpload as exc:
                raise BadRequest(exc.message(exchange.language()), code=exc.code) from None
            return None
        return edits


def as_scanned(exchange: Exchange) -> bytes:
    """The body as it was scanned: the parsed document, written out again.

    Forwarding the received bytes would forward what a different parser might read
    differently: with a key given twice, the parser here keeps the last copy and a
    provider may keep the first, which was never scanned. Re-serialising costs ~2 µs
    per KB; a body without a document (a listing) is forwarded as received.
    """
    if exchange.document is None:
        return exchange.body
    if isinstance(exchange.document, UploadDocument):
        return exchange.document.render({})
    return orjson.dumps(exchange.document)


#: each scan-only place, named for the caller in English and Korean
_SCAN_ONLY_PLACES = {
    "key": ("a JSON object key", "JSON 객체 키"),
    "url": ("the URL", "URL"),
    "model": ("the model name", "모델 이름"),
    "fixed": (
        "a value the provider defines or checks (a name, id, setting or signed state)",
        "제공자가 정의하거나 검증하는 값(이름, ID, 설정 또는 서명된 상태)",
    ),
}


def _uneditable(segment: Segment, hits: list[Finding], language: str = "en") -> str:
    """Where the policy would edit but cannot, with the entity types: never the value."""
    entities = ", ".join(sorted({f.entity_type for f in hits}))
    english, korean = _SCAN_ONLY_PLACES[segment.form]
    if language == "ko":
        return (
            f"{korean}({segment.location})에 정책이 편집해야 하는 {entities}이(가) 있지만 "
            "그 자리에서 편집할 수 없어 요청을 전달하지 않았습니다. 값을 텍스트 필드로 옮기세요."
        )
    return (
        f"{english} ({segment.location}) holds {entities}, which the "
        "policy would edit but which cannot be edited in place, so the request was not "
        "forwarded; move the value into a text field"
    )


def _header_value(segment: Segment, hits: list[Finding], edited: str) -> bytes:
    """An edited header label as header bytes; one that cannot be a header value refuses."""
    value = edited.encode("utf-8", "surrogateescape")
    if any(byte < 0x20 or byte == 0x7F for byte in value):
        entities = ", ".join(sorted({f.entity_type for f in hits}))
        raise BadRequest(
            f"a request header ({segment.location}) holds {entities}, which the policy would "
            "edit but whose edited value cannot be sent as a header, so the request was not "
            "forwarded",
            code="uneditable_content",
        )
    return value
