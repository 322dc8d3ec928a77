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

A long text lets hundreds of candidates through the filter, and each binary search
then misses the cache a dozen times. A part registered with a bucket directory
(``directory.npy``: for each value of the hash's top bits, ~4 entries a bucket, where
its entries start; 1 byte per entry) finds each candidate's run with one read of the
directory and one gather of its bucket. A short text keeps the binary search, which
costs fewer numpy calls for a few candidates; a part saved without a directory always
does. Compiled (``_scan.entries``, on the request path), every candidate is searched in
its bucket, in one pass with the filter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from gateway.detect.company.tokens import compiled

__all__ = [
    "DIRECTORY",
    "FILTER",
    "Indices",
    "SortedHashes",
    "bucket_directory",
    "mapped",
    "presence_bits",
]

Indices = npt.NDArray[np.int64]
#: the filter's and the bucket directory's file names in a part's folder
FILTER: Final = "filter"
DIRECTORY: Final = "directory"
_ENTRIES_PER_BUCKET: Final = 4
#: from this many candidates past the filter, runs are found through the directory
_BUCKETS_FROM: Final = 64
#: a bucket wider than this (a value held by many rows) sends the call to the search
_WIDEST_BUCKET: Final = 64
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


Directory = npt.NDArray[np.unsignedinteger[Any]]


def bucket_directory(hashes: npt.NDArray[np.uint64]) -> Directory:
    """Where the entries of each bucket of a sorted hash array start (bucket: the hash's
    top ``b`` bits, ~4 entries a bucket), and the array's length last; its size tells
    ``b``."""
    bits = max(1, (len(hashes) // _ENTRIES_PER_BUCKET).bit_length())
    firsts = np.arange(1 << bits, dtype=np.uint64) << np.uint64(64 - bits)
    dtype = np.uint32 if len(hashes) < 1 << 32 else np.uint64
    out: Directory = np.empty((1 << bits) + 1, dtype=dtype)
    out[:-1] = np.searchsorted(hashes, firsts, side="left")
    out[-1] = len(hashes)
    return out


class SortedHashes:
    """A sorted uint64 array (memory-mapped), its presence filter, and their lookups."""

    def __init__(
        self,
        hashes: npt.NDArray[np.uint64],
        bits: npt.NDArray[np.uint8] | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.hashes = hashes
        self.bits = presence_bits(hashes) if bits is None else bits
        size = len(self.bits).bit_length() - 1 + 3
        if len(self.bits) != 1 << (size - 3) or size != _bits_for(len(hashes)):
            raise ValueError("the presence filter does not fit the hashes: register again")
        self._shift = np.uint64(64 - size)
        self.directory = directory
        self._bucket_shift = np.uint64(0)
        if directory is not None:
            buckets = len(directory) - 1
            if buckets < 2 or buckets & (buckets - 1) or int(directory[-1]) != len(hashes):
                raise ValueError("the bucket directory does not fit the hashes: register again")
            self._bucket_shift = np.uint64(64 - (buckets.bit_length() - 1))
        #: the directory as the compiled lookup reads it (uint32; empty: search instead)
        self._compiled_directory: npt.NDArray[Any] | bytes = (
            directory if directory is not None and directory.dtype == np.uint32 else b""
        )

    @classmethod
    def open(cls, folder: Path, name: str) -> SortedHashes:
        """``<name>.npy`` of a part, with its filter and directory when they were saved."""
        saved = folder / f"{FILTER}.npy"
        directory = folder / f"{DIRECTORY}.npy"
        return cls(
            mapped(folder / f"{name}.npy"),
            mapped(saved) if saved.exists() else None,
            mapped(directory) if directory.exists() else None,
        )

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
        if self.directory is not None and len(passed) >= _BUCKETS_FROM:
            found_in_buckets = self._in_buckets(probe)
            if found_in_buckets is not None:
                present, first, after = found_in_buckets
                if not present.any():
                    return _EMPTY, _EMPTY, _EMPTY
                return passed[present], first[present], after[present]
        starts = np.searchsorted(hashes, probe, side="left")
        found = hashes.take(starts, mode="clip") == probe
        if not found.any():
            return _EMPTY, _EMPTY, _EMPTY
        probe = probe[found]
        ends: Indices = np.searchsorted(hashes, probe, side="right")
        return passed[found], starts[found], ends

    def _in_buckets(
        self, probe: npt.NDArray[np.uint64]
    ) -> tuple[npt.NDArray[np.bool_], Indices, Indices] | None:
        """For each probe, whether it is present and where its run starts and ends, read
        from its bucket: the entries below it and up to it, counted among the bucket's
        (a bucket is sorted, and every entry equal to a probe is in the probe's bucket).
        None when a bucket is too wide to read this way."""
        assert self.directory is not None
        bucket = probe >> self._bucket_shift
        first = self.directory[bucket].astype(np.int64)
        after = self.directory[bucket + np.uint64(1)].astype(np.int64)
        width = int((after - first).max())
        if width > _WIDEST_BUCKET:
            return None
        places = first[:, None] + np.arange(width)
        values = self.hashes.take(places, mode="clip")
        inside = places < after[:, None]
        wanted = probe[:, None]
        starts: Indices = first + ((values < wanted) & inside).sum(axis=1)
        ends: Indices = first + ((values <= wanted) & inside).sum(axis=1)
        return ends > starts, starts, ends

    def entries(self, wanted: npt.NDArray[np.uint64], longest: int) -> tuple[Indices, Indices]:
        """Every entry equal to a wanted hash, as (entry index, wanted index) pairs; a
        hash with more than ``longest`` entries is left out.

        Compiled (``tokens.compiled``): one pass over the wanted hashes, each asked of
        the filter and, if it passes, searched in its bucket (or the whole array)."""
        if compiled is not None and len(self.hashes):
            if not wanted.flags.c_contiguous:
                wanted = np.ascontiguousarray(wanted)
            pairs = compiled.entries(
                wanted,  # type: ignore[arg-type]  # any C-contiguous buffer
                self.bits,  # type: ignore[arg-type]
                int(self._shift),
                self.hashes,  # type: ignore[arg-type]
                longest,
                self._compiled_directory,  # type: ignore[arg-type]
                int(self._bucket_shift),
            )
            found = np.frombuffer(pairs, dtype=np.int64).reshape(-1, 2)
            return found[:, 0], found[:, 1]
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
