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


def test_a_chunk_whose_predecessor_was_not_seen_is_refused() -> None:
    with pytest.raises(UploadProblem):
        UploadJoins().chunk("u", 4096, b"rest of a file")


def test_completion_joins_every_ordered_pair_of_parts() -> None:
    joins = UploadJoins()
    joins.part("up", b"1234568 tail")
    joins.part("up", b"head 900101-")
    windows = joins.completion("up", 2)
    assert any("900101-1234568" in w for w in windows)  # completed in the other order


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
