"""Disguised identifiers are found, and redaction edits the original characters."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.normalize import normalize_for_scan

RRN = "900101-1234568"


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(entities=["KR_RRN", "EMAIL_ADDRESS", "CREDIT_CARD"])


@pytest.mark.parametrize(
    ("text", "disguised"),
    [
        ("주민번호 ９００１０１－１２３４５６８ 입니다", "９００１０１－１２３４５６８"),
        ("RRN 900\u200b101-12\u200d34568.", "900\u200b101-12\u200d34568"),
        ("id \u2066900101-1234568\u2069 end", "900101-1234568"),
        ("번호 900101\u20111234568이고", "900101\u20111234568"),
        ("번호 9 0 0 1 0 1 1 2 3 4 5 6 8 이요", "9 0 0 1 0 1 1 2 3 4 5 6 8"),
        ("카드 ４１１１ １１１１ １１１１ １１１１", "４１１１ １１１１ １１１１ １１１１"),
        ("mail ｋｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ now", "ｋｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    ],
)
def test_disguised_identifiers_are_found_at_their_original_offsets(
    engine: DetectionEngine, text: str, disguised: str
) -> None:
    findings = [f for f in engine.scan(text) if f.score >= 0.5]
    assert findings, text
    best = max(findings, key=lambda f: f.score)
    assert disguised in text[best.start : best.end] or text[best.start : best.end] in disguised
    # The span covers the whole disguised value, so redaction leaves nothing of it behind.
    covered = text[best.start : best.end]
    assert (
        sum(c.isdigit() or c.isalpha() for c in covered)
        >= sum(c.isdigit() or c.isalpha() for c in disguised.replace(" ", "")) - 1
    )


def test_plain_text_is_scanned_as_is() -> None:
    view = normalize_for_scan("평범한 문장 900101-1234568 and v1.2.3")
    assert not view.changed
    assert view.original_span(3, 9) == (3, 9)


@pytest.mark.parametrize(
    "text",
    ["version 1.2.3.4.5.6.7.8", "scores 1 2 3 4 5", "2024. 1. 15.", "좌표 37.5665, 126.9780"],
)
def test_ordinary_numbers_are_not_closed_up(text: str) -> None:
    assert normalize_for_scan(text).text == text


def test_offsets_map_back_through_removed_and_expanded_characters() -> None:
    text = "a\u200bb①c"
    view = normalize_for_scan(text)
    assert view.text == "ab1c"
    assert view.original_span(0, 4) == (0, len(text))
    assert view.original_span(2, 3) == (3, 4)  # "1" came from "①"


@pytest.fixture(scope="module")
def full_engine() -> DetectionEngine:
    return DetectionEngine()


@pytest.mark.parametrize(
    ("text", "disguised", "entity"),
    [
        (
            "Send it to jpark_dkim at gmail dot com and cc me.",
            "jpark_dkim at gmail dot com",
            "EMAIL_ADDRESS",
        ),
        (
            "메일 taeho83 at korea dot ac dot kr인데",
            "taeho83 at korea dot ac dot kr",
            "EMAIL_ADDRESS",
        ),
        ("mail kim[at]example[dot]com now", "kim[at]example[dot]com", "EMAIL_ADDRESS"),
        ("mail kim(at)example.com now", "kim(at)example.com", "EMAIL_ADDRESS"),
        ("mail kim @ example . com now", "kim @ example . com", "EMAIL_ADDRESS"),
        (
            "GET /q?email=minsu.seoyeon%40outlook.com&x=1",
            "minsu.seoyeon%40outlook.com",
            "EMAIL_ADDRESS",
        ),
        ('{"rrn": "900101\\u002d1234568"}', "900101\\u002d1234568", "KR_RRN"),
        ("GET /q?rrn=900101%2D1234568&x=1", "900101%2D1234568", "KR_RRN"),
        ("server 113[.]112[.]54[.]42 down", "113[.]112[.]54[.]42", "IP_ADDRESS"),
        (
            "/q?iban=FR59+7563+1489+0844+2165+7466+780&x",
            "FR59+7563+1489+0844+2165+7466+780",
            "IBAN_CODE",
        ),
        (  # "+" is a space in a query, between capitals too
            "Open https://crm.internal/lookup?iban=NL55+BSSE+7583+1989+77&lang=ko",
            "NL55+BSSE+7583+1989+77",
            "IBAN_CODE",
        ),
        (  # ... but a literal "+" in an unencoded e-mail address stays
            "GET /q?email=KIM2+1@EXAMPLE.COM&x=1",
            "KIM2+1@EXAMPLE.COM",
            "EMAIL_ADDRESS",
        ),
        ("외국인등록번호 570829.6859694, 부서", "570829.6859694", "KR_FRN"),
        ("card 6011.3366.0278.8236 please", "6011.3366.0278.8236", "CREDIT_CARD"),
        ("IBAN GB28.RUQP.1504.2478.6829.30으로", "GB28.RUQP.1504.2478.6829.30", "IBAN_CODE"),
        ("사업자등록번호가 169.87.80532인데", "169.87.80532", "KR_BRN"),
        ("국민은행 계좌 507.8533.7336.11입니다", "507.8533.7336.11", "KR_BANK_ACCOUNT"),
        ("여권번호는R733 3283 4입니다", "R733 3283 4", "KR_PASSPORT"),
    ],
)
def test_escaped_and_regrouped_identifiers_cover_the_whole_disguise(
    full_engine: DetectionEngine, text: str, disguised: str, entity: str
) -> None:
    found = [f for f in full_engine.scan(text) if f.entity_type == entity and f.score >= 0.5]
    start = text.index(disguised)
    assert [(f.start, f.end) for f in found] == [(start, start + len(disguised))], found


@pytest.mark.parametrize(
    "text",
    [
        "I'm at home. It is late.",
        "people at the dot com party",
        "Sign in at github.com first",
        "build 1.20.300 from 2024.01.15.1234",
        "배포 일정은 2024.01.15 ~ 2024.01.17입니다",
        "좌표 37.5665 126.9780",
        "12345 + 67890 = 80235, right?",
        "The quote is $12,345.67 per year.",
    ],
)
def test_ordinary_text_gains_no_findings(full_engine: DetectionEngine, text: str) -> None:
    assert [f for f in full_engine.scan(text) if f.score >= 0.5] == []


def test_obfuscated_email_maps_to_the_whole_span() -> None:
    text = "to kim at example dot com."
    view = normalize_for_scan(text)
    assert view.text == "to kim@example.com."
    assert text[slice(*view.original_span(3, 18))] == "kim at example dot com"


def test_plain_text_is_marked_unshaped() -> None:
    assert not normalize_for_scan("이번 분기 실적을 요약해 주세요. Please list three risks.").shaped
    assert normalize_for_scan("계좌 110 123 456789").shaped


@pytest.mark.parametrize("before", ["주민번호 ", "RRN ", "이번 분기 실적 " * 50])
def test_mathematical_digits_are_read_in_korean_and_english_text(before: str) -> None:
    # digits above the BMP are looked for in the same pass as the other disguises
    digits = "".join(chr(0x1D7CE + int(d)) if d.isdigit() else d for d in RRN)
    text = f"{before}{digits} 입니다"
    view = normalize_for_scan(text)
    assert RRN in view.text
    start = view.text.index(RRN)
    assert text[slice(*view.original_span(start, start + len(RRN)))] == digits


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("계좌 110 123 456789", True),
        ("번호 110·123", True),  # a separator beyond ASCII
        ("번호 110•123", True),
        ("코드 12\t34", True),
        ("키 Ab3dEfGhIjKl 입니다", True),  # a capital then 11 base64 characters
        ("키 ab3defghijkl 입니다", False),  # no capital or digit before them
        ("이번 분기 실적을 요약해 주세요. Please list three risks.", False),
        ("Q? 한 A", False),
    ],
)
def test_digit_groups_and_long_runs_mark_the_text_shaped(text: str, shaped: bool) -> None:
    # read on a one-byte-per-character copy: Hangul must neither join nor break a group
    assert normalize_for_scan(text).shaped is shaped
