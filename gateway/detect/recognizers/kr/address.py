"""Korean postal addresses: road-name (도로명주소) and lot-number (지번) forms.

A road name or a 동/리 followed by a number is what makes a place an address: ``서울에서``,
``강남역 근처`` and ``테헤란로를 따라`` name places but locate nobody. The span runs from the
province (or 시/군/구) to the building or lot number and any 동/호/층 and ``(동명)`` details,
never into a trailing particle (``테헤란로 152로 보내줘`` ends at ``152``).

Gaps: a road name and number alone (``테헤란로 152``) are informational; building names
without a number, 우편번호, apartment-only forms (``래미안 101동 1203호``) and romanized
addresses are not recognized.

Cost per 1 KB prompt: ~2-4 µs when the gate finds no road/동/리 followed by a number (most
prompts); ~155 µs when it does, because the six patterns then scan the whole text.
"""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.base import NOT_ALNUM_AFTER, GatedPatternRecognizer

__all__ = ["KrAddressRecognizer"]

# Longest spellings first: regex alternation takes the first that fits.
_PROVINCE = (
    r"(?:서울특별시|서울시|서울|부산광역시|부산시|부산|대구광역시|대구시|대구|인천광역시|인천시"
    r"|인천|광주광역시|광주시|광주|대전광역시|대전시|대전|울산광역시|울산시|울산"
    r"|세종특별자치시|세종시|세종|경기도|경기|강원특별자치도|강원도|강원|충청북도|충북"
    r"|충청남도|충남|전북특별자치도|전라북도|전북|전라남도|전남|경상북도|경북|경상남도|경남"
    r"|제주특별자치도|제주도|제주)"
)
_NOT_HANGUL_BEFORE = r"(?<![가-힣0-9A-Za-z])"
# One or two administrative levels: 강남구, 성남시 분당구, 수원시 영통구, 양평군.
_SIGUNGU = r"[가-힣]{1,6}[시군구](?:\s+[가-힣]{1,6}구)?"
# 테헤란로, 판교역로, 세종대로, 테헤란로4길, 도산대로8길, 중앙로 12번길.
_ROAD = r"[가-힣][가-힣0-9]{0,12}(?:로|길)(?<!으로)(?:\s?[0-9]{1,4}(?:번)?길)?"
# A number followed by a unit is a quantity: 택시로 10분, 전화로 1588-1234, 3호선.
_NOT_QUANTITY = (
    r"(?![0-9]|-[0-9]|\s?(?:분|시|초|개|명|원|일|년|월|주|번|회|차|층|배|살|세|%|km|m\b|kg))"
)
_BUILDING = r"(?:지하\s?)?[0-9]{1,4}(?:-[0-9]{1,3})?" + _NOT_QUANTITY
# 동 names may carry a number (역삼1동); 읍/면 may precede a 리.
_LOT_AREA = r"(?:[가-힣]{1,6}[0-9]{0,2}(?:동|가)|(?:[가-힣]{1,6}[읍면]\s+)?[가-힣]{1,6}리)"
_LOT = r"(?:산\s?)?[0-9]{1,5}(?:-[0-9]{1,4})?(?:번지|" + _NOT_QUANTITY + ")"
# ", 3층", " 101동 1203호", " (역삼동)", " (역삼동, 래미안)".
_DETAIL = (
    r"(?:,?\s?(?:지하\s?|[Bb])?[0-9]{1,5}(?:동|호(?!선)|층))*"
    r"(?:\s?\([가-힣][가-힣0-9 ,.-]{0,30}\))?"
)


def _pattern(head: str, tail: str) -> str:
    return _NOT_HANGUL_BEFORE + head + r"\s+" + tail + _DETAIL + NOT_ALNUM_AFTER


_ROAD_TAIL = _ROAD + r"\s?" + _BUILDING
_LOT_TAIL = _LOT_AREA + r"\s+" + _LOT
# Every pattern needs a road or 동/리 with a number behind it; the gate looks for that cheaply.
_GATE = re.compile(r"[로길동리가]\s?(?:산\s?)?[0-9]")


class KrAddressRecognizer(GatedPatternRecognizer):
    """Find road-name and lot-number addresses; the province makes them certain.

    With a province (full or short name) and 시/군/구 the match scores 0.85; from 시/군/구
    on, 0.6 (``강남구 역삼동`` names exist in many cities, but it is still somebody's
    address); a bare ``테헤란로 152`` 0.35, raised by 주소/배송지/거주지 nearby.
    """

    ENTITY: ClassVar[str] = "KR_ADDRESS"
    #: Korean rules only: Hangul names/addresses (see ``languages_of``).
    LANGUAGES: ClassVar[tuple[str, ...]] = ("ko",)
    GATE = _GATE
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("KR road address", _pattern(_PROVINCE + r"\s+" + _SIGUNGU, _ROAD_TAIL), 0.85),
        Pattern("KR lot address", _pattern(_PROVINCE + r"\s+" + _SIGUNGU, _LOT_TAIL), 0.85),
        # 세종 has no 시/군/구 level: 세종특별자치시 한누리대로 2130.
        Pattern("KR road address (Sejong)", _pattern(r"세종(?:특별자치시|시)?", _ROAD_TAIL), 0.85),
        Pattern("KR road address (no province)", _pattern(_SIGUNGU, _ROAD_TAIL), 0.6),
        Pattern("KR lot address (no province)", _pattern(_SIGUNGU, _LOT_TAIL), 0.6),
        Pattern(
            "KR road and number",
            _NOT_HANGUL_BEFORE + _ROAD_TAIL + _DETAIL + NOT_ALNUM_AFTER,
            0.35,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "주소",
        "배송지",
        "거주지",
        "주거지",
        "소재지",
        "도로명",
        "지번",
        "사는 곳",
        "address",
    ]
