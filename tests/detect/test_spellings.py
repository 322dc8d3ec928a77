"""Every spelling of a value: each disguise class, for each identifier it applies to.

For each class the table holds several variants carrying a resident registration number,
a card, a phone number and an AWS key. A variant passes when the right entity is found at
0.5 or more and its span in the *original* text covers the whole disguised value, so a
redaction removes the disguise with the value. The hard negatives below must stay silent.
"""

from __future__ import annotations

import base64
import random
import urllib.parse
from collections.abc import Callable

import pytest

from gateway.detect import DetectionEngine

RRN = "900101-1234568"
CARD = "4111 1111 1111 1111"
PHONE = "010-1234-5678"
AWS_ID = "AKIA2E0A8F3B244C9986"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY8a2b3c4d5e"
Spelling = Callable[[str], str]

ENTITIES = [
    "KR_RRN",
    "CREDIT_CARD",
    "PHONE_NUMBER",
    "SECRET_AWS_ACCESS_KEY",
    "SECRET_AWS_SECRET_KEY",
]

# Where each identifier is written: a sentence with a context word, as people paste them.
FRAMES = {
    "KR_RRN": "주민번호 {v} 로 조회해 주세요",
    "CREDIT_CARD": "card number {v} exp 12/27",
    "PHONE_NUMBER": "연락처 {v} 으로 전화 주세요",
    "SECRET_AWS_ACCESS_KEY": "aws key id {v} in prod",
}
VALUES = {
    "KR_RRN": RRN,
    "CREDIT_CARD": CARD,
    "PHONE_NUMBER": PHONE,
    "SECRET_AWS_ACCESS_KEY": AWS_ID,
}


def _digits(value: str, zero: int) -> str:
    """``value`` with its digits written from the code point of ``zero`` on."""
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in value)


def _mapped(value: str, table: str) -> str:
    return "".join(table[int(c)] if c.isdigit() else c for c in value)


SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUBSCRIPT = "₀₁₂₃₄₅₆₇₈₉"
CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"
NEGATIVE_CIRCLED = "⓿❶❷❸❹❺❻❼❽❾"

DIGIT_SCRIPTS: dict[str, Spelling] = {
    "arabic-indic": lambda v: _digits(v, 0x660),
    "extended-arabic-indic": lambda v: _digits(v, 0x6F0),
    "devanagari": lambda v: _digits(v, 0x966),
    "bengali": lambda v: _digits(v, 0x9E6),
    "thai": lambda v: _digits(v, 0xE50),
    "tibetan": lambda v: _digits(v, 0xF20),
    "myanmar": lambda v: _digits(v, 0x1040),
    "fullwidth": lambda v: _digits(v, 0xFF10),
    "math-bold": lambda v: _digits(v, 0x1D7CE),
    "math-monospace": lambda v: _digits(v, 0x1D7F6),
    "superscript": lambda v: _mapped(v, SUPERSCRIPT),
    "subscript": lambda v: _mapped(v, SUBSCRIPT),
    "circled": lambda v: _mapped(v, CIRCLED),
    "negative-circled": lambda v: _mapped(v, NEGATIVE_CIRCLED),
}


def _separated(value: str, separator: str) -> str:
    return separator.join(value.replace("-", " ").split(" "))


SEPARATORS: dict[str, Spelling] = {
    "tab": lambda v: _separated(v, "\t"),
    "no-break space": lambda v: _separated(v, "\u00a0"),
    "thin space": lambda v: _separated(v, "\u2009"),
    "narrow no-break space": lambda v: _separated(v, "\u202f"),
    "ideographic space": lambda v: _separated(v, "\u3000"),
    "line separator": lambda v: _separated(v, "\u2028"),
    "spaced hyphen": lambda v: _separated(v, " - "),
    "spaced dot": lambda v: _separated(v, " . "),
    "dots": lambda v: _separated(v, "."),
    "double space": lambda v: _separated(v, "  "),
}

# Mixed separators and regrouping inside one identifier.
MIXED = [
    ("KR_RRN", "900101\n1234568"),  # broken once across lines
    ("KR_RRN", "900101 - 1234568"),
    ("KR_RRN", "900101\t1234568"),
    ("KR_RRN", "9001 01-12 34568"),
    ("KR_RRN", "9001.01.1234.568"),
    ("KR_RRN", "90 01 01\t12 345 68"),
    ("CREDIT_CARD", "4111 1111-1111.1111"),
    ("CREDIT_CARD", "4111\t1111 1111\t1111"),
    ("CREDIT_CARD", "41 11 1111-1111 1111"),
    ("PHONE_NUMBER", "010.1234 5678"),
    ("PHONE_NUMBER", "010 - 1234\t5678"),
]

SINO = "공일이삼사오육칠팔구"
NATIVE = ["영", "하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉"]
HANJA = "〇一二三四五六七八九"
FINANCIAL = "零壹貳參肆伍陸柒捌玖"
ENGLISH = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _words(value: str, words: list[str] | str, digit_gap: str, group_gap: str) -> str:
    groups = value.replace("-", " ").split(" ")
    return group_gap.join(digit_gap.join(words[int(c)] for c in group) for group in groups)


NUMBER_WORDS: dict[str, Spelling] = {
    "sino glued": lambda v: _words(v, SINO, "", " "),
    "sino spaced": lambda v: _words(v, SINO, " ", " "),
    "sino hyphen": lambda v: _words(v, SINO, "", "-"),
    "sino with 영": lambda v: _words(v, SINO.replace("공", "영"), "", " "),
    "native spaced": lambda v: _words(v, NATIVE, " ", " "),
    "native glued": lambda v: _words(v, NATIVE, "", " "),
    "hanja glued": lambda v: _words(v, HANJA, "", "-"),
    "hanja 零": lambda v: _words(v, HANJA.replace("〇", "零"), "", " "),
    "financial hanja": lambda v: _words(v, FINANCIAL, "", " "),
    "english spaced": lambda v: _words(v, ENGLISH, " ", " "),
    "english commas": lambda v: _words(v, ENGLISH, ", ", ", "),
    "english hyphen": lambda v: _words(v, ENGLISH, " ", " - "),
    "english glued": lambda v: _words(v, ENGLISH, "", " "),
    "english capitals": lambda v: _words(v, [w.upper() for w in ENGLISH], " ", " "),
    "english oh": lambda v: _words(v, ["oh", *ENGLISH[1:]], " ", " "),
}


def _percent(value: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in value)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


ENCODINGS: dict[str, Spelling] = {
    "percent": _percent,
    "percent twice": lambda v: _percent(v).replace("%", "%25"),
    "percent (quote)": lambda v: urllib.parse.quote(v, safe=""),
    "html decimal": lambda v: "".join(f"&#{ord(c)};" for c in v),
    "html hex": lambda v: "".join(f"&#x{ord(c):x};" for c in v),
    "c hex escapes": lambda v: "".join(f"\\x{ord(c):02x}" for c in v),
    "json escapes": lambda v: "".join(f"\\u{ord(c):04x}" for c in v),
    "hex": lambda v: v.encode().hex(),
    "hex upper": lambda v: v.encode().hex().upper(),
    "hex literal": lambda v: "0x" + v.encode().hex(),
    "base64": _b64,
    "base64 url-safe": lambda v: base64.urlsafe_b64encode(v.encode()).decode().rstrip("="),
    "base64 padding percent-encoded": lambda v: _b64(v).replace("=", "%3D"),
    "base64 of a sentence": lambda v: _b64(f"the value is {v}, keep it"),
    "base64 of base64": lambda v: _b64(_b64(v)),
    "base64 of hex": lambda v: _b64(v.encode().hex()),
    "hex of base64": lambda v: _b64(v).encode().hex(),
    "base64 of percent": lambda v: _b64(_percent(v)),
}

# The AWS key id has letters: number words and most separators do not apply to it.
CASES: list[tuple[str, str, str, str]] = []
for _entity, _value in VALUES.items():
    for _name, _spell in DIGIT_SCRIPTS.items():
        CASES.append((f"digits/{_name}", _entity, FRAMES[_entity], _spell(_value)))
    for _name, _encode in ENCODINGS.items():
        CASES.append((f"encoding/{_name}", _entity, FRAMES[_entity], _encode(_value)))
    if _entity == "SECRET_AWS_ACCESS_KEY":
        continue
    for _name, _separate in SEPARATORS.items():
        CASES.append((f"separator/{_name}", _entity, FRAMES[_entity], _separate(_value)))
    for _name, _spell_out in NUMBER_WORDS.items():
        CASES.append((f"words/{_name}", _entity, FRAMES[_entity], _spell_out(_value)))
for _entity, _mixed in MIXED:
    CASES.append(("separator/mixed", _entity, FRAMES[_entity], _mixed))
# A disguise on a disguise: Arabic-Indic digits with a tab, full-width words glued.
CASES += [
    ("combined/arabic+tab", "KR_RRN", FRAMES["KR_RRN"], _digits("900101\t1234568", 0x660)),
    ("combined/words+nbsp", "KR_RRN", FRAMES["KR_RRN"], "구공공일공일\u00a0일이삼사오육팔"),
    ("combined/zero-width words", "KR_RRN", FRAMES["KR_RRN"], "구공공일공\u200b일 일이삼사오육팔"),
    (
        "combined/fullwidth english",
        "PHONE_NUMBER",
        FRAMES["PHONE_NUMBER"],
        "ｚｅｒｏ ｏｎｅ ｚｅｒｏ one two three four five six seven eight",
    ),
    (
        "combined/words in JSON",
        "KR_RRN",
        '{{"rrn": "{v}"}}',
        "nine zero zero one zero one one two three four five six eight",
    ),
]


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(entities=ENTITIES)


@pytest.mark.parametrize(
    ("entity", "frame", "value"),
    [
        pytest.param(entity, frame, value, id=f"{name}/{entity}")
        for name, entity, frame, value in CASES
    ],
)
def test_every_spelling_is_found_and_covered(
    engine: DetectionEngine, entity: str, frame: str, value: str
) -> None:
    before, after = frame.split("{v}")
    text = before + value + after
    start, end = len(before), len(before) + len(value)
    found = [f for f in engine.scan(text) if f.entity_type == entity and f.score >= 0.5]
    assert found, f"{entity} not found in {text!r}"
    # One finding covers the whole disguised value: a redaction leaves nothing of it.
    assert any(f.start <= start and f.end >= end for f in found), [
        (f.start, f.end, text[f.start : f.end]) for f in found
    ]


@pytest.mark.parametrize(
    "text",
    [
        'aws_secret_access_key = "{s}"',
        "aws secret aCCess key: {s}",
        "AWS Secret Access Key: {s}",
        "secret  access\tkey = {s}",
        "SECRET_ACCESS_KEY={s}",
        "secret-access-key: {s}",
        "secret.access.key={s}",
        "SecretAccessKey: {s}",
        "sEcReT_aCcEsS_kEy => '{s}'",
    ],
)
def test_key_names_in_any_case_and_spacing(engine: DetectionEngine, text: str) -> None:
    text = text.format(s=AWS_SECRET)
    found = [f for f in engine.scan(text) if f.entity_type == "SECRET_AWS_SECRET_KEY"]
    assert [text[f.start : f.end] for f in found] == [AWS_SECRET]


@pytest.mark.parametrize(
    "text",
    [
        "API Key: 7fG2kLp9Qx4vNz81TbR5wYc3",
        "api  key = 7fG2kLp9Qx4vNz81TbR5wYc3",
        "CLIENT-SECRET: 7fG2kLp9Qx4vNz81TbR5wYc3",
    ],
)
def test_generic_key_names_in_any_spacing(text: str) -> None:
    engine = DetectionEngine(entities=["SECRET_GENERIC_API_KEY"])
    found = [text[f.start : f.end] for f in engine.scan(text) if f.score >= 0.5]
    assert found == ["7fG2kLp9Qx4vNz81TbR5wYc3"]


_RANDOM = random.Random(20240601)
HARD_NEGATIVES = [
    # Number words in prose: too short, or not shaped like any identifier.
    "하나 둘 셋 하면 다 같이 뛰어요.",
    "하나, 둘, 셋, 넷, 다섯, 여섯, 일곱, 여덟, 아홉, 열! 다 셌다.",
    "일이 삼사일 걸릴 것 같아요. 오이 사이 이사 공사 구이 일일 점검.",
    "이 일이 사이 좋게 오늘 끝나면 구월 삼일에 이사 가요.",
    "One or two of the three options, maybe four or five; six at most.",
    "one two three four five six seven eight nine ten, here I come!",
    "Someone phoned at nine; none of the five tones were one-off.",
    "一二三四五六七八九十, 百千万。",
    "我有一个苹果和三个橘子, 第一次来。",
    "Zero, one, two: the first three natural numbers, then three, four, five.",
    # Ordinary numbers in other scripts.
    "لدي ٣ قطط و ٢ كلاب، وعمري ٤٥ سنة.",
    "في عام ٢٠٢٤ زرت ١٢ مدينة.",
    "मेरे पास ३ किताबें हैं और २०२४ में ५ और खरीदीं।",
    "ราคา ๑๒๕ บาท ส่งวันที่ ๑๕",
    "x² + y² = z³, H₂O and CO₂, footnote¹ and ②.",
    # Hashes, random bytes, ids.
    "sha256 " + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "md5 d41d8cd98f00b204e9800998ecf8427e and commit 3e7cc2a4b1",
    "key " + base64.b64encode(_RANDOM.randbytes(32)).decode(),
    "iv " + base64.b64encode(_RANDOM.randbytes(12)).decode(),
    "nonce " + _RANDOM.randbytes(16).hex(),
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    # Numbers with separators that are not identifiers.
    "1\t2\t3\t4\t5\t6\t7\t8\t9",
    "2024\t01\t15\t10:30\t200\t1532",
    "합계\n12\n345\n6789",
    "version 1.2.3 - 4.5.6 - 7.8.9",
    "scores: 10 - 12 - 15 - 20 - 9",
    "%2F%2Fhome%2Fuser%2Fdocs",
    "&#9731; &#x2603; snowmen",
]


@pytest.fixture(scope="module")
def wide_engine() -> DetectionEngine:
    return DetectionEngine(
        entities=[
            *ENTITIES,
            "KR_FRN",
            "KR_BRN",
            "KR_CRN",
            "KR_BANK_ACCOUNT",
            "KR_DRIVER_LICENSE",
            "KR_PASSPORT",
            "US_SSN",
            "IBAN_CODE",
            "IP_ADDRESS",
            "EMAIL_ADDRESS",
        ]
    )


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_stay_silent(wide_engine: DetectionEngine, text: str) -> None:
    assert [
        (f.entity_type, text[f.start : f.end]) for f in wide_engine.scan(text) if f.score >= 0.5
    ] == []
