"""Pieces of one file are judged where they meet, and unseen pieces refuse."""

from __future__ import annotations

import pytest

from gateway.providers.joins import EDGE_BYTES, MAX_PIECES, UploadJoins
from gateway.providers.upload_errors import UploadProblem


def test_a_chunk_is_read_joined_to_the_chunk_before_it() -> None:
    joins = UploadJoins()
    first = b"x" * 1000 + b"number 900101-"
    assert joins.chunk("u1", 0, first) == []
    (window,) = joins.chunk("u1", len(first), b"1234568 and more")
    assert "900101-1234568" in window
    assert len(window) <= 2 * EDGE_BYTES


def test_a_multibyte_character_cut_between_chunks_is_whole_in_the_window() -> None:
    joins = UploadJoins()
    data = "주민번호 900101-1234568".encode()
    cut = data.index("번".encode()) + 1  # inside the character
    joins.chunk("u", 0, data[:cut])
    (window,) = joins.chunk("u", cut, data[cut:])
    assert window == data.decode()


def test_a_value_sent_a_byte_per_chunk_is_whole_in_one_window() -> None:
    joins = UploadJoins()
    data = b"x" * 300 + b"900101-1234568" + b"y" * 10
    windows = [
        w
        for offset in range(len(data))
        for w in joins.chunk("u", offset, data[offset : offset + 1])
    ]
    assert any("900101-1234568" in w for w in windows)


def test_a_retried_chunk_is_read_as_the_first_time() -> None:
    joins = UploadJoins()
    joins.chunk("u", 0, b"a" * 300 + b"900101-")
    first = joins.chunk("u", 307, b"1234568")
    assert joins.chunk("u", 307, b"1234568") == first


@pytest.mark.parametrize("offset", [4096, 3])
def test_a_chunk_that_does_not_continue_the_file_is_refused(offset: int) -> None:
    joins = UploadJoins()
    joins.chunk("u", 0, b"0123456789")
    with pytest.raises(UploadProblem):
        joins.chunk("u", offset, b"rest of a file")
    with pytest.raises(UploadProblem):
        UploadJoins().chunk("other", offset, b"rest of a file")


def test_completion_joins_every_ordered_pair_of_parts() -> None:
    joins = UploadJoins()
    joins.part("up", b"1234568 tail" + b"x" * EDGE_BYTES)
    joins.part("up", b"y" * EDGE_BYTES + b"head 900101-")
    windows = joins.completion("up", 2)
    assert any("900101-1234568" in w for w in windows)  # completed in the other order


def test_one_short_part_is_also_read_between_the_others() -> None:
    joins = UploadJoins()
    joins.part("up", b"a" * EDGE_BYTES + b"900101")
    joins.part("up", b"-1234")  # the middle of the value, sent in a part of its own
    joins.part("up", b"568" + b"b" * EDGE_BYTES)
    windows = joins.completion("up", 3)
    assert any("900101-1234568" in w for w in windows)


def test_two_short_parts_refuse_the_completion() -> None:
    joins = UploadJoins()
    for piece in (b"a" * EDGE_BYTES, b"9001", b"01-1234568"):
        joins.part("up", piece)
    with pytest.raises(UploadProblem) as refused:
        joins.completion("up", 3)
    assert "shorter than" in refused.value.english


@pytest.mark.parametrize(("seen", "completed"), [(1, 2), (2, 1), (MAX_PIECES + 1, MAX_PIECES + 1)])
def test_completion_with_parts_not_seen_is_refused(seen: int, completed: int) -> None:
    joins = UploadJoins()
    for _ in range(seen):
        joins.part("up", b"part")
    with pytest.raises(UploadProblem):
        joins.completion("up", completed)


def test_completion_forgets_the_upload() -> None:
    joins = UploadJoins()
    joins.part("up", b"a")
    joins.completion("up", 1)
    with pytest.raises(UploadProblem):
        joins.completion("up", 1)


def test_the_oldest_uploads_are_forgotten_first() -> None:
    joins = UploadJoins(max_uploads=2)
    for upload in ("a", "b", "c"):
        joins.part(upload, b"x")
    with pytest.raises(UploadProblem):
        joins.completion("a", 1)
    assert joins.completion("c", 1) == []
