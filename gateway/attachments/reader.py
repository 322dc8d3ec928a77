"""The one door to reading attachments: cache first, then a worker process."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from gateway.attachments.cache import ReadCache, SharedStore
from gateway.attachments.ocr import ocr_status
from gateway.attachments.pool import ExtractionPool
from gateway.attachments.result import AttachmentLimits, ReadAttachment, UninspectableAttachment
from gateway.attachments.sniff import sniff

__all__ = ["AttachmentReader"]

log = logging.getLogger("haetae.attachments")

#: files larger than this are hashed (and decoded, ``inline_files``) on a worker thread
_ON_LOOP_BYTES = 1024 * 1024


class AttachmentReader:
    """Reads attached files into located text; built once at start-up.

    ``secret`` keys the cache (an HMAC of the content, never the content);
    ``shared`` is the replicas' cache (Redis), if any. When Tesseract or its
    language data is missing, ``ocr_problem`` says so (start-up log, /readyz)
    and images are refused with the reason ``ocr_unavailable``.
    """

    def __init__(
        self,
        limits: AttachmentLimits,
        secret: bytes,
        *,
        workers: int = 2,
        cache_entries: int = 256,
        shared: SharedStore | None = None,
        check_ocr: bool = True,
    ) -> None:
        self.ocr_problem = ocr_status(limits.ocr_languages) if limits.ocr and check_ocr else None
        if not limits.ocr:
            self.ocr_problem = "OCR is turned off (attachments.ocr: false)"
        if self.ocr_problem is not None:
            limits = dataclasses.replace(limits, ocr=False)
            log.warning(
                "OCR unavailable: %s; images in requests cannot be read and are "
                "uninspectable (reason ocr_unavailable), so the policy decides",
                self.ocr_problem,
            )
        self.limits = limits
        self._pool = ExtractionPool(limits, workers)
        self._cache = ReadCache(secret, limits, cache_entries, shared)

    @property
    def cache(self) -> ReadCache:
        return self._cache

    async def read(
        self, data: bytes, *, media_type: str | None, filename: str | None
    ) -> ReadAttachment:
        """The text of ``data``, or ``UninspectableAttachment`` naming ``filename``."""
        name = filename or sniff(data) or "file"
        if len(data) > self.limits.max_file_bytes:
            raise UninspectableAttachment("too_large", name, sniff(data) or "file")
        if len(data) > _ON_LOOP_BYTES:  # hashing 32 MB takes ~20 ms: not on the event loop
            key = await asyncio.to_thread(self._cache.key, data, media_type, filename)
        else:
            key = self._cache.key(data, media_type, filename)
        outcome = await self._cache.get(key)
        if outcome is None:
            try:
                outcome = await self._pool.read(data, media_type, filename, name)
            except UninspectableAttachment as exc:
                outcome = exc
            await self._cache.put(key, outcome)
        if isinstance(outcome, UninspectableAttachment):
            raise UninspectableAttachment(outcome.reason, name, outcome.kind)
        return outcome

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.close()

    async def aclose(self) -> None:
        """Stop the worker processes and close the shared cache's connection."""
        await asyncio.to_thread(self._pool.close)
        await self._cache.aclose()
