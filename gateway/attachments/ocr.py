"""Text in images, by Tesseract in Korean and English (pytesseract, Pillow).

Pillow decodes within a pixel budget (a small PNG can declare a 100,000 ×
100,000 canvas: a decompression bomb); only the first frame of an animation is
read. Small screenshots are enlarged first: Tesseract reads glyphs about 20–30
pixels high best, and screen text is often 12–16.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings

from gateway.attachments.result import AttachmentLimits, UninspectableAttachment

__all__ = ["ocr_image", "ocr_status"]

#: images smaller than this many pixels are enlarged twofold before recognition
_ENLARGE_BELOW = 2_000_000


def ocr_status(languages: str) -> str | None:
    """None when Tesseract and every language in ``languages`` are installed; else why not."""
    binary = shutil.which("tesseract")
    if binary is None:
        return "the tesseract program is not installed (Debian: tesseract-ocr tesseract-ocr-kor)"
    try:
        listed = subprocess.run(
            [binary, "--list-langs"], capture_output=True, timeout=10, check=False, text=True
        ).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return "the tesseract program does not run"
    missing = [lang for lang in languages.split("+") if lang not in listed]
    if missing:
        return (
            f"tesseract lacks the language data {', '.join(missing)} (tesseract-ocr-{missing[0]})"
        )
    return None


def ocr_image(data: bytes, kind: str, limits: AttachmentLimits, timeout: float) -> str:
    """The text Tesseract reads in one image."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > limits.max_image_pixels:
                raise UninspectableAttachment("bomb", kind=kind)
            if not limits.ocr:  # a bomb is named as one; any other image is unreadable here
                raise UninspectableAttachment("ocr_unavailable", kind=kind)
            image.seek(0)  # the first frame of a GIF or animated WebP
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UninspectableAttachment("bomb", kind=kind) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise UninspectableAttachment("unreadable", kind=kind) from None
    gray = image.convert("L")
    if width * height < _ENLARGE_BELOW:
        gray = gray.resize((width * 2, height * 2), Image.Resampling.LANCZOS)
    return _tesseract(gray, kind, limits, timeout)


def _tesseract(image: object, kind: str, limits: AttachmentLimits, timeout: float) -> str:
    import pytesseract

    try:
        text: str = pytesseract.image_to_string(
            image, lang=limits.ocr_languages, config="--psm 3", timeout=max(1.0, timeout)
        )
    except RuntimeError:  # pytesseract's timeout
        raise UninspectableAttachment("timeout", kind=kind) from None
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        raise UninspectableAttachment("ocr_unavailable", kind=kind) from None
    return text.strip()
