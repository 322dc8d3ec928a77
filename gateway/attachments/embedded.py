"""Images inside a document (PDF pages, Office media, HWP BinData), read by OCR."""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["EmbeddedImages", "ImageText"]

#: reads one embedded file: its text, or None when it is not an image
ImageText = Callable[[bytes], str | None]


class EmbeddedImages:
    """Reads a document's images until ``limit`` of them were read; counts them."""

    def __init__(self, image_text: ImageText, limit: int) -> None:
        self._image_text = image_text
        self._limit = limit
        self.count = 0

    def read(self, blobs: Iterable[bytes], texts: list[tuple[str, str]], where: str = "") -> None:
        """Append ``(f"{where}image N", text)`` for each image of ``blobs`` with text."""
        for blob in blobs:  # a generator: nothing past the limit is even unpacked
            if self.count >= self._limit:
                return
            found = self._image_text(blob)
            if found is None:
                continue
            self.count += 1
            if found:
                texts.append((f"{where}image {self.count}", found))
