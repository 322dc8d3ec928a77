"""Where the pieces of a file sent in several requests meet.

OpenAI Uploads send a file in parts (any order, joined at ``complete`` in the order
its ``part_ids`` give); Gemini's resumable protocol sends it in chunks at increasing
offsets. Each piece is judged on its own; a value cut in two by a piece boundary is
judged here: ``UploadJoins`` keeps, per upload, the first and last ``EDGE_BYTES``
bytes of every piece (in memory, never logged; bounded in uploads and pieces), and
hands back the text where pieces meet as scan-only windows:

* a Gemini chunk at offset *n* is read joined to the end of the chunk that ended at
  *n*; a chunk whose predecessor this gateway did not see is refused;
* an OpenAI ``complete`` is read with every ordered pair of its parts joined (the
  order is in the upstream's part ids, which the gateway does not see), and is
  refused when the upload had parts this gateway did not see, or more than
  ``MAX_PIECES``.

The state lives in one process: behind several replicas, the pieces of one upload
must reach the same replica (sticky routing by upload id), or the upload is refused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from gateway.providers.upload_errors import UploadProblem

__all__ = ["EDGE_BYTES", "MAX_PIECES", "MAX_UPLOADS", "UploadJoins"]

#: bytes kept from each end of a piece: longer than any value the detectors look for
#: within one line (a PEM key block spans lines and is caught by its header line)
EDGE_BYTES = 256
#: pieces remembered per upload, and uploads in progress remembered at once
MAX_PIECES = 32
MAX_UPLOADS = 512


@dataclass(slots=True)
class _Piece:
    offset: int
    size: int
    head: bytes
    tail: bytes


@dataclass(slots=True)
class _Upload:
    pieces: list[_Piece] = field(default_factory=list)
    overflow: bool = False


class UploadJoins:
    """The edges of the pieces of uploads in progress, oldest uploads forgotten first."""

    def __init__(self, max_uploads: int = MAX_UPLOADS) -> None:
        self._uploads: OrderedDict[str, _Upload] = OrderedDict()
        self._max = max_uploads
        self._lock = threading.Lock()

    def chunk(self, upload_id: str, offset: int, data: bytes) -> list[str]:
        """Note a chunk at ``offset``; the window joining it to the chunk before it.

        Raises ``UninspectableContent`` when ``offset`` is past 0 and no chunk seen
        here ends there: the value at the join could not be judged.
        """
        with self._lock:
            upload = self._upload(upload_id)
            before = next((p for p in upload.pieces if p.offset + p.size == offset), None)
            if offset > 0 and before is None:
                raise UploadProblem(
                    "this chunk continues an upload whose earlier chunks did not pass this "
                    "gateway, so the text where they meet cannot be inspected; restart the upload",
                    "앞선 조각이 이 게이트웨이를 거치지 않은 업로드의 조각이라 이어지는 부분을 "
                    "검사할 수 없습니다. 업로드를 처음부터 다시 하세요",
                )
            self._add(upload, offset, data)
        if before is None:
            return []
        return [_text(before.tail + data[:EDGE_BYTES])]

    def part(self, upload_id: str, data: bytes) -> None:
        """Note one part of an upload (its position is only known at completion)."""
        with self._lock:
            upload = self._upload(upload_id)
            self._add(upload, len(upload.pieces), data)

    def completion(self, upload_id: str, part_count: int) -> list[str]:
        """Every ordered pair of the upload's parts joined; forgets the upload.

        Raises ``UninspectableContent`` when the parts completed are not exactly the
        parts seen here.
        """
        with self._lock:
            upload = self._uploads.pop(upload_id, None)
        if upload is None or upload.overflow or len(upload.pieces) != part_count:
            raise UploadProblem(
                "the parts of this upload did not all pass this gateway (or there are more "
                f"than {MAX_PIECES}), so the text where they meet cannot be inspected and the "
                "upload was not completed; upload the file again through the gateway",
                "이 업로드의 파트가 모두 이 게이트웨이를 거치지 않았거나 "
                f"{MAX_PIECES}개를 넘어, 이어지는 부분을 검사할 수 없으므로 업로드를 완료하지 "
                "않았습니다. 게이트웨이를 통해 파일을 다시 올리세요",
            )
        pieces = upload.pieces
        return [
            _text(first.tail + second.head)
            for first in pieces
            for second in pieces
            if first is not second
        ]

    def forget(self, upload_id: str) -> None:
        with self._lock:
            self._uploads.pop(upload_id, None)

    def _upload(self, upload_id: str) -> _Upload:
        upload = self._uploads.get(upload_id)
        if upload is None:
            upload = self._uploads[upload_id] = _Upload()
            while len(self._uploads) > self._max:
                self._uploads.popitem(last=False)
        else:
            self._uploads.move_to_end(upload_id)
        return upload

    @staticmethod
    def _add(upload: _Upload, offset: int, data: bytes) -> None:
        if len(upload.pieces) >= MAX_PIECES:
            upload.overflow = True
            return
        upload.pieces.append(_Piece(offset, len(data), data[:EDGE_BYTES], data[-EDGE_BYTES:]))


def _text(window: bytes) -> str:
    """A window as text: UTF-8 with what does not decode (a cut of another charset)
    replaced; the characters around it are still read."""
    return window.decode("utf-8", errors="replace")
