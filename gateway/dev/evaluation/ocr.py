"""``haetae eval --ocr``: how well screenshots of Korean and English text are read.

Each sample line, holding planted values (resident numbers, phone and card
numbers, e-mail addresses), is drawn with Pillow the way a screen shows it
(black on white, NanumGothic) at several text sizes, read back through the
gateway's own OCR path (``attachments.ocr``), and scored two ways:

- character accuracy: 1 − edit distance / length, whitespace ignored, of the
  better of the two readings the gateway takes (``ocr.py``);
- entity recall: the share of planted values the detector finds in the
  recognised text with the right type (what the guard depends on).

The font is the one ``make install`` puts in place (``fonts-nanum``).
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

from gateway.attachments.ocr import ocr_readings, ocr_status
from gateway.attachments.result import AttachmentLimits

__all__ = ["SAMPLES", "char_accuracy", "run_ocr_evaluation"]

FONT = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
SIZES = (14, 18, 24, 32)  # pixel heights of screen text: small UI text to a heading

_RRN, _CARD, _MAIL = "KR_RRN", "CREDIT_CARD", "EMAIL_ADDRESS"

#: (script, line, [(entity type, planted value)])
SAMPLES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("ko", "고객 주민등록번호: 900101-1234568", ((_RRN, "900101-1234568"),)),
    ("ko", "담당자 연락처 010-2345-6789 로 회신 바랍니다", (("PHONE_NUMBER", "010-2345-6789"),)),
    ("ko", "환불 계좌 카드번호 4111 1111 1111 1111 확인", ((_CARD, "4111 1111 1111 1111"),)),
    (
        "ko",
        "보고서는 kim.minsu@example.co.kr 으로 보내 주세요",
        ((_MAIL, "kim.minsu@example.co.kr"),),
    ),
    ("ko", "신청인 850315-2345678 의 서류를 검토했습니다", ((_RRN, "850315-2345678"),)),
    ("ko", "회의록: 다음 주 화요일 오후 세 시에 본사 회의실", ()),
    ("en", "Customer SSN on file: 900101-1234568 (Korean RRN)", ((_RRN, "900101-1234568"),)),
    ("en", "Call me at 010-9876-5432 after the meeting", (("PHONE_NUMBER", "010-9876-5432"),)),
    ("en", "Card 5500 0000 0000 0004 expires next month", ((_CARD, "5500 0000 0000 0004"),)),
    ("en", "Send the draft to jane.doe@example.com today", ((_MAIL, "jane.doe@example.com"),)),
    ("en", "Quarterly revenue grew three percent over plan", ()),
)


@dataclass(frozen=True, slots=True)
class Score:
    script: str
    size: int
    accuracy: float
    found: int
    planted: int
    seconds: float


def char_accuracy(reference: str, read: str) -> float:
    """1 − Levenshtein distance / reference length, whitespace ignored (floored at 0)."""
    a, b = re.sub(r"\s+", "", reference), re.sub(r"\s+", "", read)
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right))
            )
        previous = current
    return max(0.0, 1.0 - previous[-1] / max(1, len(a)))


def _render(line: str, size: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), size)
    width = int(font.getlength(line)) + 2 * size
    image = Image.new("RGB", (width, size * 3), "white")
    ImageDraw.Draw(image).text((size, size), line, font=font, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _digits(text: str) -> str:
    return re.sub(r"[^0-9a-z@.]", "", text.lower())


def run_ocr_evaluation(
    output: Path | None = None,
    sizes: tuple[int, ...] = SIZES,
    samples: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = SAMPLES,
) -> int:
    """Print (and optionally write) the table; 1 when OCR or the font is missing."""
    problem = ocr_status("kor+eng")
    if problem or not FONT.exists():
        print(f"OCR evaluation skipped: {problem or f'{FONT} is missing (fonts-nanum)'}")
        return 1
    from gateway.detect import DetectionEngine

    engine = DetectionEngine()
    limits = AttachmentLimits()
    scores: list[Score] = []
    for size in sizes:
        for script, line, planted in samples:
            started = time.perf_counter()
            readings = ocr_readings(_render(line, size), "png", limits)
            seconds = time.perf_counter() - started
            read = "\n".join(readings)  # what the gateway scans
            findings = engine.scan(read)
            seen = {(f.entity_type, _digits(read[f.start : f.end])) for f in findings}
            found = sum((kind, _digits(value)) in seen for kind, value in planted)
            scores.append(
                Score(
                    script,
                    size,
                    max((char_accuracy(line, r) for r in readings), default=0.0),
                    found,
                    len(planted),
                    seconds,
                )
            )
    lines = [
        "| script | text height (px) | lines | character accuracy | entity recall "
        "| OCR time per line |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for script in ("ko", "en"):
        for size in sizes:
            group = [s for s in scores if s.script == script and s.size == size]
            if not group:
                continue
            total = sum(s.planted for s in group)
            lines.append(
                f"| {script} | {size} | {len(group)} | "
                f"{sum(s.accuracy for s in group) / len(group):.1%} | "
                f"{sum(s.found for s in group)}/{total} "
                f"({sum(s.found for s in group) / max(1, total):.0%}) | "
                f"{1000 * sum(s.seconds for s in group) / len(group):.0f} ms |"
            )
    table = "\n".join(lines)
    print(table)
    if output is not None:
        output.write_text(table + "\n", encoding="utf-8")
    return 0
