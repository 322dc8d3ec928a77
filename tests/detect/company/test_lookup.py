"""Lookups in sorted hash arrays: runs of equal entries, flattened, capped."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.detect.company.lookup import SortedHashes


@pytest.mark.parametrize("size", [0, 1, 5, 31, 33, 1000, 100_000])
def test_ranges_agree_with_searchsorted(size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.integers(0, 2**64, size=size, dtype=np.uint64, endpoint=False)
    values = np.sort(np.concatenate([values, values[: size // 10]]))  # some repeated
    table = SortedHashes(values)
    present = values[rng.integers(0, len(values), size=50)] if len(values) else values
    absent = rng.integers(0, 2**64, size=200, dtype=np.uint64, endpoint=False)
    edges = np.array([0, 2**64 - 1], dtype=np.uint64)
    wanted = np.concatenate([present, absent, edges])
    hits, left, right = table.ranges(wanted)
    expected_left = np.searchsorted(values, wanted, side="left")
    expected_right = np.searchsorted(values, wanted, side="right")
    expected_hits = np.flatnonzero(expected_right > expected_left)
    assert hits.tolist() == expected_hits.tolist()
    assert left.tolist() == expected_left[hits].tolist()
    assert right.tolist() == expected_right[hits].tolist()


def test_entries_list_every_equal_entry_and_skip_long_runs() -> None:
    values = np.array([3, 5, 5, 5, 9, 9, 12], dtype=np.uint64)
    table = SortedHashes(values)
    wanted = np.array([9, 4, 5, 12], dtype=np.uint64)
    entries, which = table.entries(wanted, longest=3)
    assert sorted(zip(entries.tolist(), which.tolist(), strict=True)) == [
        (1, 2),
        (2, 2),
        (3, 2),
        (4, 0),
        (5, 0),
        (6, 3),
    ]
    entries, which = table.entries(wanted, longest=2)
    assert sorted(zip(entries.tolist(), which.tolist(), strict=True)) == [(4, 0), (5, 0), (6, 3)]
    assert SortedHashes(np.empty(0, dtype=np.uint64)).entries(wanted, 3)[0].tolist() == []


@pytest.mark.parametrize("size", [0, 1, 7, 1000, 50_000])
def test_the_presence_filter_lets_every_entry_through_and_few_others(size: int) -> None:
    from gateway.detect.company.lookup import presence_bits

    rng = np.random.default_rng(size + 1)
    values = np.sort(rng.integers(0, 2**64, size=size, dtype=np.uint64, endpoint=False))
    table = SortedHashes(values)
    assert table.maybe(values).tolist() == list(range(size))  # no false negative, ever
    absent = rng.integers(0, 2**64, size=20_000, dtype=np.uint64, endpoint=False)
    assert len(table.maybe(absent)) <= 20_000 * 0.08  # 16 slots an entry: ~6 % pass
    assert len(table.bits) * 8 >= 16 * size
    assert np.array_equal(SortedHashes(values, presence_bits(values)).bits, table.bits)


def test_a_filter_that_does_not_fit_the_hashes_is_refused() -> None:
    from gateway.detect.company.lookup import presence_bits

    values = np.arange(1000, dtype=np.uint64)
    with pytest.raises(ValueError, match="register again"):
        SortedHashes(values, presence_bits(values[:10]))


@pytest.mark.parametrize("size", [1, 5, 1000, 100_000])
def test_runs_read_from_buckets_are_those_the_search_finds(size: int) -> None:
    from gateway.detect.company.lookup import bucket_directory

    rng = np.random.default_rng(size + 2)
    values = rng.integers(0, 2**64, size=size, dtype=np.uint64, endpoint=False)
    values = np.sort(np.concatenate([values, values[: size // 10], values[:1].repeat(3)]))
    searched = SortedHashes(values)
    bucketed = SortedHashes(values, directory=bucket_directory(values))
    present = values[rng.integers(0, len(values), size=300)]
    absent = rng.integers(0, 2**64, size=3_000, dtype=np.uint64, endpoint=False)
    edges = np.array([0, 2**64 - 1], dtype=np.uint64)
    wanted = np.concatenate([present, absent, edges])
    assert len(bucketed.maybe(wanted)) >= 64  # enough to be read through the buckets
    expected = [a.tolist() for a in searched.ranges(wanted)]
    assert [a.tolist() for a in bucketed.ranges(wanted)] == expected
    assert len(expected[0]) >= len(set(present.tolist()))


def test_a_bucket_too_wide_to_read_falls_back_to_the_search() -> None:
    from gateway.detect.company.lookup import bucket_directory

    rng = np.random.default_rng(7)
    common = np.uint64(2**63 + 12345)
    values = np.sort(
        np.concatenate([rng.integers(0, 2**64, size=5_000, dtype=np.uint64), np.full(300, common)])
    )
    bucketed = SortedHashes(values, directory=bucket_directory(values))
    wanted = np.concatenate([values[rng.integers(0, len(values), size=200)], [common]])
    hits, left, right = bucketed.ranges(wanted)
    expected_left = np.searchsorted(values, wanted[hits], side="left")
    assert left.tolist() == expected_left.tolist()
    assert (right - left).max() == 300 and hits[-1] == len(wanted) - 1
    with pytest.raises(ValueError, match="bucket directory"):
        SortedHashes(values, directory=bucket_directory(values[:-1]))
