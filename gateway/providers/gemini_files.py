"""Gemini file upload (``POST /upload/v1beta/files``): simple, multipart and resumable.

* **simple** (``uploadType=media``, or ``X-Goog-Upload-Protocol: raw``): the body is
  the file; edited in place when it is text.
* **multipart** (``multipart/related``): a JSON metadata part (the file's display
  name, scanned) and the file.
* **resumable**: ``X-Goog-Upload-Command: start`` sends the metadata as JSON; the
  answer's ``X-Goog-Upload-URL`` is rewritten to come back through the gateway
  (``upload_url``); each ``upload`` chunk is then judged on its own and where it meets
  the chunk before it (``joins.py``). A chunk cannot be edited: the file's size was
  declared at ``start``, so an edit the policy asks for refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from gateway.providers.dialect import Extraction, JSONPath
from gateway.providers.upload_errors import UploadProblem
from gateway.providers.uploads import (
    UploadDocument,
    file_segments,
    header_segments,
    metadata_segments,
    parse_form,
    piece_of_file,
)

__all__ = ["GeminiUpload", "through_gateway", "upload_command"]

_FILE: JSONPath = ("file",)
_METADATA: JSONPath = ("metadata",)


def upload_command(headers: Mapping[bytes, bytes]) -> set[str]:
    """The resumable protocol's commands (``start``, ``upload``, ``finalize``, ...)."""
    raw = headers.get(b"x-goog-upload-command", b"").decode("latin-1").lower()
    return {word.strip() for word in raw.split(",") if word.strip()}


@dataclass(frozen=True, slots=True)
class GeminiUpload:
    api: str = "files"

    async def read(self, body: bytes, headers: Mapping[bytes, bytes], query: str) -> UploadDocument:
        found = Extraction()
        commands = upload_command(headers)
        protocol = headers.get(b"x-goog-upload-protocol", b"").decode("latin-1").lower()
        content_type = headers.get(b"content-type")
        if commands:
            return await self._resumable(commands, body, headers, query, found)
        if protocol == "multipart" or (content_type or b"").lower().startswith(b"multipart/"):
            return await self._multipart(body, content_type, found)
        media_type = (content_type or b"").split(b";")[0].strip().decode("latin-1") or None
        upload = await file_segments(body, _FILE, found, media_type=media_type, filename=None)

        def write(replaced: Mapping[JSONPath, bytes]) -> bytes:
            return replaced.get(_FILE, body)

        return UploadDocument(found, [upload], write)

    async def _multipart(
        self, body: bytes, content_type: bytes | None, found: Extraction
    ) -> UploadDocument:
        multipart = await parse_form(body, content_type, (b"related", b"form-data"))
        if len(multipart.parts) != 2:
            raise UploadProblem(
                "a multipart upload must have two parts: the metadata, then the file",
                "multipart 업로드는 메타데이터와 파일, 두 파트여야 합니다",
            )
        metadata, data = multipart.parts
        header_segments(metadata, _METADATA, found)
        header_segments(data, _FILE, found)
        document = metadata_segments(metadata.data, found, _METADATA)
        upload = await file_segments(
            data.data, _FILE, found, media_type=data.media_type, filename=None
        )

        def write(replaced: Mapping[JSONPath, bytes]) -> bytes:
            parts = {1: replaced[_FILE]} if _FILE in replaced else {}
            if _METADATA in replaced:
                parts[0] = replaced[_METADATA]
            return multipart.render(parts)

        json_parts: dict[JSONPath, Any] = {_METADATA: document} if document is not None else {}
        return UploadDocument(found, [upload], write, json_parts)

    async def _resumable(
        self,
        commands: set[str],
        body: bytes,
        headers: Mapping[bytes, bytes],
        query: str,
        found: Extraction,
    ) -> UploadDocument:
        if "start" in commands:
            document = metadata_segments(body, found, ())
            if document is None:
                return UploadDocument(found, [], lambda _replaced: b"")
            rendered = orjson.dumps(document)  # as scanned, like any JSON body
            return UploadDocument(
                found, [], lambda replaced: replaced.get((), rendered), {(): document}
            )
        if "upload" not in commands:  # query, cancel, or a bare finalize: no content
            if body:
                raise UploadProblem(
                    "this upload command takes no body", "이 업로드 명령에는 본문이 없어야 합니다"
                )
            return UploadDocument(found, [], lambda _replaced: b"")
        upload_id = parse_qs(query).get("upload_id", [""])[0]
        offset = headers.get(b"x-goog-upload-offset", b"").decode("latin-1").strip()
        if not upload_id or not offset.isdigit():
            raise UploadProblem(
                "an upload chunk needs the session's upload_id and an X-Goog-Upload-Offset",
                "업로드 조각에는 세션의 upload_id와 X-Goog-Upload-Offset이 있어야 합니다",
            )
        upload = await file_segments(
            piece_of_file(body), _FILE, found, media_type=None, filename=None
        )
        upload.size = len(body)
        upload.fixed_size = True
        chunk = UploadDocument(found, [upload], lambda _replaced: body, piece=body)
        chunk.chunk = (upload_id, int(offset))
        return chunk


def through_gateway(
    headers: list[tuple[bytes, bytes]],
    base_url: str,
    provider_id: str,
    gateway: tuple[str, bytes | None],
) -> list[tuple[bytes, bytes]]:
    """The answer's headers with ``X-Goog-Upload-URL`` (and ``-Control-URL``) pointing
    back at the gateway.

    The provider answers a resumable ``start`` with the URL the chunks go to; sent
    as is, the client would upload the file straight to the provider, unjudged. A
    URL under the provider's base becomes the same path under ``/{provider_id}`` on
    the gateway, as the client reached it (``gateway``: the scheme and Host header;
    google-genai keeps its own scheme and host and takes the path); any other URL is
    dropped.
    """
    scheme, host = gateway
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if name.startswith(b"x-goog-upload-") and name.endswith(b"-url"):
            url = value.decode("latin-1")
            if not url.startswith(base_url.rstrip("/") + "/") or not host:
                continue
            rest = url[len(base_url.rstrip("/")) :]
            value = f"{scheme}://".encode() + host + f"/{provider_id}{rest}".encode("latin-1")
        out.append((name, value))
    return out
