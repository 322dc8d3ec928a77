"""One upload request read whole: the endpoint's format, then where its piece meets others.

The Extract stage hands an upload endpoint's request here and gets back the
``UploadDocument`` to scan and forward; ``UploadRequests`` holds the one piece of
state uploads need across requests (``joins.py``), so that the stage stays a stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.providers.dialect import Segment
from gateway.providers.joins import UploadJoins
from gateway.providers.upload_errors import UploadProblem
from gateway.providers.uploads import UploadDocument, upload_headers

if TYPE_CHECKING:
    from gateway.providers.endpoints import Endpoint

__all__ = ["UploadRequests"]


class UploadRequests:
    """Reads upload requests, judging each piece of a file where it meets the others."""

    def __init__(self, joins: UploadJoins | None = None) -> None:
        self._joins = joins or UploadJoins()

    async def read(
        self,
        endpoint: Endpoint,
        body: bytes,
        headers: list[tuple[bytes, bytes]],
        query: bytes,
        path: str,
    ) -> UploadDocument:
        """The request's document; its segments include the windows where pieces meet."""
        assert endpoint.upload is not None
        if not body and endpoint.joins is not None:
            raise UploadProblem(
                "the request body is empty; this API expects a file",
                "요청 본문이 비어 있습니다. 이 API에는 파일이 필요합니다",
            )
        document = await endpoint.upload.read(
            body, upload_headers(headers), query.decode("latin-1")
        )
        piece = document.piece
        if endpoint.joins == "part" and piece is not None:
            self._joins.part(_upload_id(path), piece)
        elif document.chunk is not None and piece is not None:
            upload_id, offset = document.chunk
            document.found.segments += _windows(self._joins.chunk(upload_id, offset, piece))
        return document

    def completion(self, document: dict[str, Any], path: str) -> list[Segment]:
        """The windows an Upload's ``complete`` is read with (every pair of its parts)."""
        part_ids = document.get("part_ids")
        count = len(part_ids) if isinstance(part_ids, list) else 0
        return _windows(self._joins.completion(_upload_id(path), count))


def _upload_id(path: str) -> str:
    """The upload a part or completion belongs to: ``.../uploads/{id}/parts``."""
    parts = path.split("/")
    return parts[-2] if len(parts) >= 2 else ""


def _windows(texts: list[str]) -> list[Segment]:
    """Where the pieces of one file meet: scan-only text."""
    return [Segment(("(join)", index), text, "fixed") for index, text in enumerate(texts)]
