"""Documents that are ZIPs of XML: DOCX, PPTX, XLSX, HWPX and ODF.

The XML is parsed with defusedxml (no entities, no external references) and
read as text: every text node, with a line break after each paragraph. Which
parts hold text, and where the images are, is a table per format.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from gateway.attachments.embedded import EmbeddedImages, ImageText
from gateway.attachments.result import AttachmentLimits, UninspectableAttachment
from gateway.attachments.zipsafe import SafeZip

__all__ = ["FORMATS", "Located", "container_kind", "read_container", "xml_text"]

Located = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Format:
    """Where one ZIP-of-XML format keeps its text and its images."""

    #: (folder prefix, suffix, label) of the parts holding text; ``{n}`` in the label
    #: is the part's number (slide 3), else the part's own name is the label
    parts: tuple[tuple[str, str, str], ...]
    media: str  # folder of embedded images
    #: the number in the first part's name (HWPX counts sections from 0): labels count from 1
    first: int = 1


FORMATS: dict[str, Format] = {
    "docx": Format(
        (
            ("word/document.xml", "", ""),
            ("word/header", ".xml", ""),
            ("word/footer", ".xml", ""),
            ("word/footnotes.xml", "", ""),
            ("word/endnotes.xml", "", ""),
            ("word/comments.xml", "", ""),
        ),
        "word/media/",
    ),
    "pptx": Format(
        (("ppt/slides/slide", ".xml", "slide {n}"), ("ppt/notesSlides/", ".xml", "notes {n}")),
        "ppt/media/",
    ),
    "hwpx": Format((("Contents/section", ".xml", "section {n}"),), "BinData/", first=0),
    "odt": Format((("content.xml", "", ""), ("styles.xml", "", "")), "Pictures/"),
}
_ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.presentation": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "odt",
}

#: elements after which a line ends: paragraphs, rows, cells and line breaks
_BREAKS = frozenset({"p", "h", "br", "tab", "tr", "tc", "table-row", "line-break", "lineBreak"})
_NUMBER = re.compile(r"(\d+)")


def container_kind(archive: SafeZip) -> str:
    """``docx``, ``xlsx``, ``pptx``, ``hwpx``, ``odt`` or plain ``zip``, by what it holds."""
    if "word/document.xml" in archive:
        return "docx"
    if "xl/workbook.xml" in archive:
        return "xlsx"
    if "ppt/presentation.xml" in archive:
        return "pptx"
    if "mimetype" in archive:
        mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
        if mimetype in _ODF_TYPES:
            return _ODF_TYPES[mimetype]
        if "hwp" in mimetype:
            return "hwpx"
    if any(name.startswith("Contents/section") for name in archive.names()):
        return "hwpx"
    if "EncryptedPackage" in archive:
        raise UninspectableAttachment("encrypted")
    return "zip"


def xml_text(data: bytes) -> str:
    """Every text node of an XML document, a line per paragraph."""
    try:
        root = SafeTree.fromstring(data)
    except (SafeTree.ParseError, DefusedXmlException, ValueError):
        raise UninspectableAttachment("unreadable") from None
    out: list[str] = []
    _walk(root, out)
    return "".join(out).strip()


def _walk(element: Element, out: list[str]) -> None:
    # iterative: a document nested thousands of levels deep must not exhaust the stack
    stack: list[tuple[Element, bool]] = [(element, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            if node.tag.rpartition("}")[2] in _BREAKS:
                out.append("\t" if node.tag.endswith(("tab", "tc")) else "\n")
            if node.tail and node.tail.strip():
                out.append(node.tail)
            continue
        if node.text and node.text.strip():
            out.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))


def read_container(
    data: bytes,
    archive: SafeZip,
    kind: str,
    limits: AttachmentLimits,
    image_text: ImageText,
) -> tuple[Located, int]:
    """The located texts of a ZIP-of-XML document, and how many images were read.

    ``image_text`` reads one embedded file: its text, or None when it is no image.
    """
    if kind == "xlsx":
        return _sheets(data, limits), 0
    spec = FORMATS[kind]
    texts: Located = []
    for prefix, suffix, label in spec.parts:
        for name in archive.members(prefix, suffix):
            if suffix and "/" in name[len(prefix) :]:
                continue  # ppt/slides/_rels/...: not a part of its own
            number = _NUMBER.findall(name[len(prefix) :])
            shown = int(number[0]) + 1 - spec.first if number else ""
            where = label.format(n=shown) if label else name
            text = xml_text(archive.read(name))
            if text:
                texts.append((where, text))
    pictures = EmbeddedImages(image_text, limits.max_images)
    pictures.read((archive.read(name) for name in archive.members(spec.media)), texts)
    return texts, pictures.count


def _sheets(data: bytes, limits: AttachmentLimits) -> Located:
    """Rows of each sheet, a tab between cells, in blocks labelled by their cells.

    Blocks of about ``_BLOCK_CHARS`` (``sheet 2!A1:F180``), not one text per row:
    the scanner's cost per text dominates on a sheet of 20,000 short rows (52 s
    against 10 s for the same text in blocks, measured by ``haetae bench
    --attachments``). Sheets are numbered, not named: a sheet's name is the
    author's text, and locations are recorded. ``SafeZip`` already checked the
    declared sizes, and zipfile reads no member past its declared size.
    """
    # Imported here: openpyxl is the slowest import of the readers.
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on damaged files
        raise UninspectableAttachment("unreadable", kind="xlsx") from None
    texts: Located = []
    chars = 0
    try:
        for number, sheet in enumerate(book.worksheets, 1):
            block: list[str] = []
            top = left = right = bottom = 0
            for row in sheet.iter_rows():
                cells = [(c.column, c.row, str(c.value)) for c in row if c.value is not None]
                if not cells:
                    continue
                line = "\t".join(value for _, _, value in cells)
                chars += len(line) + 1
                if chars > limits.max_chars:
                    raise UninspectableAttachment("too_large", kind="xlsx")
                if not block:
                    top, left, right = cells[0][1], cells[0][0], cells[-1][0]
                block.append(line)
                bottom = cells[0][1]
                left, right = min(left, cells[0][0]), max(right, cells[-1][0])
                if sum(map(len, block)) >= _BLOCK_CHARS:
                    texts.append((_cells(number, left, top, right, bottom), "\n".join(block)))
                    block = []
            if block:
                texts.append((_cells(number, left, top, right, bottom), "\n".join(block)))
    finally:
        book.close()
    return texts


#: characters of one sheet's rows read as one text
_BLOCK_CHARS = 8_192


def _cells(sheet: int, left: int, top: int, right: int, bottom: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"sheet {sheet}!{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"
