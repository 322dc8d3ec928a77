"""The compiled prompt side (``_scan.c``) finds exactly what the numpy reference finds.

``make install`` builds the extension; the reference is the numpy code it replaces on the
request path, still used where no C compiler was at hand. Both are run on the same random
texts (registered rows in every spelling, passages of prose and code cut at random lengths
around ``min_tokens``, Hangul names with particles, noise, texts past 8 KB and 64 KB) and
must give the same results in the same order.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from gateway.detect.company import cells, lookup, recognizers, tokens
from gateway.detect.company.documents import DocumentIndexBuilder
from gateway.detect.company.index import CompanyIndex
from gateway.detect.company.recognizers import CompanyRecognizer
from gateway.detect.company.records import Column, build_table
from tests.detect.company.support import KEY

SURNAMES = "김이박최정강조윤장임한오서신권황안송류"
SYLLABLES = "민서지수현우준영은하예도윤재성진호아연유"
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "budget",
    "plant",
    "supplier",
    "launch",
    "window",
    "board",
    "loan",
    "forecast",
]
KOREAN = [
    "고객",
    "연락처",
    "확인",
    "부탁",
    "님의",
    "에게",
    "이번",
    "분기",
    "판매",
    "김",
    "이",
    "박",
    "민수",
    "서연",
    "님",
    "씨에게",
]
CODE = """def settle(order, ledger, when):
    total = 0
    for line in order.lines:
        if line.amount > 500 and ledger.kind == "wire":
            total += line.amount * 0.97
        else:
            total += line.amount
    return round(total, 2)
"""


def _rows(rng: random.Random, count: int) -> list[list[str]]:
    rows = []
    for number in range(count):
        size = rng.choice([1, 2, 2, 3])
        name = rng.choice(SURNAMES) + "".join(rng.choices(SYLLABLES, k=size))
        if number % 7 == 0:
            name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
        phone = f"010-{rng.randrange(10_000):04d}-{rng.randrange(10_000):04d}"
        account = f"{rng.randrange(1000):03d}-{rng.randrange(10**6):06d}"
        rows.append([name, phone, f"user{number}@corp{number % 5}.kr", account])
    return rows


def _prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS + KOREAN, k=words))


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> tuple[CompanyIndex, list[list[str]], str]:
    rng = random.Random(16)
    folder: Path = tmp_path_factory.mktemp("compiled")
    rows = _rows(rng, 300)
    columns = [
        Column("name", "name"),
        Column("phone", "phone"),
        Column("email", "email"),
        Column("account", "account"),
    ]
    build_table(folder / "tables" / "customers", "customers", columns, rows, KEY, "KR")
    # a second table whose two word columns can make a row on their own
    staff = [[rows[i][0], _prose(rng, 3)] for i in range(50)]
    build_table(
        folder / "tables" / "staff",
        "staff",
        [Column("name", "name"), Column("team", "text")],
        staff,
        KEY,
    )
    documents = DocumentIndexBuilder(KEY)
    prose = _prose(rng, 400)
    documents.add("plans/one.docx", prose, "document", as_code=False)
    documents.add("repo/settle.py", CODE, "source_code", as_code=True)
    documents.write(folder / "documents" / "docs", "docs")
    return CompanyIndex.open(folder, KEY), rows, prose


def _piece(rng: random.Random, rows: list[list[str]], prose: str) -> str:
    kind = rng.random()
    if kind < 0.4:
        name, phone, email, account = rng.choice(rows)
        digits = phone.replace("-", "")
        fields = [
            rng.choice([name, name + "님", name + "의", name[0] + " " + name[1:], name.upper()]),
            rng.choice([phone, digits, "+82 " + digits[1:], f"({digits[:3]}) {digits[3:]}"]),
            rng.choice([email, email.upper()]),
            rng.choice([account, account.replace("-", "")]),
        ]
        chosen = rng.sample(fields, rng.randint(1, 4))
        return rng.choice([" ", ", ", "\n", " 연락처 "]).join(chosen)
    if kind < 0.65:
        words = prose.split()
        size = rng.randint(3, 70)
        start = rng.randrange(len(words) - size)
        return " ".join(words[start : start + size])
    if kind < 0.75:
        lines = CODE.splitlines()
        return "\n".join(lines[rng.randrange(3) : rng.randint(4, len(lines))])
    return " ".join(rng.choices(KOREAN + WORDS + ["2.4.1", "12,500", "x1"], k=rng.randint(1, 15)))


def _texts(setting: tuple[CompanyIndex, list[list[str]], str], count: int) -> Iterator[str]:
    _, rows, prose = setting
    rng = random.Random(2026)
    for number in range(count):
        parts = [_piece(rng, rows, prose) for _ in range(rng.randint(1, 6))]
        if number % 10 == 0:  # past 8 KB: the Hangul heads grouped by length
            while sum(map(len, parts)) < 9000:
                parts.append(_piece(rng, rows, prose))
        yield rng.choice([" ", "\n", "\n\x00\n", " . "]).join(parts)
    # past 64 KB, with a word running across the first 64 KB chunk's end
    yield "김민수 " * 10_000 + "x" * 70_000 + " 이 서연 " + rows[0][0] + " " + rows[0][1]


def _reference(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (tokens, cells, lookup, recognizers):
        monkeypatch.setattr(module, "compiled", None)


def _results(recognizer: CompanyRecognizer, text: str) -> list[tuple[object, ...]]:
    return [
        (
            r.entity_type,
            r.start,
            r.end,
            dict(r.recognition_metadata or {}),
            r.analysis_explanation.textual_explanation if r.analysis_explanation else None,
        )
        for r in recognizer.analyze(text, [])
    ]


#: the kernels' own tests need the extension; the findings test compares whatever runs
needs_compiled = pytest.mark.skipif(tokens.compiled is None, reason="built without _scan.c")


def test_the_compiled_prompt_side_is_built() -> None:
    # make install builds it; without it every prompt takes the numpy path (slower)
    assert tokens.compiled is not None


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"min_fields": 1, "min_tokens": 20},
        {"min_fields": 3, "min_tokens": 50},
        {"min_fields": 2, "columns": ("name", "phone")},
    ],
)
def test_findings_are_those_of_the_numpy_reference(
    setting, options: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    index = setting[0]
    recognizer = CompanyRecognizer(index, **options)  # type: ignore[arg-type]
    texts = list(_texts(setting, 150))
    compiled = [_results(recognizer, text) for text in texts]
    _reference(monkeypatch)
    reference = [_results(recognizer, text) for text in texts]
    assert compiled == reference
    assert sum(1 for found in compiled if found) > 50  # the texts do hold rows and passages


@needs_compiled
def test_words_heads_and_lookups_are_those_of_the_numpy_reference(setting) -> None:
    index = setting[0]
    hasher = index.hasher
    table = index.tables["customers"]
    rng = random.Random(7)
    alphabet = ["김", "민", "수", "이", "서", "a", "7", " ", "  ", ".", "é", "\u3000", "\t"]
    for size in [*range(0, 40), 300, 9000, 70_000]:
        text = "".join(rng.choice(alphabet) for _ in range(size))
        words = tokens.Words.of(text)
        for heads in ([], [2], [1, 3, 5]):
            for grouped in (False, True):
                keyed = hasher.keyed_runs(words.data, (1, 2, 5), heads, grouped)
                assert keyed.words.tolist() == hasher.keyed(words.data).tolist()
                runs, _ = tokens.combine_many(keyed.words, (1, 2, 5))
                assert {n: r.tolist() for n, r in keyed.runs.items()} == {
                    n: r.tolist() for n, r in runs.items()
                }
                if not heads or not len(keyed.words):
                    continue
                if grouped:
                    found, at, taken = hasher.hangul_heads(words.data, heads)
                    where = list(zip(at.tolist(), taken.tolist(), strict=True))
                else:
                    pieces, where, _ = cells._head_pieces(words, frozenset(heads))
                    found = tokens.mix(hasher.keyed(b" ".join(pieces)))
                assert keyed.heads.tolist() == found.tolist()
                assert [tuple(w) for w in keyed.where[:, :2].tolist()] == where
        assert words.spans() == [words.span(i, i) for i in range(len(words.tokens()))]
        wanted = np.concatenate([keyed.words, table._hashes.hashes[: rng.randint(0, 30)]])
        found_entries = table._hashes.entries(wanted, 2)
        hits, left, right = table._hashes.ranges(wanted)
        expected = [
            (entry, int(hit))
            for hit, first, after in zip(hits, left, right, strict=True)
            if after - first <= 2
            for entry in range(int(first), int(after))
        ]
        assert list(zip(*(a.tolist() for a in found_entries), strict=True)) == expected


@needs_compiled
def test_code_tokens_are_those_of_the_regex() -> None:
    from gateway.detect.company.code import SORTED_KEYWORDS, code_words, reads_to_a_closer

    assert tokens.compiled is not None
    rng = random.Random(11)
    alphabet = [
        *"abcxyzK_0123456789 \t\n.,;:(){}[]=+-*/#'\"\\<>!&|",
        *["\u212a", "brea", "BREAK", "İf", "김", "²", "ſ", "\ud800", "😀", "return", "--", "//"],
        *["١٢", "'a'", '"x\\"y"', "a" * 1999, "-- ", "#x\n"],
    ]
    checked = 0
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if reads_to_a_closer(text):
            continue
        words = code_words(text)
        blocks, count = tokens.compiled.code_cut(text, SORTED_KEYWORDS)
        joined = " ".join(words).encode("utf-8", "surrogatepass")
        expected = tokens._unkeyed(joined).tolist() if words else []
        assert count == len(words)
        assert np.frombuffer(blocks, dtype=np.uint64)[::2].tolist() == expected, text
        checked += 1
    assert checked > 2000


@needs_compiled
def test_digit_stretches_and_code_marks_are_those_of_the_regex_and_counts() -> None:
    from gateway.detect.company.code import looks_like_code

    rng = random.Random(8)
    alphabet = [*"0123456789 .-/()ab,+\n{};=", "١", "٣", "２", "김", "\u3000"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        for min_digits in (1, 4, 11, 40, 60):
            wanted = cells.Wanted(
                True, True, True, 1, frozenset(), cells.PhoneRegion(), min_digits=min_digits
            )
            least = min(max(min_digits, 4), 40)
            expected = [match.span() for match in wanted.stretches.finditer(text)]
            assert list(cells._stretch_spans(text, wanted, least)) == expected, text
        marks = sum(map(text.count, "{}();="))
        assert looks_like_code(text) == (marks * 60 >= len(text) > 0)
