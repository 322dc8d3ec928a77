"""The new personal-data finders do work proportional to their input, whatever it is.

Work is counted, not timed: candidate parses for phone numbers, characters handed to the
candidate regexes, and candidates checked for accounts. Each crafted input is the finder's
own trigger words repeated with the characters its patterns consume; doubling the input
may at most double the work (plus a constant).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.detect.recognizers import world_phone
from gateway.detect.recognizers.base import SpanSet
from gateway.detect.recognizers.kr import bank_account
from gateway.detect.recognizers.world_phone import WorldPhoneFinder

_PHONE_INPUTS: list[Callable[[int], str]] = [
    lambda n: "phone " * n + "0" * n,
    lambda n: "phone 0" * n,
    lambda n: "+1 " * n,
    lambda n: "+" + "1 " * n,
    lambda n: "00" * n,
    lambda n: "전화 (02) " * n,
    lambda n: "tel 010-" * n,
    lambda n: "call " + "1-" * n,
    lambda n: ("phone " + "12 " * 3) * n,
    lambda n: "phone +1 2 " * n,
    lambda n: "전화 010-1234-5678 02 " * n,
    lambda n: "212 555 0199 " * n,  # grouped runs: read everywhere, no phone word needed
    lambda n: "00 44 20 " * n,
    lambda n: "1 " * n + "2",
]


class _Counted:
    """Wraps a compiled pattern; counts the characters each ``finditer`` may read."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.chars = 0

    def finditer(
        self, text: str, pos: int = 0, endpos: int | None = None
    ) -> Iterator[re.Match[str]]:
        end = len(text) if endpos is None else min(endpos, len(text))
        self.chars += max(0, end - pos)
        return self.pattern.finditer(text, pos, end)


def _phone_work(monkeypatch: pytest.MonkeyPatch, text: str) -> int:
    parses = 0
    original = world_phone._parse

    def counting(written: str, region: str | None) -> phonenumbers.PhoneNumber | None:
        nonlocal parses
        parses += 1
        return original(written, region)

    national = _Counted(world_phone._NATIONAL)
    international = _Counted(world_phone._INTERNATIONAL)
    grouped = _Counted(world_phone._GROUPED)
    monkeypatch.setattr(world_phone, "_parse", counting)
    monkeypatch.setattr(world_phone, "_NATIONAL", national)
    monkeypatch.setattr(world_phone, "_INTERNATIONAL", international)
    monkeypatch.setattr(world_phone, "_GROUPED", grouped)
    WorldPhoneFinder().find(text)
    return parses * 100 + national.chars + international.chars + grouped.chars


@pytest.mark.parametrize("make", _PHONE_INPUTS)
def test_phone_finder_work_is_linear(
    monkeypatch: pytest.MonkeyPatch, make: Callable[[int], str]
) -> None:
    small = _phone_work(monkeypatch, make(2_000))
    large = _phone_work(monkeypatch, make(4_000))
    assert large <= 2 * small + 1_000


def test_national_candidates_are_read_only_near_phone_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """50 KB of grouped digits beside an order word and no phone word: nothing is parsed."""
    text = "order 12 345 678 901 " * 2_500
    assert WorldPhoneFinder()._word_windows(text) == []
    parsed: list[str] = []
    monkeypatch.setattr(world_phone, "_parse", lambda written, region: parsed.append(written))
    assert WorldPhoneFinder().find(text) == []
    assert parsed == []


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "계좌 " * n + "1" * n,
        lambda n: "계좌 1234567890 " * n,
        lambda n: "카카오뱅크" * n + "3333123456789",
        lambda n: ("송금 " + "12345678901 ") * n,
    ],
)
def test_bare_account_work_is_linear(
    monkeypatch: pytest.MonkeyPatch, make: Callable[[int], str]
) -> None:
    def work(text: str) -> int:
        counted = _Counted(bank_account._BARE)
        monkeypatch.setattr(bank_account, "_BARE", counted)
        bank_account.bare_accounts(text)
        return counted.chars

    assert work(make(4_000)) <= 2 * work(make(2_000)) + 1_000


_SPANS = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 8)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=8,
)


@given(_SPANS, _SPANS)
def test_span_set_overlaps_as_a_scan_would(
    claimed: list[tuple[int, int]], asked: list[tuple[int, int]]
) -> None:
    """The binary search answers what comparing with every claimed span answers."""
    spans = SpanSet(claimed[: len(claimed) // 2])
    for span in claimed[len(claimed) // 2 :]:
        spans.add(span)
    for start, end in asked:
        expected = any(start < high and low < end for low, high in claimed)
        assert spans.overlaps((start, end)) is expected
