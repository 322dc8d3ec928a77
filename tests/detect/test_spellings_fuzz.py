"""Generated inputs for the normalization steps: they never raise, and offsets map back.

Behaviour, not time, is asserted: the worst cases below (long runs of number words,
separators and escapes, every character the tables know) would take quadratic time or
more with a backtracking pattern; here they must simply finish and map back correctly.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.detect import DetectionEngine
from gateway.detect.blobs import MAX_BASE64_BLOBS, encoded_blobs
from gateway.detect.normalize import normalize_for_scan
from gateway.detect.offsets import NormalizedText
from gateway.detect.regroup import regroup_digits
from gateway.detect.spellings import NUMBER_WORDS

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters the normalization treats specially, mixed with ordinary ones.
_SPECIAL = (
    "0123456789 -.\t\n·%\\+@[](){}<>&#;=?x"
    "٠١٢٣٤٥٦٧٨٩०१२३९๐๑０１９①⑨⁰¹₀₉\u00a0\u2009\u3000\u2028\u200b\u202e－―"
    "공영일이삼사오육칠팔구하나둘셋넷다섯여일곱덟아홉〇零一二三四五六七八九壹"
    "zeroOhnetwhrfuivsxgZERONE가나abcAZ\U0001d7ce\U0001f600"
)
_WORDS = [word for words in NUMBER_WORDS.values() for word in words]
texts = st.text(alphabet=st.sampled_from(_SPECIAL), max_size=300) | st.lists(
    st.sampled_from([*_WORDS, " ", "-", ", ", "\t", "1", "%39", "&#57;", "x", "가"]), max_size=80
).map("".join)


def _check_map(text: str, view: NormalizedText) -> None:
    """Every view character maps into ``text``, in order, and the whole view to within it."""
    if not view.changed:
        assert view.text == text
        return
    previous = 0
    for index in range(len(view.text)):
        start, end = view.original_span(index, index + 1)
        assert 0 <= start < end <= len(text)
        assert start >= previous
        previous = start
    whole = view.original_span(0, len(view.text))
    assert 0 <= whole[0] <= whole[1] <= len(text)


@_SETTINGS
@given(texts)
def test_normalize_never_raises_and_maps_back(text: str) -> None:
    view = normalize_for_scan(text)
    _check_map(text, view)


@_SETTINGS
@given(texts)
def test_regroup_never_raises_and_maps_back(text: str) -> None:
    view = normalize_for_scan(text)
    for grouped, runs in regroup_digits(view):
        _check_map(view.text, grouped)
        for start, end in runs:
            assert 0 <= start < end <= len(view.text)


@pytest.mark.slow  # hypothesis examples of long blobs
@_SETTINGS
@given(st.text(max_size=200) | st.binary(max_size=120).map(lambda b: base64.b64encode(b).decode()))
def test_blobs_never_raise_and_stay_in_bounds(text: str) -> None:
    blobs = encoded_blobs(text)
    assert len(blobs) <= MAX_BASE64_BLOBS
    for start, end, decoded in blobs:
        assert 0 <= start < end <= len(text)
        assert isinstance(decoded, str)


_SPELLINGS = st.sampled_from(
    [
        lambda d: d,
        lambda d: chr(0x660 + int(d)),
        lambda d: chr(0x966 + int(d)),
        lambda d: chr(0xFF10 + int(d)),
        lambda d: chr(0x1D7CE + int(d)),
        lambda d: "⁰¹²³⁴⁵⁶⁷⁸⁹"[int(d)],
        lambda d: f"%{ord(d):02X}",
        lambda d: f"&#{ord(d)};",
        lambda d: d + "\u200b",
    ]
)


@_SETTINGS
@given(
    st.lists(_SPELLINGS, min_size=13, max_size=13),
    st.text(alphabet="abc 가나다.,", max_size=30),
    st.text(alphabet="abc 가나다.,", max_size=30),
)
def test_a_spelled_value_maps_back_to_exactly_its_spelling(
    spellings: list[Callable[[str], str]], before: str, after: str
) -> None:
    digits = "9001011234568"
    spelled = "".join(spell(d) for spell, d in zip(spellings, digits, strict=True))
    text = f"{before} {spelled} {after}"
    view = normalize_for_scan(text)
    at = view.text.find(digits)
    assert at != -1, (text, view.text)
    start, end = view.original_span(at, at + len(digits))
    # An invisible character after the last digit is not part of the value.
    visible = spelled.rstrip("\u200b")
    assert (start, end) == (len(before) + 1, len(before) + 1 + len(visible))


@_SETTINGS
@given(
    st.sampled_from(["one", "구", "하나", "九", "oh", "1", "-", " ", "\t", "%39", "x", "가"]),
    st.integers(min_value=1, max_value=3000),
    st.sampled_from(["", "x", "가", "teen", " ", "-"]),
)
def test_worst_case_repetitions_finish_and_map_back(unit: str, times: int, tail: str) -> None:
    text = unit * times + tail
    view = normalize_for_scan(text)
    _check_map(text, view)
    for grouped, _ in regroup_digits(view):
        _check_map(view.text, grouped)


@pytest.mark.slow  # worst-case inputs, seconds by design
def test_long_runs_of_every_kind_finish() -> None:
    """Runs far longer than any identifier: each step stays linear (no timeout here)."""
    for unit in ("one ", "구", "구 ", "아홉", "九", "1 - ", "1\t", "1 ", "%2539", "&#57;", "\\x39"):
        text = unit * 20_000 + "끝"
        view = normalize_for_scan(text)
        assert len(view.text) <= len(text)
        for grouped, _ in regroup_digits(view):
            assert len(grouped.text) <= len(view.text) + 1


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(
        entities=["KR_RRN", "CREDIT_CARD", "PHONE_NUMBER", "SECRET_AWS_ACCESS_KEY"]
    )


@_SETTINGS
@given(text=texts)
def test_findings_stay_inside_the_original_text(engine: DetectionEngine, text: str) -> None:
    """The whole pipeline (views, regrouped views, blobs) maps every finding back in bounds."""
    for finding in engine.scan(text):
        assert 0 <= finding.start < finding.end <= len(text)
