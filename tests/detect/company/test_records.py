"""Exact data match: a registered row found by its fields, in every spelling they take."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from gateway.detect.company.index import CompanyIndex, CompanyIndexError
from gateway.detect.company.recognizers import CompanyRecognizer
from gateway.detect.company.records import Column, build_table
from gateway.detect.engine import DetectionEngine
from tests.detect.company.support import KEY, build_customers, raw_values


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> CompanyIndex:
    return build_customers(tmp_path_factory.mktemp("company"))


def records(index: CompanyIndex, min_fields: int = 2, **options) -> CompanyRecognizer:
    return CompanyRecognizer(index, ["COMPANY_RECORD"], min_fields, **options)


def fields(index: CompanyIndex, text: str, min_fields: int = 2, columns=()) -> set[int]:
    recognizer = records(index, min_fields, columns=columns)
    return {int(r.recognition_metadata["company_matched"]) for r in recognizer.analyze(text, [])}


@pytest.mark.parametrize(
    "text",
    [
        "고객 김민수 연락처 010-2345-6789",
        "김민수님 전화 01023456789 부탁",
        "김민수의 번호는 010 2345 6789",
        "김민수 +82 10-2345-6789",
        "김민수 (+82) 010.2345.6789",  # a national number written after the country code
        "김 민수 / 0082 10 2345 6789",
        "MINSU.KIM@example.COM 계좌 110123456789",
        "account 110 123 456789 of minsu.kim@example.com",
        "employee e10234, mail Minsu.Kim@Example.com",
        "Write to JOHN SMITH at +1 (415) 555-2671",
        "john smith\n14155552671",
        "이서연 02 3142 2161",
        "이 서연 씨, 0231422161",
        "Ana María López — +34 612 34 56 78",
    ],
)
def test_two_fields_of_one_row_in_any_spelling_are_a_record(index, text: str) -> None:
    assert fields(index, text) == {2}


def test_the_finding_covers_each_field_and_names_the_table(index) -> None:
    text = "고객 김민수님 연락처 010-2345-6789 확인"
    found = records(index, 2).analyze(text, [])
    assert sorted(text[r.start : r.end] for r in found) == ["010-2345-6789", "김민수"]
    assert {r.recognition_metadata["company_source"] for r in found} == {"customers"}


@pytest.mark.parametrize(
    "text",
    [
        "김민수 고객님 안녕하세요",  # a name alone
        "John Smith wrote the report",
        "call 010-2345-6789 tomorrow",  # a phone alone
        "김민수 02-3142-2161",  # fields of two different rows
        "John Smith, seoyeon@corp.kr",
        "김민수 010-2345-6780",  # one digit off
        "김민 010-2345-6789 is a shorter name",  # 김민 is not 김민수
        "Kim Minsu 010-9999-6789",
    ],
)
def test_a_single_field_or_fields_of_different_rows_are_not_a_record(index, text: str) -> None:
    assert fields(index, text) == set()


def test_min_fields_counts_distinct_columns(index) -> None:
    text = "김민수, 010-2345-6789, minsu.kim@example.com, 110-123-456789"
    assert fields(index, text, min_fields=4) == {4}
    assert fields(index, text, min_fields=5) == set()
    assert fields(index, "김민수 고객", min_fields=1) == {1}
    # the same field twice is one field
    assert fields(index, "010-2345-6789 or 01023456789", min_fields=2) == set()


def test_only_the_chosen_columns_count(index) -> None:
    text = "김민수 010-2345-6789 110-123-456789"
    assert fields(index, text, columns=["phone", "account"]) == {2}
    assert fields(index, "김민수 010-2345-6789", columns=["phone", "account"]) == set()
    # by column name as well as type
    assert fields(index, "김민수 E-10234", columns=["name", "employee_id"]) == {2}


def test_skipped_columns_are_not_indexed(index) -> None:
    assert fields(index, "김민수 VIP 고객", min_fields=2) == set()


def test_no_raw_value_is_in_the_index_files(tmp_path: Path) -> None:
    build_customers(tmp_path)
    blob = b"".join(p.read_bytes() for p in (tmp_path / "tables").rglob("*") if p.is_file())
    for value in raw_values():
        for encoded in {value.encode(), value.encode("utf-16-le"), value.lower().encode()}:
            assert encoded not in blob, value


def test_an_index_built_with_another_key_is_refused(tmp_path: Path) -> None:
    build_customers(tmp_path)
    with pytest.raises(CompanyIndexError, match="another company key"):
        CompanyIndex.open(tmp_path, b"another-key-0123456789abcdef")


def test_another_key_gives_other_hashes(tmp_path: Path) -> None:
    one = build_customers(tmp_path / "a", KEY)
    two = build_customers(tmp_path / "b", b"x" * 32)
    assert (
        one.tables["customers"]._hashes.hashes.tolist()
        != two.tables["customers"]._hashes.hashes.tolist()
    )


def test_the_recognizer_travels_to_a_worker_process_as_a_path(tmp_path: Path) -> None:
    rows = [[f"Person {n}", f"010-{n:04d}-{n:04d}"] for n in range(20_000)]
    columns = [Column("name", "name"), Column("phone", "phone")]
    build_table(tmp_path / "tables" / "big", "big", columns, rows, KEY)
    recognizer = records(CompanyIndex.open(tmp_path, KEY), 2)
    pickled = pickle.dumps(recognizer)
    assert KEY in pickled  # the key travels to the scan worker: never the arrays
    assert len(pickled) < 4096  # the table's arrays alone are 520 KB
    copy = pickle.loads(pickled)
    assert len(copy.analyze("Person 42 010-0042-0042", [])) == 2


def test_bad_settings_are_errors(index, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no registered table"):
        records(index, 2, tables=["nope"])
    with pytest.raises(ValueError, match="min_fields"):
        records(index, 0)
    with pytest.raises(ValueError, match="unknown type"):
        Column("x", "colour")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="phone region"):
        build_table(tmp_path / "t", "t", [Column("p", "phone")], [["1"]], KEY, "XX")


def test_the_engine_reports_company_records_with_source_and_count(index) -> None:
    engine = DetectionEngine(entities=["PHONE_NUMBER"], extra_recognizers=[records(index, 2)])
    texts = ["first message", "고객 김민수님 ０１０-２３４５-６７８９"]  # full-width digits
    findings = engine.scan_segments(texts)
    company = [f for f in findings[1] if f.entity_type == "COMPANY_RECORD"]
    assert len(company) == 2
    assert {(f.source, f.matched) for f in company} == {("customers", 2)}
    assert findings[0] == []


def test_a_large_value_shared_by_many_rows_identifies_none(tmp_path: Path) -> None:
    rows = [[f"Person {i:04d}", "02-2100-2114"] for i in range(300)]
    build_table(
        tmp_path / "tables" / "staff",
        "staff",
        [Column("name", "name"), Column("phone", "phone")],
        rows,
        KEY,
    )
    index = CompanyIndex.open(tmp_path, KEY)
    assert fields(index, "Person 0042 at 02-2100-2114") == set()
    assert fields(index, "Person 0042", min_fields=1) == {1}


@pytest.mark.parametrize(
    "words", [["a"], ["john", "smith"], ["김민수"], ["김", "민수"], list("abcdefgh")]
)
def test_a_cell_hashes_as_the_same_words_found_in_a_prompt(words: list[str]) -> None:
    from gateway.detect.company.cells import PhoneRegion, cell_hashes
    from gateway.detect.company.tokens import TokenHasher, combine

    hasher = TokenHasher(KEY)
    [(cell, size)] = cell_hashes(hasher, "name", [" ".join(words)], PhoneRegion())
    hangul = len(words) > 1 and all("가" <= w[0] <= "힣" for w in words)
    assert size == (1 if hangul else len(words))
    joined = ["".join(words)] if hangul else words
    assert cell == int(combine(hasher.tokens(joined), len(joined))[0])


def test_hangul_names_are_cut_alike_on_short_and_long_texts(index) -> None:
    """Short texts take a Python loop, long ones numpy: both give the same candidates."""
    from gateway.detect.company import cells
    from gateway.detect.company.tokens import Words

    text = "고객 김민수님과 이 서연 씨, 박지훈의 김 민수 남궁민수에게 A 가 나다라마바 " * 400
    words = Words.of(text)
    assert len(words.data) >= cells._VECTOR_BYTES
    lengths = frozenset({2, 3, 4})
    long, short = cells.Candidates(words=words), cells.Candidates(words=words)
    cells._hangul_names(words, index.hasher, lengths, long)
    small = Words.of(text[: len(text) // 400])
    cells._hangul_names(small, index.hasher, lengths, short)
    [(long_hashes, long_where)] = long.glued
    [(short_hashes, short_where)] = short.glued
    per_text = len(short_where)
    assert per_text > 10
    pairs = sorted(zip(long_hashes.tolist(), long_where, strict=True))
    repeated = [
        (h, (w + copy * len(small.tokens()), n))
        for copy in range(400)
        for h, (w, n) in zip(short_hashes.tolist(), short_where, strict=True)
    ]
    assert pairs == sorted(repeated)


@pytest.mark.parametrize("asked", [{3}, {2, 3, 4}])
def test_name_heads_keyed_with_the_words_are_those_keyed_apart(index, asked: set[int]) -> None:
    from gateway.detect.company import cells
    from gateway.detect.company.tokens import Words

    text = "고객 김민수님과 이 서연 씨, 박지훈의 김 민수 남궁민수에게 A 가 나다라마바 x1"
    apart, together = Words.of(text), Words.of(text)
    lengths = frozenset(asked)
    separate, merged = cells.Candidates(), cells.Candidates()
    assert cells.words_and_heads(together, index.hasher, frozenset({2, 3, 4}))[0].tolist() == (
        index.hasher.keyed(apart.data).tolist()
    )
    cells._hangul_names(apart, index.hasher, lengths, separate)
    cells._hangul_names(together, index.hasher, lengths, merged)
    assert apart.heads is None and together.heads is not None
    [(hashes, where)] = separate.glued
    [(merged_hashes, merged_where)] = merged.glued
    assert len(where) > 3
    assert merged_hashes.tolist() == hashes.tolist()
    assert [tuple(w) for w in merged_where] == [tuple(w) for w in where]


def test_digit_runs_read_within_stretches_are_those_read_everywhere() -> None:
    import random

    from gateway.detect.company.cells import PhoneRegion, Wanted, _runs

    rng = random.Random(20261207)
    alphabet = "0123456789 -./()+ax\n_٣가"  # ٣: a digit and a word character
    for min_digits in (4, 7, 11):
        wanted = Wanted(True, True, False, 0, frozenset(), PhoneRegion(), min_digits)
        for _ in range(2_000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
            expected = [m.span() for m in wanted.runs.finditer(text)]
            assert [m.span() for m in _runs(text, wanted)] == expected, (text, min_digits)


def test_rows_counted_in_python_are_those_counted_in_numpy(index, monkeypatch) -> None:
    """A few entries are counted with a dict, many with numpy: both give the same rows."""
    texts = [
        "고객 김민수 연락처 010-2345-6789, john smith 14155552671 E-20931",
        "김민수 john.smith@acme.io 이 서연 0231422161 seoyeon@corp.kr E-30310 E-10234",
        "Minsu.Kim@Example.com 계좌 110123456789 김민수님 그리고 +34 612 34 56 78 Ana María López",
        "아무 관계 없는 문장 010-9999-8888",
    ]
    recognizer = records(index, 1)
    few = [
        [
            (r.start, r.end, r.recognition_metadata["company_matched"])
            for r in recognizer.analyze(t, [])
        ]
        for t in texts
    ]
    monkeypatch.setattr("gateway.detect.company.records._FEW_ENTRIES", -1)
    many = [
        [
            (r.start, r.end, r.recognition_metadata["company_matched"])
            for r in recognizer.analyze(t, [])
        ]
        for t in texts
    ]
    assert few == many
    assert sum(map(len, few)) >= 10
