"""Phone numbers of every country, validated against libphonenumber's numbering plans.

A digit run is only a phone number if a country's plan says so, and most digit runs in a
prompt are dates, amounts, ids and versions. The rules, in order of evidence:

- **International form** (``+44 20 7946 0958``): the country code is written, so any
  country counts. A number valid in its plan scores 0.5; one of the right length in a range
  not yet allocated (``+44 7700 900123``, the UK's drama range) 0.3.
- **Dialled abroad** (``00 44 20 7946 0958``, ``0044 20 7946 0958``, ``001-212-555-0123``,
  ``00700 44 …``, ``011 44 …``): an international access code of ``00`` or of a configured
  region (``phone_layout.DialPrefixes``), then a country code and a valid number. Written
  in groups (no separator inside the access or country code, at least one after them) it
  scores 0.5; closed up or only possible, ``00`` scores 0.4 or 0.3 (``00`` also starts
  ids) and the other codes nothing.
- **National form in its plan's own groups** (``(212) 555-0199``, ``020 7946 0958``,
  ``03-1234-5678``, ``138 0013 8000``): at least two separators, falling exactly where
  libphonenumber's format for one of the configured regions puts them, valid and personal
  there, and no word nearby saying it is another number (``OTHER_NUMBER_WORDS``: order,
  invoice, ISBN, 주문, 송장 …): 0.5, no phone word needed.
- **Other national forms** (``07700 900123``, ``0233142161``, ``030 1234 5678``): valid in
  many countries at once or grouped like ids, so only a candidate when a phone word
  (``PHONE_WORDS``, in several languages) stands in the context window, and only in the
  configured regions (KR first). Valid: 0.3; right length and written with the region's
  trunk prefix: 0.2. The context enhancer then adds its 0.35: 0.65 or 0.55.
- Numbers the plan gives to businesses, not people (toll-free, shared-cost, premium-rate,
  universal access: 080, 1588-xxxx, 0800, 0870 …) are not personal data and not reported.

Cost is linear: possessive candidate regexes (no group is re-split on backtracking); the
``+``/``00`` one runs only when the text holds either, the grouped one over the whole text
(only runs with two separators or more are candidates), the loose one only in the windows
around phone words (found by one Aho-Corasick pass); then one parse per candidate and region
(~25 µs), after the cheap checks (dates, IPs, other identifiers' shapes, digit counts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick
import phonenumbers
import regex
from phonenumbers import PhoneNumberType

from gateway.detect.recognizers.base import SpanSet
from gateway.detect.recognizers.phone_layout import (
    DialPrefixes,
    cuts,
    national_layout,
)

__all__ = [
    "DEFAULT_REGIONS",
    "OTHER_NUMBER_WORDS",
    "PHONE_WORDS",
    "PhoneCandidate",
    "WorldPhoneFinder",
]

#: Regions whose national forms are read, most likely first (``detection.phone_regions``).
DEFAULT_REGIONS: tuple[str, ...] = ("KR", "US", "GB", "JP", "CN", "DE", "FR", "IN", "SG")

#: Words that say a number is a phone number: Korean, English, Japanese, Chinese, European.
PHONE_WORDS: tuple[str, ...] = (
    "전화",
    "연락처",
    "연락",
    "휴대폰",
    "핸드폰",
    "휴대전화",
    "폰번호",
    "문자",
    "팩스",
    "tel",
    "phone",
    "mobile",
    "cell",
    "call",
    "fax",
    "whatsapp",
    "contact",
    "電話",
    "携帯",
    "電話番号",
    "电话",
    "手机",
    "联系",
    "téléphone",
    "teléfono",
    "telefone",
    "telefon",
    "telefono",
    "móvil",
    "celular",
    "handy",
    "телефон",
)

#: Words that say a digit run nearby is another kind of number: a national form in its
#: plan's groups is then not reported without a phone word. Latin words count as whole
#: words (``ean`` is not the end of ``Korean``), Korean ones anywhere (particles glue on).
OTHER_NUMBER_WORDS: tuple[str, ...] = (
    "주문",
    "인보이스",
    "청구서",
    "영수증",
    "송장",
    "운송장",
    "계좌",
    "사업자",
    "일련번호",
    "모델",
    "품번",
    "바코드",
    "상품코드",
    "좌표",
    "위도",
    "경도",
    "order",
    "invoice",
    "tracking",
    "account",
    "acct",
    "serial",
    "model",
    "part no",
    "sku",
    "isbn",
    "ean",
    "gtin",
    "upc",
    "barcode",
    "ticket",
    "case",
    "batch",
    "latitude",
    "longitude",
    "coordinates",
    "version",
    "build",
)
_OTHER_NUMBER = re.compile(
    "|".join(
        word if not word.isascii() else rf"(?<![a-z]){re.escape(word)}s?(?![a-z])"
        for word in OTHER_NUMBER_WORDS
    )
)

# Digit groups joined by one separator each (space, hyphen, dot, parentheses), possessive so
# that a run is consumed once; fenced so it never starts inside a word, a decimal or a path.
_RUN = r"\(?[0-9]++\)?(?:(?:[ .\-]|\) ?)\(?[0-9]++\)?)*+"
# The literal leads so that the regex engine skips to "+" or "0"; the fences follow it (a
# "00" group inside a grouped run, ``138 0013 8000``, starts nothing).
_INTERNATIONAL = re.compile(
    r"(?:\+(?<![0-9A-Za-z+.\-/]\+) ?|00(?<![0-9A-Za-z+.\-/]00)(?<![0-9][ .\-)]00)(?=[1-9]))" + _RUN
)
_NATIONAL = re.compile(r"(?<![0-9A-Za-z+.\-/:])" + _RUN)
# A run of three groups or more: the only national form read without a phone word. The
# character class leads (the engine skips to a digit or "(" before trying anything) and the
# fence follows it; a run that goes on into a letter (``2025-03-14T08``) is no candidate.
_GROUPED = re.compile(
    r"[0-9(](?<![0-9A-Za-z+.\-/:][0-9(])[0-9]*+\)?(?:(?:[ .\-]|\) ?)\(?[0-9]++\)?){2,}+"
    r"(?![0-9A-Za-z])"
)
_AFTER_BAD = re.compile(r"[0-9A-Za-z]|[.\-/:][0-9]|%|,[0-9]")
_DATE = re.compile(
    r"(?:19|20)[0-9]{2}[-./ ][0-9]{1,2}[-./ ][0-9]{1,2}"
    r"|[0-9]{1,2}[-./][0-9]{1,2}[-./](?:19|20)?[0-9]{2}"
)
_COMPACT_DATE = re.compile(
    r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{0,6}"
)
# Shapes of other identifiers: resident and corporate numbers (6-7), business numbers (3-2-5);
# not phones even after an access code (``001309-2293488`` is no call to +1 309).
_OTHER_IDENTIFIER = re.compile(r"[0-9]{6}-[0-9]{7}|[0-9]{3}-[0-9]{2}-[0-9]{5}")
_IP = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
# Businesses' numbers (reachable by anyone, identifying a company, not a person) and pagers.
_NOT_PERSONAL = frozenset(
    {
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.UAN,
        PhoneNumberType.VOICEMAIL,
        PhoneNumberType.PAGER,
    }
)
_BEFORE = 40  # characters before a candidate where a phone word counts (the enhancer's)
_AFTER = 20
_LONGEST = 32  # characters of the longest candidate worth parsing
_PREFIX_DIGITS = 3  # digits that place a number in a range of its plan


@dataclass(frozen=True)
class PhoneCandidate:
    start: int
    end: int
    score: float
    region: str


class WorldPhoneFinder:
    """Find and validate phone numbers; see the module docstring for the scores."""

    def __init__(self, regions: Sequence[str] = DEFAULT_REGIONS) -> None:
        unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"unknown phone regions: {unknown}")
        if not regions:
            raise ValueError("phone regions: at least one is needed (the home region first)")
        self.regions = tuple(regions)
        self._dial = DialPrefixes(self.regions)
        self._words = ahocorasick.Automaton()
        for word in PHONE_WORDS:
            self._words.add_word(word, len(word))
        self._words.make_automaton()

    def find(self, text: str, taken: Sequence[tuple[int, int]] = ()) -> list[PhoneCandidate]:
        """Every validated number in ``text`` outside ``taken``, international forms first.

        ``taken`` holds spans already claimed (the Korean patterns' numbers): they are not
        parsed again.
        """
        found: dict[tuple[int, int], PhoneCandidate] = {}
        claimed = SpanSet(taken)
        # International runs, kept or not: their tails are not national numbers.
        covered = SpanSet(taken)
        if "+" in text or "00" in text:
            for match in _INTERNATIONAL.finditer(text):
                if claimed.overlaps(match.span()):
                    continue
                covered.add(match.span())
                candidate = self._international(text, match.start(), match.end())
                if candidate is not None:
                    found[(candidate.start, candidate.end)] = candidate
        for match in _GROUPED.finditer(text):
            span = match.span()
            if covered.overlaps(span):
                continue
            candidate = self._grouped(text, *span)
            if candidate is not None:
                found[(candidate.start, candidate.end)] = candidate
                covered.add(span)
        for low, high in self._word_windows(text):
            for match in _NATIONAL.finditer(text, low, high):
                span = match.span()
                if span in found or covered.overlaps(span):
                    continue
                candidate = self._national(text, *span)
                if candidate is not None:
                    found[span] = candidate
        return list(found.values())

    def _word_windows(self, text: str) -> list[tuple[int, int]]:
        """Stretches of ``text`` where a number would have a phone word in its window."""
        windows: list[tuple[int, int]] = []
        for end, length in self._words.iter(text.lower()):
            low = max(0, end + 1 - length - _AFTER - _LONGEST)
            high = min(len(text), end + 1 + _BEFORE + _LONGEST)
            if windows and low <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(high, windows[-1][1]))
            else:
                windows.append((low, high))
        return windows

    def _international(self, text: str, start: int, end: int) -> PhoneCandidate | None:
        start, end = _trimmed(text, start, end)
        raw = text[start:end]
        if _AFTER_BAD.match(text, end) or not 8 <= _digits(raw) <= 17:
            return None
        if not raw.startswith("+"):
            return self._dialled_abroad(text, start, end)
        number = _parse(raw, None)
        if number is None or number.country_code == 82:
            return None  # +82 is the Korean recognizer's, with its own scores
        kind = _kind(number)
        if kind is None:
            return None
        return PhoneCandidate(start, end, 0.5 if kind else 0.3, _region(number))

    def _dialled_abroad(self, text: str, start: int, end: int) -> PhoneCandidate | None:
        """An access code, a country code and a number (``00 44 20 7946 0958``).

        Tried with each access code the digits may start with, longest first (Korea's
        ``00700`` before ``00``; ``001-212-…`` is KT's ``001`` and Morocco's ``212``, or
        ``00`` and the US: the plan decides).
        """
        digits, at = cuts(text[start:end])
        weak: PhoneCandidate | None = None
        for code_at in self._dial.lengths(digits):
            number = _parse("+" + digits[code_at:], None)
            if number is None or any(0 < c < code_at for c in at):
                continue
            kind = _kind(number)
            if kind is None:
                continue
            nsn_at = code_at + len(str(number.country_code))
            nsn = phonenumbers.national_significant_number(number)
            if nsn_at + len(nsn) != len(digits) or any(code_at < c < nsn_at for c in at):
                continue  # a trunk "0" after the country code, or a cut inside it
            region = _region(number)
            # Written in groups (the country code set apart, or the number itself cut):
            # countries group their numbers too variously (Spain's 91 123 45 67 and 911
            # 23 45 67) to ask for one format; the access and country codes are the
            # evidence, provided no separator falls inside either.
            grouped = any(c >= nsn_at for c in at) and not _OTHER_IDENTIFIER.fullmatch(
                text, start, end
            )
            if kind and grouped and not self._other_number(text, start, end):
                return PhoneCandidate(start, end, 0.5, region)
            if weak is None and code_at == 2:  # plain "00", as it always was read
                weak = PhoneCandidate(start, end, 0.4 if kind else 0.3, region)
        return weak

    def _grouped(self, text: str, start: int, end: int) -> PhoneCandidate | None:
        """A run of three groups or more: dialled abroad, or national in its plan's groups."""
        start, end = _trimmed(text, start, end)
        raw = text[start:end]
        # The shapes logs are full of (IPs, dates) go first: one C-level match each.
        if (
            _IP.fullmatch(raw)
            or _DATE.fullmatch(raw)
            or _OTHER_IDENTIFIER.fullmatch(raw)
            or _AFTER_BAD.match(text, end)
        ):
            return None
        digits, at = cuts(raw)
        if len(at) < 2 or not 7 <= len(digits) <= 19 or _COMPACT_DATE.fullmatch(digits):
            return None
        if self._dial.lengths(digits):
            abroad = self._dialled_abroad(text, start, end)
            if abroad is not None:
                return abroad
        if len(digits) > 13 or self._other_number(text, start, end):
            return None
        for region in self.regions:
            number = _parse(raw, region)
            if number is None:
                continue
            if region == self.regions[0] and _business(number):
                return None  # the home region's free call or company line
            if region == "KR" or not _kind(number):
                continue  # Korean forms are the Korean patterns' (010 has 4-digit middles)
            # Written as the plan writes it at home: the trunk prefix where its format has
            # one (``0555 555 5555`` in China, never ``555-555-5555``), the same cuts.
            layout = national_layout(number)
            nsn = phonenumbers.national_significant_number(number)
            if layout is None or not digits.endswith(nsn):
                continue
            lead, expected = layout
            if len(digits) - len(nsn) != lead or any(0 < c < lead for c in at):
                continue
            if at and frozenset(c - lead for c in at if c > lead) == expected:
                return PhoneCandidate(start, end, 0.5, region)
        return None

    def _other_number(self, text: str, start: int, end: int) -> bool:
        """A word before or after the run says it is an order, account, ISBN … number."""
        before = text[max(0, start - _BEFORE) : start].lower()
        after = text[end : end + _AFTER].lower()
        return _OTHER_NUMBER.search(before) is not None or _OTHER_NUMBER.search(after) is not None

    def _national(self, text: str, start: int, end: int) -> PhoneCandidate | None:
        start, end = _trimmed(text, start, end)
        raw = text[start:end]
        if (
            not 7 <= _digits(raw) <= 13
            or _AFTER_BAD.match(text, end)
            or _DATE.fullmatch(raw)
            or _IP.fullmatch(raw)
            or _OTHER_IDENTIFIER.fullmatch(raw)
            or not self._has_word(text, start, end)
        ):
            return None
        digits = "".join(ch for ch in raw if ch.isdecimal())
        if _COMPACT_DATE.fullmatch(digits):
            return None
        # Closed up, only a number dialled with the trunk prefix or a mobile number (written
        # that way in China) reads as a phone number; the rest of such runs are ids and
        # amounts. The home region (the first) reading it as a company's line decides
        # (080-xxx-xxxx is a Korean free call, not a Japanese mobile); then a personal number
        # valid in any region wins; else a company's line in any region (1588-1234 is a
        # German pager's shape) is not reported; else a number of the right length written
        # with separators and the trunk prefix is a weak candidate.
        closed_up = digits == raw
        business = False
        possible = None
        for region in self.regions:
            number = _parse(raw, region)
            if number is None:
                continue
            if region == self.regions[0] and _business(number):
                return None
            kind = _kind(number)
            if kind and (
                not closed_up
                or _trunk_prefixed(digits, region)
                or phonenumbers.number_type(number) == PhoneNumberType.MOBILE
            ):
                return PhoneCandidate(start, end, 0.3, region)
            business = business or _business(number)
            weak = kind is False and possible is None and not closed_up
            if weak and _trunk_prefixed(digits, region):
                possible = PhoneCandidate(start, end, 0.2, region)
        return None if business else possible

    def _has_word(self, text: str, start: int, end: int) -> bool:
        before = text[max(0, start - _BEFORE) : start].lower()
        after = text[end : end + _AFTER].lower()
        return _any_word(self._words, before) or _any_word(self._words, after)


def _any_word(words: ahocorasick.Automaton, text: str) -> bool:
    return next(iter(words.iter(text)), None) is not None


def _digits(text: str) -> int:
    return sum(ch.isdecimal() for ch in text)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop separators a run may end on, and a closing parenthesis without its opening."""
    while end > start and text[end - 1] in " .-":
        end -= 1
    if end > start and text[end - 1] == ")" and "(" not in text[start:end]:
        end -= 1
    if text[start] == "(" and ")" not in text[start:end]:
        start += 1
    return start, end


def _parse(written: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(written, region)
    except phonenumbers.NumberParseException:
        return None


def _business(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.is_valid_number(number) and (
        phonenumbers.number_type(number) in _NOT_PERSONAL
    )


def _kind(number: phonenumbers.PhoneNumber) -> bool | None:
    """True: valid personal; False: only the right length; None: no phone or a business's.

    A number of the right length in an unallocated range (``+44 7700 900123``) has no
    type; it is still a business's when it starts like one (``+1 800 121 4282``).
    """
    if phonenumbers.is_valid_number(number):
        return None if phonenumbers.number_type(number) in _NOT_PERSONAL else True
    if phonenumbers.is_possible_number(number) and not _business_prefix(number):
        return False
    return None


def _business_prefix(number: phonenumbers.PhoneNumber) -> bool:
    """True when the first digits could begin one of the plan's business ranges."""
    if number.country_code is None:
        return False
    region = phonenumbers.region_code_for_country_code(number.country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return False
    head = phonenumbers.national_significant_number(number)[:_PREFIX_DIGITS]
    for desc in (
        metadata.toll_free,
        metadata.premium_rate,
        metadata.shared_cost,
        metadata.uan,
        metadata.voicemail,
        metadata.pager,
    ):
        pattern = desc.national_number_pattern if desc is not None else None
        if pattern and regex.fullmatch(pattern, head, partial=True):
            return True
    return False


def _trunk_prefixed(digits: str, region: str) -> bool:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = metadata.national_prefix if metadata is not None else None
    return prefix is not None and prefix != "" and digits.startswith(prefix)


def _region(number: phonenumbers.PhoneNumber) -> str:
    found = phonenumbers.region_code_for_number(number)
    if found is None and number.country_code is not None:
        found = phonenumbers.region_code_for_country_code(number.country_code)
    return found or "ZZ"
