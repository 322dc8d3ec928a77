"""Looking up many 64-bit hashes in a large sorted, memory-mapped array.

A text offers a few hundred candidates per KB and almost none of them is registered, so
each lookup first asks a presence filter (``presence_bits``: one bit per slot of the
hash's top bits, 16 slots per entry, so ~6 % of absent hashes pass): one gather per
candidate, one cache miss at most, where a binary search in a million-row table costs
22 probes and a dozen misses. Only what passes is searched (``numpy.searchsorted``), then
for each candidate found, the run of equal entries (rows sharing a value) and, flattened,
every entry of every run.

The filter is saved with the part (``filter.npy``) and mapped like the rest; a part saved
without it gets one built when it is opened (2 bytes per entry, in that process).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["FILTER", "Indices", "SortedHashes", "mapped", "presence_bits"]

Indices = npt.NDArray[np.int64]
#: the filter's file name in a part's directory
FILTER: Final = "filter"
_SLOTS_PER_ENTRY: Final = 16
_MIN_BITS: Final = 10  # 128 bytes
_THREE: Final = np.uint64(3)
_SEVEN: Final = np.uint64(7)
#: each slot's bit within its byte, gathered where a shift would make int64 temporaries
_BIT: Final = np.array([1 << bit for bit in range(8)], dtype=np.uint8)
_EMPTY: Final[Indices] = np.empty(0, dtype=np.int64)


def mapped(path: Path) -> npt.NDArray[Any]:
    """An ``.npy`` file memory-mapped read-only, as a plain array: indexing a ``memmap``
    goes through Python-level hooks (~10 µs a call), a view of its buffer does not."""
    array: npt.NDArray[Any] = np.asarray(np.load(path, mmap_mode="r"))
    return array


def _bits_for(entries: int) -> int:
    return max(_MIN_BITS, int(entries * _SLOTS_PER_ENTRY - 1).bit_length())


def presence_bits(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
    """The presence filter of a sorted hash array: bit ``h >> (64 - b)`` is set for every
    entry ``h``, with ``2**b`` ≥ 16 entries; its size tells ``b``."""
    bits = _bits_for(len(hashes))
    out = np.zeros(1 << (bits - 3), dtype=np.uint8)
    if not len(hashes):
        return out
    slots = hashes >> np.uint64(64 - bits)
    positions = (slots >> np.uint64(3)).astype(np.intp)
    flags = np.left_shift(1, (slots & np.uint64(7)).astype(np.uint8)).astype(np.uint8)
    # sorted, so the entries of one byte are adjacent: OR each group into its byte
    starts = np.flatnonzero(np.concatenate(([True], positions[1:] != positions[:-1])))
    out[positions[starts]] = np.bitwise_or.reduceat(flags, starts)
    return out


class SortedHashes:
    """A sorted uint64 array (memory-mapped), its presence filter, and their lookups."""

    def __init__(
        self, hashes: npt.NDArray[np.uint64], bits: npt.NDArray[np.uint8] | None = None
    ) -> None:
        self.hashes = hashes
        self.bits = presence_bits(hashes) if bits is None else bits
        size = len(self.bits).bit_length() - 1 + 3
        if len(self.bits) != 1 << (size - 3) or size != _bits_for(len(hashes)):
            raise ValueError("the presence filter does not fit the hashes: register again")
        self._shift = np.uint64(64 - size)

    @classmethod
    def open(cls, folder: Path, name: str) -> SortedHashes:
        """``<name>.npy`` of a part, with its filter when one was saved."""
        saved = folder / f"{FILTER}.npy"
        return cls(mapped(folder / f"{name}.npy"), mapped(saved) if saved.exists() else None)

    def __len__(self) -> int:
        return len(self.hashes)

    def maybe(self, wanted: npt.NDArray[np.uint64]) -> Indices:
        """Which wanted hashes the filter lets through (every present one, ~6 % of others)."""
        slots = wanted >> self._shift
        held = self.bits[slots >> _THREE]  # an unsigned index array needs no cast
        passed: Indices = (held & _BIT[slots & _SEVEN]).nonzero()[0]
        return passed

    def ranges(self, wanted: npt.NDArray[np.uint64]) -> tuple[Indices, Indices, Indices]:
        """Which wanted hashes were found, and for each of those where its run of equal
        entries starts and ends. A text's candidates are mostly absent, so the few the
        filter lets through are searched once and the call returns when none is there."""
        hashes = self.hashes
        if not len(hashes) or not len(wanted):
            return _EMPTY, _EMPTY, _EMPTY
        passed = self.maybe(wanted)
        if not len(passed):
            return _EMPTY, _EMPTY, _EMPTY
        probe = wanted[passed]
        starts = np.searchsorted(hashes, probe, side="left")
        found = hashes.take(starts, mode="clip") == probe
        if not found.any():
            return _EMPTY, _EMPTY, _EMPTY
        probe = probe[found]
        ends: Indices = np.searchsorted(hashes, probe, side="right")
        return passed[found], starts[found], ends

    def entries(self, wanted: npt.NDArray[np.uint64], longest: int) -> tuple[Indices, Indices]:
        """Every entry equal to a wanted hash, as (entry index, wanted index) pairs; a
        hash with more than ``longest`` entries is left out."""
        hits, left, right = self.ranges(wanted)
        if not len(hits):
            return _EMPTY, _EMPTY
        lengths = right - left
        if int(lengths.max()) > longest:
            keep = lengths <= longest
            hits, left, lengths = hits[keep], left[keep], lengths[keep]
            if not len(hits):
                return _EMPTY, _EMPTY
        if int(lengths.max()) == 1:  # the usual case: each value in one row or document
            return left, hits
        total = int(lengths.sum())
        firsts = np.repeat(left, lengths)
        within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return firsts + within, np.repeat(hits, lengths)
