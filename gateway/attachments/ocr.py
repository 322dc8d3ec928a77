"""Text in images, by Tesseract in Korean and English (tesserocr, Pillow).

Pillow decodes within a pixel budget (a small PNG can declare a 100,000 ×
100,000 canvas: a decompression bomb); only the first frame of an animation is
read. Tesseract reads glyphs about 20–40 pixels high best and screen text is
often 12–16, so an image of screen size is read at twice its size as well as
at its own, and both readings are scanned: a value either reading gets is
found. (Reading the enlarged copy only when the first reading is unsure was
tried: Tesseract is sometimes sure and wrong, and entity recall fell from 100 %
to 75–80 % at 14–18 px, so both readings it is.) The Tesseract engine loads
its language data once per worker process (~0.6 s) and then reads a line of
screen text in ~0.1–0.3 s. The language data is Debian's
(``tesseract-ocr-kor``), found under ``/usr/share/tesseract-ocr``.
"""

from __future__ import annotations

import functools
import glob
import io
import os
import warnings
from typing import Any

from gateway.attachments.result import AttachmentLimits, UninspectableAttachment

__all__ = ["ocr_image", "ocr_readings", "ocr_status", "tessdata"]

#: images with fewer pixels than this are also read enlarged twofold (screen text)
_ENLARGE_BELOW = 2_000_000


def tessdata(languages: str) -> str | None:
    """The folder holding every ``.traineddata`` in ``languages`` (``kor+eng``), if any."""
    wanted = languages.split("+")
    candidates = [os.environ.get("TESSDATA_PREFIX", "")]
    candidates += sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True)
    candidates += ["/usr/share/tessdata", "/usr/local/share/tessdata"]
    for folder in filter(None, candidates):
        if all(os.path.isfile(os.path.join(folder, f"{lang}.traineddata")) for lang in wanted):
            return folder.rstrip("/") + "/"
    return None


def ocr_status(languages: str) -> str | None:
    """None when OCR in ``languages`` works here; else why not, for the start-up log."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return "the tesserocr package is not installed"
    if tessdata(languages) is None:
        return (
            f"Tesseract language data for {languages} is not installed "
            "(Debian: tesseract-ocr tesseract-ocr-kor)"
        )
    return None


@functools.lru_cache(maxsize=2)
def _engine(folder: str, languages: str) -> Any:
    """One Tesseract engine per worker process: loading the language data is the slow part."""
    import tesserocr

    return tesserocr.PyTessBaseAPI(path=folder, lang=languages, psm=tesserocr.PSM.AUTO)


def ocr_image(data: bytes, kind: str, limits: AttachmentLimits) -> str:
    """The text Tesseract reads in one image (both readings, for screen-sized images)."""
    return "\n".join(ocr_readings(data, kind, limits))


def ocr_readings(data: bytes, kind: str, limits: AttachmentLimits) -> list[str]:
    """Each reading of one image: enlarged (screen-sized images only), then as it is."""
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
    folder = tessdata(limits.ocr_languages)
    if folder is None:
        raise UninspectableAttachment("ocr_unavailable", kind=kind)
    try:
        engine = _engine(folder, limits.ocr_languages)
    except (ImportError, RuntimeError):
        raise UninspectableAttachment("ocr_unavailable", kind=kind) from None
    gray = image.convert("L")
    readings = []
    if width * height < _ENLARGE_BELOW:
        engine.SetImage(gray.resize((width * 2, height * 2), Image.Resampling.LANCZOS))
        readings.append(engine.GetUTF8Text().strip())
    engine.SetImage(gray)
    own = engine.GetUTF8Text().strip()
    if own not in readings:
        readings.append(own)
    return [reading for reading in readings if reading]
