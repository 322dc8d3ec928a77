"""Where the pieces of a file sent in several requests meet.

OpenAI Uploads send a file in parts (any order, joined at ``complete`` in the order
its ``part_ids`` give); Gemini's resumable protocol sends it in chunks at increasing
offsets. Each piece is judged on its own; a value cut in two by a piece boundary is
judged here: ``UploadJoins`` keeps, per upload, the first and last ``EDGE_BYTES``
bytes of every piece (in memory, never logged; bounded in uploads and pieces), and
hands back the text where pieces meet as scan-only windows:

* a Gemini chunk at offset *n* is read joined to the last ``EDGE_BYTES`` of the file
  before *n*, in however many chunks they came; a chunk that does not continue the
  file received here is refused;
* an OpenAI ``complete`` is read with every ordered pair of its parts joined (the
  order is in the upstream's part ids, which the gateway does not see), a part
  shorter than ``EDGE_BYTES`` also between every pair of the others; it is refused
  when the upload had parts this gateway did not see, more than ``MAX_PIECES``, or
  more than one short part.

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
    size: int
    head: bytes
    tail: bytes


@dataclass(slots=True)
class _Upload:
    #: OpenAI parts, in arrival order
    pieces: list[_Piece] = field(default_factory=list)
    overflow: bool = False
    #: Gemini chunks: where the file received so far ends, its last ``EDGE_BYTES``, and
    #: the same before the last chunk (so that a retried chunk is read the same way)
    end: int = 0
    recent: bytes = b""
    previous: tuple[int, bytes] = (0, b"")


class UploadJoins:
    """The edges of the pieces of uploads in progress, oldest uploads forgotten first."""

    def __init__(self, max_uploads: int = MAX_UPLOADS) -> None:
        self._uploads: OrderedDict[str, _Upload] = OrderedDict()
        self._max = max_uploads
        self._lock = threading.Lock()

    def chunk(self, upload_id: str, offset: int, data: bytes) -> list[str]:
        """Note a chunk at ``offset``; the window joining it to the bytes before it.

        The window holds the last ``EDGE_BYTES`` of the file before ``offset``, however
        many chunks they came in (a value sent a byte per chunk is still whole in one).
        Raises ``UploadProblem`` when ``offset`` is not where the file received here
        ends (nor a retry of the last chunk): the value at the join could not be judged.
        """
        with self._lock:
            upload = self._upload(upload_id)
            if offset == upload.end:
                before = upload.recent
            elif offset == upload.previous[0]:  # the last chunk again (a client's retry)
                before = upload.previous[1]
            else:
                raise UploadProblem(
                    "this chunk continues an upload whose earlier chunks did not pass this "
                    "gateway, so the text where they meet cannot be inspected; restart the upload",
                    "앞선 조각이 이 게이트웨이를 거치지 않은 업로드의 조각이라 이어지는 부분을 "
                    "검사할 수 없습니다. 업로드를 처음부터 다시 하세요",
                )
            upload.previous = (offset, before)
            upload.end = offset + len(data)
            upload.recent = (before + data[-EDGE_BYTES:])[-EDGE_BYTES:]
        return [_text(before + data[:EDGE_BYTES])] if before else []

    def part(self, upload_id: str, data: bytes) -> None:
        """Note one part of an upload (its position is only known at completion)."""
        with self._lock:
            upload = self._upload(upload_id)
            if len(upload.pieces) >= MAX_PIECES:
                upload.overflow = True
                return
            upload.pieces.append(_Piece(len(data), data[:EDGE_BYTES], data[-EDGE_BYTES:]))

    def completion(self, upload_id: str, part_count: int) -> list[str]:
        """Every ordered pair of the upload's parts joined; forgets the upload.

        A part shorter than ``EDGE_BYTES`` could hold the middle of a value whose ends
        are in two other parts: one such part (the last, usually) is also read between
        every ordered pair of the others; more than one refuses the completion. Raises
        ``UploadProblem`` too when the parts completed are not exactly those seen here.
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
        short = [piece for piece in pieces if piece.size < EDGE_BYTES]
        if len(short) > 1:
            raise UploadProblem(
                f"more than one part of this upload is shorter than {EDGE_BYTES} bytes, so a "
                "value spread over several parts could not be inspected; use larger parts",
                f"이 업로드에 {EDGE_BYTES}바이트보다 짧은 파트가 둘 이상이라 여러 파트에 걸친 "
                "값을 검사할 수 없습니다. 파트를 더 크게 나누세요",
            )
        windows = [
            _text(first.tail + second.head)
            for first in pieces
            for second in pieces
            if first is not second
        ]
        for middle in short:
            others = [piece for piece in pieces if piece is not middle]
            windows += [
                _text(first.tail + middle.head + second.head)
                for first in others
                for second in others
                if first is not second
            ]
        return windows

    def _upload(self, upload_id: str) -> _Upload:
        upload = self._uploads.get(upload_id)
        if upload is None:
            upload = self._uploads[upload_id] = _Upload()
            while len(self._uploads) > self._max:
                self._uploads.popitem(last=False)
        else:
            self._uploads.move_to_end(upload_id)
        return upload


def _text(window: bytes) -> str:
    """A window as text: UTF-8 with what does not decode (a cut of another charset)
    replaced; the characters around it are still read."""
    return window.decode("utf-8", errors="replace")
