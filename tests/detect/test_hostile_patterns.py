"""Crafted input against every recognizer: it finishes, and what it reports is sane.

Behaviour, not time, is asserted. The worst cases are a recognizer's own markers and
keywords repeated with the characters its patterns consume (``Endpoint=x;`` with
``AccountKey=``, ``cloudflare-`` …): a pattern that backtracks, or that reads the rest
of a line again for every candidate, takes quadratic time or worse on them. The large
inputs below took minutes that way (the Azure string of 200,000 characters ~10 min,
``대외비 `` on one 200,000-character line ~30 s); linear, they take a few seconds at most,
far inside the deadline even on a busy machine.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from presidio_analyzer import EntityRecognizer

from gateway.detect.normalize import normalize_for_scan, regroup_digits
from gateway.detect.recognizers import build_recognizers
from gateway.detect.recognizers.markings import confidential
from gateway.detect.recognizers.markings.confidential import ConfidentialMarkerRecognizer
from gateway.detect.recognizers.secrets.cloud import (
    AzureConnectionStringRecognizer,
    CloudflareTokenRecognizer,
)
from gateway.detect.recognizers.secrets.tokens import PrivateKeyRecognizer

_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Characters patterns consume or stop at: separators, key-value punctuation, digits, Hangul.
_FILLERS = ["", "x", "A", "0", "1 ", " ", "  ", "=", ";", "-", ".", ":", "/", "_", "@", "\t", "가"]
_DEFAULT_WORDS = ("key", "010", "대외비", "password=", "AKIA", "주소", "계좌", "CONFIDENTIAL")
#: Generous: a linear scan of these inputs takes well under a second.
_DEADLINE = 30.0


def _recognizers() -> Iterator[EntityRecognizer]:
    seen: set[int] = set()
    for language in ("en", "ko"):
        for recognizer in build_recognizers(None, language=language):
            if id(recognizer) not in seen:
                seen.add(id(recognizer))
                yield recognizer


RECOGNIZERS = list(_recognizers())


def _words(recognizer: EntityRecognizer) -> list[str]:
    words = [*getattr(recognizer, "MARKERS", ()), *getattr(recognizer, "KEYWORDS", ())]
    return words or list(_DEFAULT_WORDS)


def _analyze(recognizer: EntityRecognizer, text: str) -> list:
    results = recognizer.analyze(text, recognizer.supported_entities, None)
    for result in results:
        assert 0 <= result.start < result.end <= len(text)
        assert result.entity_type in recognizer.supported_entities
        assert 0.0 <= result.score <= 1.0
    return results


@pytest.mark.parametrize("recognizer", RECOGNIZERS, ids=lambda r: type(r).__name__)
@pytest.mark.slow
def test_repeated_markers_finish_with_sane_results(recognizer: EntityRecognizer) -> None:
    """Every marker with every filler, 8,000 characters each: done well inside the deadline."""
    began = time.monotonic()
    for word in _words(recognizer)[:6]:
        for filler in _FILLERS:
            unit = word + filler
            _analyze(recognizer, (unit * (8_000 // len(unit) + 1))[:8_000])
    assert time.monotonic() - began < _DEADLINE


@_SETTINGS
@given(
    st.sampled_from(RECOGNIZERS),
    st.lists(st.sampled_from(_FILLERS), min_size=1, max_size=4),
    st.integers(min_value=1, max_value=4_000),
    st.data(),
)
def test_generated_worst_cases(
    recognizer: EntityRecognizer, fillers: list[str], repeats: int, data: st.DataObject
) -> None:
    """A marker and fillers repeated up to 4,000 times: finishes, results inside the text."""
    word = data.draw(st.sampled_from(_words(recognizer)))
    _analyze(recognizer, (word + "".join(fillers)) * repeats)


def test_crafted_azure_connection_string_is_linear() -> None:
    recognizer = AzureConnectionStringRecognizer()
    began = time.monotonic()
    assert _analyze(recognizer, "Endpoint=x;" * 18_000 + "AccountKey=") == []
    assert _analyze(recognizer, "Endpoint=x;AccountKey=" * 9_000) == []
    assert time.monotonic() - began < _DEADLINE


def test_real_azure_connection_string_is_still_found_whole() -> None:
    key = "Zm9vYmFyYmF6cXV4cXV1eFpmOW9ZbUZ5WW1GNmNYVjRjWFYxZUE9PQ9bcXR4K2w5Tw+vZ3Jd1Qa8m2LpZ7nC0e=="
    text = (
        f"conn = DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={key};"
        "EndpointSuffix=core.windows.net\n"
    )
    results = _analyze(AzureConnectionStringRecognizer(), text)
    assert any(
        text[r.start : r.end].startswith("DefaultEndpointsProtocol")
        and text[r.start : r.end].endswith("core.windows.net")
        for r in results
    )


def test_many_pem_headers_are_read_once() -> None:
    recognizer = PrivateKeyRecognizer()
    began = time.monotonic()
    for unit in ("-----BEGIN RSA PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----"):
        _analyze(recognizer, unit * 6_000)
    assert time.monotonic() - began < _DEADLINE


def test_keyword_runs_do_not_reread_the_text() -> None:
    recognizer = CloudflareTokenRecognizer()
    began = time.monotonic()
    for unit in ("cloudflare-", "cloudflare_", "Cloudflare"):
        _analyze(recognizer, unit * 20_000)
    assert time.monotonic() - began < _DEADLINE


class _Recorder:
    """A compiled pattern that remembers the longest text it was asked to search."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self._pattern = pattern
        self.longest = 0

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        self.longest = max(self.longest, len(text))
        return self._pattern.search(text, *args)

    def match(self, text: str, *args: int) -> re.Match[str] | None:
        self.longest = max(self.longest, len(text))
        return self._pattern.match(text, *args)


def test_marking_tests_read_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Structural: whatever the line's length, each candidate's tests read at most _WINDOW."""
    recorders = []
    for name in dir(confidential):
        value = getattr(confidential, name)
        if isinstance(value, re.Pattern) and name not in ("_TERMS", "_JOINER"):
            recorder = _Recorder(value)
            monkeypatch.setattr(confidential, name, recorder)
            recorders.append(recorder)
    text = "본 문서는 " + "대외비 " * 5_000 + "Classification: CONFIDENTIAL " * 500
    _analyze(ConfidentialMarkerRecognizer(), text)
    assert recorders
    assert max(r.longest for r in recorders) <= confidential._WINDOW


@pytest.mark.slow
def test_marking_words_on_one_long_line_are_linear() -> None:
    recognizer = ConfidentialMarkerRecognizer()
    began = time.monotonic()
    results = _analyze(recognizer, "대외비 " * 50_000)
    assert time.monotonic() - began < _DEADLINE
    # One run of markings written together is one label, whatever its length.
    assert len(results) == 1
    assert results[0].score >= 0.5


def test_marking_scored_the_same_with_a_long_line_around_it() -> None:
    recognizer = ConfidentialMarkerRecognizer()
    padding = "lorem ipsum " * 2_000
    short = _analyze(recognizer, "본 문서는 대외비입니다.")
    long = _analyze(recognizer, padding + "본 문서는 대외비입니다." + padding)
    assert [r.score for r in short] == [r.score for r in long]


@pytest.mark.parametrize("unit", ["1 - 2 . 3  4\t", "12 34 ", "9001 01-12 34568\n", "1.2.3.4 "])
def test_digit_regrouping_and_normalization_are_linear(unit: str) -> None:
    """200 KB of digits and odd separators: normalized and regrouped well inside the deadline."""
    text = unit * (200_000 // len(unit))
    began = time.monotonic()
    view = normalize_for_scan(text)
    for grouped, runs in regroup_digits(view):
        assert len(grouped.text) <= 2 * len(text)
        assert all(0 <= start < end <= len(view.text) for start, end in runs)
    assert time.monotonic() - began < _DEADLINE
