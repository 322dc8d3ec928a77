"""Real files for tests and benchmarks: PDF, Office, HWP/HWPX, ODF, RTF, images, archives.

Each builder returns the bytes of a small but genuine file, written the way the
format's own tools lay it out, so a reader that handles these handles the real
thing. Nothing is downloaded; images are drawn with Pillow in a Korean font
(``fonts-nanum``, which ``make install`` puts in place).
"""

from __future__ import annotations

import io
import itertools
import struct
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "KOREAN_FONT",
    "docx",
    "encrypted_pdf",
    "hwp",
    "hwpx",
    "nested_zip",
    "odt",
    "pdf",
    "pptx",
    "rtf",
    "scanned_pdf",
    "text_image",
    "xlsx",
    "zip_bomb",
    "zip_of",
]

KOREAN_FONT = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")


# -- PDF -------------------------------------------------------------------------


def pdf(pages: list[str]) -> bytes:
    """A PDF with one Helvetica text line per ``\\n`` on each page (ASCII text)."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font = 3 + 2 * len(pages)
    for index, text in enumerate(pages):
        lines = [
            f"({line.replace(chr(92), '').replace('(', '').replace(')', '')}) Tj 0 -16 Td"
            for line in text.split("\n")
        ]
        stream = f"BT /F1 12 Tf 72 720 Td {' '.join(lines)} ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * index} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def scanned_pdf(lines: list[str]) -> bytes:
    """A PDF whose page is only an image of ``lines`` (a scan): no text layer at all."""
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(text_image(lines, font_size=32))).convert("RGB").save(out, "PDF")
    return out.getvalue()


def encrypted_pdf(text: str, password: str = "secret") -> bytes:
    """``pdf([text])`` locked with a user password (AES-128), as pypdf writes it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf([text]))))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- ZIP-of-XML documents ---------------------------------------------------------


def _zip(members: dict[str, bytes | str], stored_first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first is not None:  # ODF and HWPX: an uncompressed mimetype comes first
            archive.writestr(
                zipfile.ZipInfo("mimetype"), members.pop("mimetype"), zipfile.ZIP_STORED
            )
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_P = "http://schemas.openxmlformats.org/presentationml/2006/main"


def docx(paragraphs: list[str], images: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    """A Word document: one paragraph each, split into two runs as Word often does."""
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(p[: len(p) // 2])}</w:t></w:r>'
        f"<w:r><w:t>{escape(p[len(p) // 2 :])}</w:t></w:r></w:p>"
        for p in paragraphs
    )
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": f'<?xml version="1.0"?><w:document xmlns:w="{_W}"><w:body>'
        f"{body}</w:body></w:document>",
    }
    for number, image in enumerate(images, 1):
        members[f"word/media/image{number}.png"] = image
    return _zip(members)


def pptx(slides: list[str], notes: list[str] = ()) -> bytes:  # type: ignore[assignment]
    """A PowerPoint deck: one text box per slide, speaker notes optional."""
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": "<Types/>",
        "ppt/presentation.xml": f'<p:presentation xmlns:p="{_P}"/>',
    }
    for number, text in enumerate(slides, 1):
        members[f"ppt/slides/slide{number}.xml"] = (
            f'<p:sld xmlns:p="{_P}" xmlns:a="{_A}"><p:cSld><p:spTree><p:sp><p:txBody>'
            f"<a:p><a:r><a:t>{escape(text)}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree>"
            "</p:cSld></p:sld>"
        )
    for number, text in enumerate(notes, 1):
        members[f"ppt/notesSlides/notesSlide{number}.xml"] = (
            f'<p:notes xmlns:p="{_P}" xmlns:a="{_A}"><a:p><a:r><a:t>{escape(text)}</a:t>'
            "</a:r></a:p></p:notes>"
        )
    return _zip(members)


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook written by openpyxl, one sheet per entry."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def hwpx(paragraphs: list[str]) -> bytes:
    """An HWPX (OWPML) document: a ZIP whose sections hold ``hp:t`` runs."""
    ns = "http://www.hancom.co.kr/hwpml/2011/paragraph"
    body = "".join(f"<hp:p><hp:run><hp:t>{escape(p)}</hp:t></hp:run></hp:p>" for p in paragraphs)
    return _zip(
        {
            "mimetype": "application/hwp+zip",
            "version.xml": "<version/>",
            "Contents/section0.xml": f'<hs:sec xmlns:hs="urn:s" xmlns:hp="{ns}">{body}</hs:sec>',
        },
        stored_first="mimetype",
    )


def odt(paragraphs: list[str]) -> bytes:
    """An OpenDocument text: ``text:p`` paragraphs in content.xml."""
    ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    return _zip(
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "content.xml": f'<office:document-content xmlns:office="urn:o" xmlns:text="{ns}">'
            f"<office:body><office:text>{body}</office:text></office:body>"
            "</office:document-content>",
        },
        stored_first="mimetype",
    )


def rtf(text: str, codepage: int = 949) -> bytes:
    """An RTF document in ``codepage``, non-ASCII written as ``\\'xx`` escapes."""
    encoded = "".join(
        ch if ord(ch) < 128 else "".join(f"\\'{b:02x}" for b in ch.encode(f"cp{codepage}"))
        for ch in text
    )
    head = f"{{\\rtf1\\ansi\\ansicpg{codepage}\\deff0{{\\fonttbl{{\\f0 Batang;}}}}\\f0 "
    return (head + encoded + "\\par}").encode()


def zip_of(files: dict[str, bytes]) -> bytes:
    return _zip(dict(files))


def zip_bomb(megabytes: int = 4) -> bytes:
    """A few kilobytes that inflate to ``megabytes`` of zeros (ratio ~1,000)."""
    return _zip({"report.txt": bytes(megabytes * 1024 * 1024)})


def nested_zip(inner: bytes) -> bytes:
    """An archive inside an archive: one level deeper than the gateway opens."""
    return _zip({"inner.zip": zip_of({"a.txt": inner})})


# -- images ---------------------------------------------------------------------


def text_image(
    lines: list[str], size: tuple[int, int] | None = None, font_size: int = 28, fmt: str = "PNG"
) -> bytes:
    """A screenshot-like image: black text on white, in NanumGothic."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(KOREAN_FONT), font_size)
    line_height = int(font_size * 1.6)
    width, height = size or (
        max(int(font.getlength(line)) for line in lines) + 80,
        line_height * len(lines) + 60,
    )
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((40, 30 + index * line_height), line, font=font, fill="black")
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


# -- HWP 5 (an OLE compound file) -------------------------------------------------

_SECTOR = 512
_END, _FREE, _FAT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
_NONE = 0xFFFFFFFF


def _records(tag: int, payload: bytes) -> bytes:
    size = len(payload)
    if size >= 0xFFF:
        return struct.pack("<II", tag | (0xFFF << 20), size) + payload
    return struct.pack("<I", tag | (size << 20)) + payload


def _para(text: str) -> bytes:
    """PARA_HEADER and PARA_TEXT records; a tab and a table control show the skipping."""
    head, _, tail = text.partition("\t")
    units = head.encode("utf-16-le")
    if _:
        units += struct.pack("<8H", 9, 0, 0, 0, 0, 0, 0, 9)  # an inline tab control
    units += struct.pack("<8H", 11, 0x7462, 0x6C, 0, 0, 0, 0, 11)  # a table (extended)
    units += tail.encode("utf-16-le") + struct.pack("<H", 13)
    return _records(0x42, bytes(22)) + _records(0x43, units)


def hwp(
    paragraphs: list[str],
    *,
    compressed: bool = True,
    password: bool = False,
    distribution: bool = False,
    preview: str | None = None,
    images: list[bytes] = (),  # type: ignore[assignment]
) -> bytes:
    """An HWP 5.0 document, written as an OLE compound file (sectors of 512 bytes).

    Streams are padded to 4,096 bytes so none needs the mini stream; readers take
    the records they find and ignore the zeros after them.
    """
    flags = (1 if compressed else 0) | (2 if password else 0) | (4 if distribution else 0)
    header = b"HWP Document File".ljust(32, b"\0") + struct.pack("<II", 0x05000300, flags)

    def pack(data: bytes) -> bytes:
        if compressed:
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = deflate.compress(data) + deflate.flush()
        return data

    section = pack(b"".join(_para(p) for p in paragraphs))
    tree: list[tuple[str, list[tuple[str, bytes]]]] = [("BodyText", [("Section0", section)])]
    streams: list[tuple[str, bytes]] = [("FileHeader", header)]
    if preview is not None:
        streams.append(("PrvText", preview.encode("utf-16-le")))
    if images:
        tree.append(
            ("BinData", [(f"BIN{n:04d}.png", pack(img)) for n, img in enumerate(images, 1)])
        )
    return _compound(streams, tree)


def _compound(
    streams: list[tuple[str, bytes]], storages: list[tuple[str, list[tuple[str, bytes]]]]
) -> bytes:
    """A version-3 compound file; each storage's children chained as right siblings."""
    data = bytearray()
    fat: list[int] = []

    def place(blob: bytes) -> tuple[int, int]:
        blob = blob.ljust(max(4096, len(blob)), b"\0")
        blob = blob.ljust(-(-len(blob) // _SECTOR) * _SECTOR, b"\0")
        start = len(fat)
        count = len(blob) // _SECTOR
        fat.extend(range(start + 1, start + count))
        fat.append(_END)
        data.extend(blob)
        return start, len(blob)

    entries: list[dict[str, int | str]] = [
        {"name": "Root Entry", "type": 5, "child": _NONE, "start": _END, "size": 0}
    ]

    def add(name: str, kind: int, start: int = 0, size: int = 0) -> int:
        entries.append({"name": name, "type": kind, "child": _NONE, "start": start, "size": size})
        return len(entries) - 1

    def chain(parent: int, children: list[int]) -> None:
        entries[parent]["child"] = children[0] if children else _NONE
        for left, right in itertools.pairwise(children):
            entries[left]["right"] = right

    top: list[int] = []
    for stream_name, blob in streams:
        start, size = place(blob)
        top.append(add(stream_name, 2, start, size))
    for storage_name, members in storages:
        storage = add(storage_name, 1, _END)
        kids = []
        for child, blob in members:
            start, size = place(blob)
            kids.append(add(child, 2, start, size))
        chain(storage, kids)
        top.append(storage)
    chain(0, top)
    directory = bytearray()
    for entry in entries:
        name = str(entry["name"]).encode("utf-16-le") + b"\0\0"
        directory += name.ljust(64, b"\0") + struct.pack(
            "<HBBIII",
            len(name),
            int(entry["type"]),
            1,
            _NONE,
            int(entry.get("right", _NONE)),
            int(entry["child"]),
        )
        directory += bytes(16 + 4 + 16) + struct.pack(
            "<IQ", int(entry["start"]), int(entry["size"])
        )
    directory = directory.ljust(-(-len(directory) // _SECTOR) * _SECTOR, b"\0")
    first_directory = len(fat)
    count = len(directory) // _SECTOR
    fat.extend(range(first_directory + 1, first_directory + count))
    fat.append(_END)
    data += directory
    fat_sectors = -(-(len(fat) + 1) // (_SECTOR // 4))
    while fat_sectors * (_SECTOR // 4) < len(fat) + fat_sectors:
        fat_sectors += 1
    first_fat = len(fat)
    fat.extend([_FAT] * fat_sectors)
    table = b"".join(struct.pack("<I", v) for v in fat)
    table = table.ljust(fat_sectors * _SECTOR, b"\xff")
    difat = [first_fat + i for i in range(fat_sectors)] + [_FREE] * (109 - fat_sectors)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, fat_sectors, first_directory, 0, 4096, _END, 0, _END, 0)
        + b"".join(struct.pack("<I", v) for v in difat)
    )
    return header + bytes(data) + table
