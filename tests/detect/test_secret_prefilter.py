"""The secret prefilter finds every registered word where ``str.lower`` and ``str.find``
would: keywords in any case, markers in their own, offsets in characters of any script."""

from __future__ import annotations

import random

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.secrets import prefilter


def _expected(text: str) -> list[tuple[str, int]]:
    """Every occurrence the slow way: each registered word searched on its own."""
    lowered = prefilter._lower(text)
    found = []
    for word, case_sensitive in prefilter._words.items():
        haystack, needle = (text, word) if case_sensitive else (lowered, word.lower())
        at = haystack.find(needle)
        while at != -1:
            found.append((word, at))
            at = haystack.find(needle, at + 1)
    return sorted(found, key=lambda hit: (hit[1], hit[0]))


@pytest.fixture(scope="module")
def words() -> list[str]:
    DetectionEngine()  # every secret kind registers its words
    return sorted(prefilter._words)


def test_registered_words_are_found_in_any_script_and_case(words: list[str]) -> None:
    rng = random.Random(20261208)
    # Hangul, a character above the BMP, the two letters beyond ASCII whose lower case is
    # an ASCII letter (İ, the Kelvin sign), other cased letters, ASCII punctuation and a
    # lone surrogate (JSON can carry one)
    filler = "abcXYZ _-=:/.\n가나다İ\u212a\U0001f600éßΣ한글\ud800"
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(0, 10)):
            if rng.random() < 0.4:
                word = rng.choice(words)
                if rng.random() < 0.5:  # a keyword in odd case; a marker no longer matches
                    word = "".join(c.upper() if rng.random() < 0.3 else c for c in word)
                parts.append(word)
            else:
                parts.append("".join(rng.choices(filler, k=rng.randint(0, 6))))
        text = "".join(parts)
        got = sorted(prefilter._hits(text), key=lambda hit: (hit[1], hit[0]))
        assert got == _expected(text), text


def test_kelvin_sign_and_dotted_capital_i_read_as_their_lower_case(words: list[str]) -> None:
    assert "key" in words or "secret" in words
    word = "key" if "key" in words else "secret"
    disguised = word.replace("k", "\u212a").replace("i", "\u0130")
    text = f"회사 {disguised}: x"
    assert (word, 3) in set(prefilter._hits(text))


def test_a_marker_matches_in_its_own_case_only(words: list[str]) -> None:
    assert "AKIA" in words and prefilter.is_marker("AKIA")
    assert ("AKIA", 3) in set(prefilter._hits("키는 AKIA로 시작"))
    assert not any(word == "AKIA" for word, _ in prefilter._hits("키는 akia로 시작"))


def test_the_last_text_is_read_once(words: list[str]) -> None:
    text = "token = abc"
    first = prefilter.words_present(text)
    assert prefilter.words_present(text) is first
    assert "token" in first or not any(w.lower() == "token" for w in words)
