"""What reading an attachment gives: located texts, or a reason it cannot be read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "REASONS",
    "AttachmentLimits",
    "ReadAttachment",
    "Reason",
    "UninspectableAttachment",
    "describe",
]

#: why a file could not be read; policies and audit records use these words
Reason = Literal[
    "encrypted",
    "bomb",
    "too_large",
    "too_deep",
    "unreadable",
    "ocr_unavailable",
    "timeout",
    "unsupported",
]
REASONS: tuple[str, ...] = get_args(Reason)

_WHY: dict[str, tuple[str, str]] = {
    "encrypted": ("it is encrypted or password-protected", "암호화되어 있거나 암호가 걸려 있어"),
    "bomb": (
        "it expands far beyond its size (a decompression bomb)",
        "압축을 풀면 크기가 비정상적으로 커져(압축 폭탄)",
    ),
    "too_large": ("it is over the size limits for inspection", "검사 크기 제한을 넘어"),
    "too_deep": ("it nests archives or objects too deeply", "압축이나 개체가 너무 깊게 중첩되어"),
    "unreadable": ("it is damaged or not what it claims to be", "손상되었거나 형식이 맞지 않아"),
    "ocr_unavailable": (
        "it is an image and text recognition (OCR) is not installed on this gateway",
        "이미지인데 이 게이트웨이에 문자 인식(OCR)이 설치되어 있지 않아",
    ),
    "timeout": ("reading it took longer than the time limit", "읽는 데 제한 시간을 넘겨"),
    "unsupported": (
        "its format cannot be read by this gateway",
        "이 게이트웨이가 읽을 수 없는 형식이라",
    ),
}


def describe(reason: str, name: str, language: str = "en") -> str:
    """One sentence on why ``name`` cannot be inspected, in Korean or English."""
    english, korean = _WHY.get(reason, _WHY["unreadable"])
    if language == "ko":
        return f"첨부 파일 {name}은(는) {korean} 검사할 수 없습니다"
    return f"the attached file {name} cannot be inspected: {english}"


class UninspectableAttachment(Exception):
    """A file the gateway cannot read, so cannot guard: never passed on unread.

    ``reason`` is one of ``REASONS``; ``name`` is how the file is named to the
    caller (its file name, or its kind); ``kind`` is the sniffed format, when known.
    """

    def __init__(self, reason: Reason, name: str = "", kind: str = "") -> None:
        super().__init__(reason)
        self.reason: Reason = reason
        self.name = name or kind or "file"
        self.kind = kind

    @property
    def message_en(self) -> str:
        return describe(self.reason, _quoted(self.name), "en")

    @property
    def message_ko(self) -> str:
        return describe(self.reason, _quoted(self.name), "ko")

    def message(self, language: str) -> str:
        return self.message_ko if language == "ko" else self.message_en

    def __reduce__(self) -> tuple[type[UninspectableAttachment], tuple[str, str, str]]:
        return (type(self), (self.reason, self.name, self.kind))


def _quoted(name: str) -> str:
    return f"'{name[:80]}'"


@dataclass(frozen=True, slots=True)
class ReadAttachment:
    """The text of one file, place by place.

    ``texts`` pairs a location inside the file (``"page 3"``, ``"sheet Q1!B4"``,
    ``"word/document.xml"``) with the text found there. ``editable`` is true only
    for plain-text formats, which are rewritten in place; ``charset`` is theirs.
    """

    kind: str
    texts: tuple[tuple[str, str], ...]
    editable: bool
    size_bytes: int
    charset: str | None = None
    #: images read by OCR (a screenshot is 1; images inside a document count too)
    images: int = 0

    @property
    def chars(self) -> int:
        return sum(len(text) for _, text in self.texts)


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    """The bounds every read keeps (``attachments.*`` settings); picklable for workers."""

    max_file_bytes: int = 32 * 1024 * 1024
    max_chars: int = 1_000_000
    max_pages: int = 500
    max_zip_entries: int = 1_000
    max_zip_ratio: int = 100
    max_unpacked_bytes: int = 256 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_images: int = 20
    ocr_languages: str = "kor+eng"
    ocr: bool = True
    timeout_seconds: float = 30.0
    memory_bytes: int = 1024 * 1024 * 1024
