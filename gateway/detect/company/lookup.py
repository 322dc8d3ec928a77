"""Looking up many 64-bit hashes in a large sorted, memory-mapped array.

One ``numpy.searchsorted`` over all of a text's candidates: 22 probes each in a million
rows, ~15 µs for the few hundred candidates of a 1 KB prompt once the pages are warm (a
bucket directory over the top bits was measured 20× slower: numpy's per-call overhead
outweighs the probes it saves). Then, for each candidate found, the run of equal entries
(rows sharing a value) and, flattened, every entry of every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["SortedHashes", "mapped"]

Indices = npt.NDArray[np.int64]


def mapped(path: Path) -> npt.NDArray[Any]:
    """An ``.npy`` file memory-mapped read-only, as a plain array: indexing a ``memmap``
    goes through Python-level hooks (~10 µs a call), a view of its buffer does not."""
    array: npt.NDArray[Any] = np.asarray(np.load(path, mmap_mode="r"))
    return array


class SortedHashes:
    """A sorted uint64 array (memory-mapped) and its lookups."""

    def __init__(self, hashes: npt.NDArray[np.uint64]) -> None:
        self.hashes = hashes

    def __len__(self) -> int:
        return len(self.hashes)

    def ranges(self, wanted: npt.NDArray[np.uint64]) -> tuple[Indices, Indices, Indices]:
        """For each wanted hash, where its run of equal entries starts and ends, and which
        wanted hashes have one (a second search only for those)."""
        hashes = self.hashes
        left = np.searchsorted(hashes, wanted, side="left").astype(np.int64)
        if not len(hashes):
            return left, left.copy(), np.empty(0, dtype=np.int64)
        hits = np.flatnonzero(hashes[np.minimum(left, len(hashes) - 1)] == wanted)
        right = left.copy()
        if len(hits):
            right[hits] = np.searchsorted(hashes, wanted[hits], side="right")
        return left, right, hits

    def entries(self, wanted: npt.NDArray[np.uint64], longest: int) -> tuple[Indices, Indices]:
        """Every entry equal to a wanted hash, as (entry index, wanted index) pairs; a
        hash with more than ``longest`` entries is left out."""
        left, right, hits = self.ranges(wanted)
        lengths = right[hits] - left[hits]
        keep = lengths <= longest
        hits, lengths = hits[keep], lengths[keep]
        total = int(lengths.sum())
        if not total:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        firsts = np.repeat(left[hits], lengths)
        within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return firsts + within, np.repeat(hits, lengths)
