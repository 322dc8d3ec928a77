"""PDF text, page by page, with the images on each page read by OCR (pypdf)."""

from __future__ import annotations

import io

from gateway.attachments.embedded import EmbeddedImages, ImageText
from gateway.attachments.result import AttachmentLimits, UninspectableAttachment

__all__ = ["read_pdf"]


def read_pdf(
    data: bytes, limits: AttachmentLimits, image_text: ImageText
) -> tuple[list[tuple[str, str]], int]:
    """``[("page 1", text), ...]`` and how many images were read.

    A PDF with only an owner password (printing or copying restricted) opens with
    the empty user password and is read; one that needs a password is refused.
    """
    # Imported here: pypdf is loaded only by the workers that read PDFs.
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UninspectableAttachment("encrypted", kind="pdf")
        pages = reader.pages
        if len(pages) > limits.max_pages:
            raise UninspectableAttachment("too_large", kind="pdf")
        texts: list[tuple[str, str]] = []
        pictures = EmbeddedImages(image_text, limits.max_images)
        chars = 0
        for number, page in enumerate(pages, 1):
            text = page.extract_text() or ""
            chars += len(text)
            if chars > limits.max_chars:
                raise UninspectableAttachment("too_large", kind="pdf")
            if text.strip():
                texts.append((f"page {number}", text))
            pictures.read((image.data for image in page.images), texts, f"page {number} ")
    except (FileNotDecryptedError, DependencyError):
        raise UninspectableAttachment("encrypted", kind="pdf") from None
    except UninspectableAttachment:
        raise
    except MemoryError:
        raise UninspectableAttachment("bomb", kind="pdf") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        raise UninspectableAttachment("unreadable", kind="pdf") from None
    except RecursionError:
        raise UninspectableAttachment("too_deep", kind="pdf") from None
    return texts, pictures.count
