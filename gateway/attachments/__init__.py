"""Reading attached files: documents and images turned into text to scan.

``AttachmentReader`` is the seam the request path and the upload endpoints use:
built once at start-up, it reads bytes into a ``ReadAttachment`` (located
texts) or raises ``UninspectableAttachment`` with a machine reason. Parsing and
OCR run in worker processes with memory and time limits (``pool.py``); results
are cached by a keyed hash of the content (``cache.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.attachments.reader import AttachmentReader
    from gateway.attachments.result import (
        AttachmentLimits,
        ReadAttachment,
        Reason,
        UninspectableAttachment,
    )

__all__ = [
    "AttachmentLimits",
    "AttachmentReader",
    "ReadAttachment",
    "Reason",
    "UninspectableAttachment",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "AttachmentReader": "gateway.attachments.reader",
        "AttachmentLimits": "gateway.attachments.result",
        "ReadAttachment": "gateway.attachments.result",
        "Reason": "gateway.attachments.result",
        "UninspectableAttachment": "gateway.attachments.result",
    },
)
