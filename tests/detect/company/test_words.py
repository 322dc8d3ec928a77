"""Words and their runs: the cheaper ways of reading them give what the plain ones give."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from gateway.detect.company.tokens import TokenHasher, Words, combine, combine_many, mix, mix_int
from tests.detect.company.support import KEY

# a word as the index defines it: anything between ASCII whitespace and punctuation
_WORD = re.compile(r"[^ \t\n\r\x0b\x0c!-/:-@\[-`{-~]+")
_ALPHABET = "ab Z9 \t\n.,-@가힣ａ１ﬁß İ😀\ud800é\u0301"


def _texts(count: int) -> list[str]:
    rng = random.Random(20261207)
    return ["".join(rng.choices(_ALPHABET, k=rng.randint(0, 60))) for _ in range(count)]


_BASE = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


def _run_hashes(hashes: list[int], length: int) -> list[int]:
    """Each run's polynomial over its tokens, then mixed: one run at a time, in Python."""
    out = []
    for first in range(len(hashes) - length + 1):
        acc = 0
        for value in hashes[first : first + length]:
            acc = (acc * _BASE + value) & _MASK
        out.append(mix_int(acc))
    return out


def test_each_word_hashes_as_its_polynomial_over_its_bytes() -> None:
    from gateway.detect.company.tokens import _unkeyed

    byte_base, mix2 = 0x100000001B3, 0x94D049BB133111EB
    long_text = " ".join(f"w{i}ß가" for i in range(9_000))  # more than one 64 KB piece
    for text in [*_texts(500), long_text]:
        words = Words.of(text)
        expected = []
        for word in words.tokens():
            value = 0
            for position, byte in enumerate(word):
                value = (value + byte * pow(byte_base, position, 1 << 64)) & _MASK
            expected.append(value ^ (len(word) * mix2 & _MASK))
        assert _unkeyed(words.data).tolist() == expected, text[:80]


def test_word_spans_are_where_each_word_is_in_the_text() -> None:
    for text in [*_texts(3_000), "고객 김민수님, minsu@example.com", "ＡＢＣ ﬁne"]:
        words = Words.of(text)
        found = _WORD.finditer(words.folded)
        size = len(text)
        expected = [(min(m.start(), size), min(m.end(), size)) for m in found]
        assert words.spans() == expected, text
        assert len(words.spans()) == len(words.tokens())


@pytest.mark.parametrize("lengths", [(1,), (1, 2), (1, 2, 5), (5,), (2, 8), ()])
def test_runs_combined_together_are_those_combined_one_by_one(lengths: tuple[int, ...]) -> None:
    hasher = TokenHasher(KEY)
    extra = hasher.words("김민 수 extra")
    for count in (0, 1, 2, 4, 5, 6, 40):
        hashes = hasher.words(" ".join(f"w{i}" for i in range(count)))
        runs, mixed = combine_many(hashes, lengths, extra)
        assert sorted(runs) == sorted(lengths)
        for length in lengths:
            expected = _run_hashes(hashes.tolist(), length)
            assert runs[length].tolist() == expected
            assert combine(hashes, length).tolist() == expected
        assert mixed.tolist() == [mix_int(v) for v in extra.tolist()]
        assert mix(extra).tolist() == mixed.tolist()
    empty = np.empty(0, dtype=np.uint64)
    assert combine_many(empty, lengths)[1].tolist() == []
