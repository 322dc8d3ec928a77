"""Disguised variants of the second kind: other spellings of the value itself.

The first disguised variants (``corpus._disguised``) hide a value behind full-width forms,
invisible characters and wrappers. These spell it differently: digits of other scripts,
other separators, digits written as words, and encodings (percent, hex, base64, nested
once). Each style applies where it makes sense: words only to all-digit identifiers,
separators only to grouped numbers; elsewhere the style falls back to an encoding. The tables
here are the corpus' own, written independently of the detector's.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable

from gateway.dev.evaluation.templates import Language, fill_particles, templates_for

__all__ = ["SPELLING_STYLES", "spelled"]

#: The styles, in the order the corpus cycles through them.
SPELLING_STYLES = ("digits", "separators", "words", "percent", "hex", "base64", "nested")

# First code point of the digits 0-9 of some scripts (Unicode decimal digits are contiguous).
_SCRIPTS = (0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xF20, 0xFF10, 0x1D7CE, 0x1D7EC)
_TABLES = ("⁰¹²³⁴⁵⁶⁷⁸⁹", "₀₁₂₃₄₅₆₇₈₉", "⓪①②③④⑤⑥⑦⑧⑨")
_SEPARATORS = ("\t", "\n", "\u00a0", "\u2009", "\u202f", "\u3000", " - ", " . ", "  ")
_WORDS: dict[str, tuple[tuple[str, ...], str]] = {
    # language: (words for 0-9, gap between the words of one group)
    "sino": (("공", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"), ""),
    "sino-spaced": (("영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"), " "),
    "native": (("영", "하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉"), " "),
    "hanja": (("〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"), ""),
    "english": (
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
        " ",
    ),
}
_BLOB_FRAMES: tuple[tuple[Language, str], ...] = (
    ("ko", "이 base64 디코딩해서 요약해줘: {v}"),
    ("en", "Decode this and summarize it: {v}"),
    ("en", "payload={v}"),
)
_HEX_FRAMES: tuple[tuple[Language, str], ...] = (
    ("ko", "hex 덤프야, 풀어서 알려줘: {v}"),
    ("en", "hex dump: {v} (what does it say?)"),
)


def spelled(rng: random.Random, entity: str, value: str, style: str) -> tuple[Language, str, str]:
    """(language, template with ``{v}``, disguised value) for one variant of ``style``."""
    groups = value.replace("-", " ").split(" ")
    digits_only = all(group.isdigit() for group in groups)
    if style == "digits" and any(char.isdigit() for char in value):
        return _in_template(rng, entity, _other_digits(rng, value))
    if style == "separators" and digits_only and len(groups) > 1:
        separator = rng.choice(_SEPARATORS)
        if separator == "\n" and len(groups) > 2:
            separator = "\t"  # a value broken once across lines; more is a split (§3)
        return _in_template(rng, entity, separator.join(groups))
    if style == "words" and digits_only:
        return _in_template(rng, entity, _words(rng, groups))
    if style in ("percent", "digits", "separators", "words"):
        return _in_template(rng, entity, "".join(f"%{ord(char):02X}" for char in value))
    # Encodings hide the context words too, so the whole message is encoded: a decoded text
    # is scanned on its own.
    _, message = _in_template(rng, entity, value)[:2]
    message = fill_particles(message, value).replace("{v}", value)
    encode: Callable[[str], str]
    if style == "hex":
        language, frame = rng.choice(_HEX_FRAMES)
        return language, frame, message.encode().hex()
    if style == "base64":
        encode = _b64
    else:  # nested: base64 of the percent-encoded or of the hex-encoded message
        encode = rng.choice((lambda m: _b64(_percent(m)), lambda m: _b64(m.encode().hex())))
    language, frame = rng.choice(_BLOB_FRAMES)
    return language, frame, encode(message)


def _in_template(rng: random.Random, entity: str, value: str) -> tuple[Language, str, str]:
    templates = templates_for(entity)
    language, template = templates[rng.randrange(len(templates))]
    if "{bank}" in template:
        template = template.replace("{bank}", "국민은행")
    return language, template, value


def _other_digits(rng: random.Random, value: str) -> str:
    if rng.random() < 0.7:
        zero = rng.choice(_SCRIPTS)
        return "".join(chr(zero + int(char)) if char.isdigit() else char for char in value)
    table = rng.choice(_TABLES)
    return "".join(table[int(char)] if char.isdigit() else char for char in value)


def _words(rng: random.Random, groups: list[str]) -> str:
    words, gap = _WORDS[rng.choice(sorted(_WORDS))]
    # Groups stay apart as people read them out: a space between glued groups, a pause
    # (comma) or a hyphen between words read one by one.
    between = rng.choice((" ", "-", " - ")) if gap == "" else rng.choice((", ", " - "))
    return between.join(gap.join(words[int(char)] for char in group) for group in groups)


def _percent(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode())


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
