"""Words and their keyed 64-bit hashes: the one vocabulary of company matching.

A text is read as words: NFKC, case-folded, split at whitespace and ASCII punctuation
(``fold`` then ``Words``). Both the exact-data index (names, free-text cells) and the
document fingerprints keep only keyed hashes of words and of runs of words, so an index
holds nothing a reader without the key can test a guess against.

Cost is what decides the shape, because every prompt is read: the words are cut by
``bytes.translate`` and ``bytes.split`` (C loops), each word's polynomial hash over its
UTF-8 bytes comes from one prefix sum in numpy, and the key is applied to all of them
in one AES call (a pseudo-random permutation of the 64-bit value and the word's length:
``TokenHasher``). Runs of words (a two-word name, a k-gram of a document) are combined
from the word hashes with a polynomial and a mixing step (``combine``). Character spans
are computed only for what matched (``Words.span``).

On the request path the same arithmetic runs compiled (``compiled``, ``_scan.c``:
``TokenHasher.keyed_runs``): one pass cuts and hashes the words, one AES call keys them,
one pass combines and mixes the runs. The numpy code here stays the reference, and runs
where the extension was not built.
"""

from __future__ import annotations

import hashlib
import string
import threading
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:  # the compiled prompt side (_scan.c); without a C compiler, numpy does the same
    from gateway.detect.company import _scan as compiled
except ImportError:  # pragma: no cover - built everywhere make install runs
    compiled = None  # type: ignore[assignment]  # the module or None

__all__ = [
    "U64",
    "KeyedRuns",
    "TokenHasher",
    "Tokens",
    "Words",
    "combine",
    "combine_many",
    "compiled",
    "fold",
    "key_check",
    "mix",
    "mix_int",
]

U64 = npt.NDArray[np.uint64]
Indices = npt.NDArray[np.intp]
#: Hangul name heads keyed with the words: the lengths asked for, the heads' hashes,
#: where each is (word, syllables) and its syllables (``cells.words_and_heads``)
Heads = tuple[frozenset[int], U64, Sequence[Sequence[int]], npt.NDArray[np.int64]]

_SEPARATOR_BYTES: Final = (string.punctuation + string.whitespace).encode()
_TO_SPACE: Final = bytes.maketrans(_SEPARATOR_BYTES, b" " * len(_SEPARATOR_BYTES))

# polynomial bases (odd) and the split-mix finaliser's constants
_BASE: Final = np.uint64(0x9E3779B97F4A7C15)
_BYTE_BASE: Final = 0x100000001B3  # FNV's prime: odd, so it has an inverse modulo 2**64
_MASK: Final = (1 << 64) - 1
_MIX1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX2: Final = np.uint64(0x94D049BB133111EB)
_CHUNK: Final = 1 << 16  # bytes per prefix sum: bounds the temporary arrays


def _powers(base: int, count: int) -> U64:
    out = np.empty(count, dtype=np.uint64)
    value = 1
    for index in range(count):
        out[index] = value
        value = value * base & _MASK
    return out


_POWERS: Final = _powers(_BYTE_BASE, _CHUNK + 1)
_INVERSE_POWERS: Final = _powers(pow(_BYTE_BASE, -1, 1 << 64), _CHUNK + 1)


def fold(text: str) -> str:
    """NFKC (only when it changes anything), then case-folded."""
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


@dataclass(slots=True)
class Words:
    """A text's words: the folded text, its words as space-separated UTF-8 bytes, and
    (on demand) each word's span in the text."""

    folded: str
    data: bytes
    length: int  # of the original text, to clamp spans when folding changed lengths
    _spans: list[tuple[int, int]] | None = field(default=None, repr=False)
    _flat: npt.NDArray[np.int64] | None = field(default=None, repr=False)
    heads: Heads | None = field(default=None, repr=False)

    @classmethod
    def of(cls, text: str) -> Words:
        folded = fold(text)
        return cls(folded, folded.encode("utf-8", "surrogatepass").translate(_TO_SPACE), len(text))

    def tokens(self) -> list[bytes]:
        return self.data.split()

    def spans(self) -> list[tuple[int, int]]:
        """Each word's ``(start, end)`` in the text (in the folded text when folding changed
        its length: then approximate, clamped to the text).

        Read from the word bytes (where each space-separated run starts and ends, and how
        many characters precede each byte): a handful of numpy calls, where a regex pass
        makes a match object per word."""
        if self._spans is None and compiled is not None:
            flat = self._bounds().tolist()
            self._spans = list(zip(flat[0::2], flat[1::2], strict=True))
        if self._spans is None:
            values = np.frombuffer(self.data, dtype=np.uint8)
            starts, ends = _word_bounds(values)
            if len(values) != len(self.folded):  # not ASCII: bytes to characters
                chars = np.zeros(len(values) + 1, dtype=np.int64)
                np.cumsum((values & 0xC0) != 0x80, out=chars[1:])
                starts, ends = chars[starts], chars[ends]
            size = self.length
            if len(self.folded) != size:  # folding changed the length: clamp
                np.minimum(starts, size, out=starts)
                np.minimum(ends, size, out=ends)
            self._spans = list(zip(starts.tolist(), ends.tolist(), strict=True))
        return self._spans

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Where word ``first`` starts and word ``last`` ends (as ``spans()`` says)."""
        if compiled is None:
            spans = self.spans()
            return spans[first][0], spans[last][1]
        bounds = self._bounds()
        return int(bounds[2 * first]), int(bounds[2 * last + 1])

    def _bounds(self) -> npt.NDArray[np.int64]:
        """Each word's start and end, flat, counted in one pass in C (``_scan.spans``)."""
        if self._flat is None:
            assert compiled is not None
            bounds = np.frombuffer(compiled.spans(self.data), dtype=np.int64)
            if len(self.folded) != self.length:  # folding changed the length: clamp
                bounds = np.minimum(bounds, self.length)
            self._flat = bounds
        return self._flat


@dataclass(frozen=True, slots=True)
class KeyedRuns:
    """A text's words keyed, their runs by length combined and mixed, and its Hangul
    name heads keyed and mixed with where each is (word, syllables, size: three int64 a
    head; ``cells.words_and_heads``)."""

    words: U64
    runs: dict[int, U64]
    heads: U64
    where: npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Tokens:
    """Tokens that are not plain words (code), with each token's span in the text."""

    words: list[str]
    starts: list[int]
    ends: list[int]

    def __len__(self) -> int:
        return len(self.words)


def _unkeyed(data: bytes) -> U64:
    """Each space-separated token's polynomial hash over its bytes, its length mixed in."""
    if len(data) <= _CHUNK:  # a prompt: one piece, nothing to join
        return _chunk_hashes(data)
    pieces = [_chunk_hashes(chunk) for _, chunk in _chunks(data)]
    return np.concatenate(pieces)


def _word_bounds(values: npt.NDArray[np.uint8]) -> tuple[Indices, Indices]:
    """Where each space-separated run of bytes starts and where it ends: the places where
    "is a space" changes, found by one comparison and one ``nonzero`` (they alternate, a
    start then an end, as the padding is a space on both sides)."""
    padded = np.zeros(len(values) + 2, dtype=np.bool_)
    np.not_equal(values, 32, out=padded[1:-1])
    changes = (padded[1:] != padded[:-1]).nonzero()[0]
    return changes[0::2], changes[1::2]


def _hangul_heads(
    chunk: bytes, lengths: Sequence[int]
) -> tuple[U64, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Unkeyed hashes of the first ``n`` syllables (``3 n`` bytes) of each Hangul word
    longer than ``n``, for each ``n`` of ``lengths``, and of a one- or two-syllable
    Hangul word closed up with the start of the next (김 민수 → 김민수); with the word
    each starts at and its syllables (negative: some taken from the next word)."""
    values = np.frombuffer(chunk, dtype=np.uint8)
    starts, ends = _word_bounds(values)
    size = ends - starts
    lead = values[starts]
    hangul = (lead >= 0xEA) & (lead <= 0xED) & (size % 3 == 0)
    syllables = size // 3
    prefix = np.zeros(len(values) + 1, dtype=np.uint64)
    np.cumsum(values * _POWERS[: len(values)], out=prefix[1:])
    raw = (prefix[ends] - prefix[starts]) * _INVERSE_POWERS[starts]
    hashes: list[U64] = []
    words: list[npt.NDArray[np.int64]] = []
    counts: list[npt.NDArray[np.int64]] = []
    following = np.zeros_like(hangul)
    following[:-1] = hangul[1:]
    for n in lengths:
        cut = np.flatnonzero(hangul & (syllables > n) & (syllables <= n + 2))
        head = (prefix[starts[cut] + 3 * n] - prefix[starts[cut]]) * _INVERSE_POWERS[starts[cut]]
        hashes.append(head ^ np.uint64(3 * n * int(_MIX2) & _MASK))
        words.append(cut)
        counts.append(np.full(len(cut), n))
        # a short word and the first syllables of the next: raw(a) + raw(b') * P**len(a)
        pair = np.flatnonzero(hangul & (syllables <= 2) & (syllables < n) & following)
        taken = n - syllables[pair]
        pair = pair[syllables[pair + 1] >= taken]
        taken = n - syllables[pair]
        nxt = starts[pair + 1]
        tail = (prefix[nxt + 3 * taken] - prefix[nxt]) * _INVERSE_POWERS[nxt]
        joined = raw[pair] + tail * _POWERS[size[pair]]
        hashes.append(joined ^ np.uint64(3 * n * int(_MIX2) & _MASK))
        words.append(pair)
        counts.append(-taken)
    return np.concatenate(hashes), np.concatenate(words), np.concatenate(counts)


def _chunks(data: bytes) -> list[tuple[int, bytes]]:
    """``data`` in pieces of at most ``_CHUNK`` bytes cut at spaces, with their offsets."""
    pieces: list[tuple[int, bytes]] = []
    position = 0
    while position < len(data):
        end = min(len(data), position + _CHUNK)
        if end < len(data):
            cut = data.rfind(b" ", position, end)
            end = cut + 1 if cut > position else end
        pieces.append((position, data[position:end]))
        position = end
    return pieces


def _chunk_hashes(chunk: bytes) -> U64:
    # uint64 array arithmetic wraps modulo 2**64 silently, which is the arithmetic meant
    size = len(chunk)
    values = np.frombuffer(chunk, dtype=np.uint8)
    starts, ends = _word_bounds(values)
    if not len(starts):
        return np.empty(0, dtype=np.uint64)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    np.cumsum(values * _POWERS[:size], out=prefix[1:])
    hashes: U64 = (prefix[ends] - prefix[starts]) * _INVERSE_POWERS[starts]
    hashes ^= (ends - starts).view(np.uint64) * _MIX2
    return hashes


class TokenHasher:
    """Keyed 64-bit hashes of words and of tagged values (``"tel:821012345678"``).

    Thread-safe. Not picklable on purpose: whoever needs one in another process builds it
    from the key.
    """

    __slots__ = ("_cipher", "_keyed", "_local")

    def __init__(self, key: bytes) -> None:
        self._keyed = hashlib.blake2b(key=key[:64], digest_size=8, person=b"haetae-co")
        words_key = hashlib.blake2b(key=key[:64], digest_size=32, person=b"haetae-words").digest()
        # ECB on purpose: each block is one 64-bit word hash and its zero tweak; the same
        # word must give the same output (a keyed pseudo-random permutation, not secrecy)
        self._cipher = Cipher(algorithms.AES(words_key), modes.ECB())
        # an encryptor context costs ~20 µs to make; ECB keeps no state between blocks, so
        # each thread keeps one (contexts are not safe to share between threads)
        self._local = threading.local()

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a TokenHasher holds the company key; rebuild it from the key")

    def value(self, data: str) -> int:
        state = self._keyed.copy()
        state.update(data.encode("utf-8", "surrogatepass"))
        return int.from_bytes(state.digest(), "little")

    def keyed(self, data: bytes) -> U64:
        """The keyed hash of each space-separated token of ``data``."""
        return self._seal(_unkeyed(data))

    def _seal(self, unkeyed: U64) -> U64:
        if not len(unkeyed):
            return unkeyed
        blocks = np.zeros(2 * len(unkeyed), dtype=np.uint64)
        blocks[::2] = unkeyed
        encryptor = getattr(self._local, "encryptor", None)
        if encryptor is None:
            encryptor = self._local.encryptor = self._cipher.encryptor()
        # the result is viewed, not copied: every use reads it or makes a new array
        out: U64 = np.frombuffer(encryptor.update(blocks.tobytes()), dtype=np.uint64)[::2]
        return out

    def hangul_heads(
        self, data: bytes, lengths: Sequence[int]
    ) -> tuple[U64, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Keyed hashes of the Hangul word heads of ``data`` (see ``_hangul_heads``), each
        as a one-word run (``mix``), with the word index and syllables of each."""
        hashes: list[U64] = []
        words: list[npt.NDArray[np.int64]] = []
        counts: list[npt.NDArray[np.int64]] = []
        done = 0
        for _, chunk in _chunks(data):
            found, at, taken = _hangul_heads(chunk, lengths)
            hashes.append(found)
            words.append(at + done)
            counts.append(taken)
            done += len(chunk.split())
        if not hashes:
            empty = np.empty(0, dtype=np.int64)
            return np.empty(0, dtype=np.uint64), empty, empty
        return (
            mix(self._seal(np.concatenate(hashes))),
            np.concatenate(words),
            np.concatenate(counts),
        )

    def keyed_runs(
        self,
        data: bytes,
        lengths: Collection[int],
        heads: Sequence[int] = (),
        grouped: bool = False,
    ) -> KeyedRuns:
        """``keyed(data)``, ``combine_many`` of it for ``lengths`` and the Hangul name heads
        of ``heads`` (ascending) keyed and mixed, in the order of ``cells._head_pieces`` or,
        ``grouped``, of ``_hangul_heads``: three compiled passes and one AES call
        (``_scan.c``). Only with ``compiled``."""
        assert compiled is not None
        blocks, count, where = compiled.cut(data, heads, grouped)
        return self.sealed_runs(blocks, count, lengths, where)

    def sealed_runs(
        self, blocks: bytes, count: int, lengths: Collection[int], where: bytes = b""
    ) -> KeyedRuns:
        """``keyed_runs`` from what ``_scan.cut`` or ``_scan.code_cut`` returned: the AES
        input of ``count`` words (and heads past them, located by ``where``)."""
        assert compiled is not None
        encryptor = getattr(self._local, "encryptor", None)
        if encryptor is None:
            encryptor = self._local.encryptor = self._cipher.encryptor()
        sealed = encryptor.update(blocks)
        ordered = sorted(lengths)
        mixed = np.frombuffer(compiled.runs(sealed, count, ordered), dtype=np.uint64)
        runs: dict[int, U64] = {}
        position = 0
        for length in ordered:
            size = max(0, count - length + 1)
            runs[length] = mixed[position : position + size]
            position += size
        keyed: U64 = np.frombuffer(sealed, dtype=np.uint64)[: 2 * count : 2]
        located = np.frombuffer(where, dtype=np.int64).reshape(-1, 3)
        return KeyedRuns(keyed, runs, mixed[position:], located)

    def tokens(self, tokens: Sequence[str]) -> U64:
        """The keyed hash of each token (tokens hold no whitespace)."""
        return self.keyed(" ".join(tokens).encode("utf-8", "surrogatepass"))

    def words(self, text: str) -> U64:
        return self.keyed(Words.of(text).data)


def mix_int(value: int) -> int:
    """``mix`` of one value, on a Python integer (a cell at registration)."""
    value ^= value >> 30
    value = value * int(_MIX1) & _MASK
    value ^= value >> 27
    value = value * int(_MIX2) & _MASK
    return value ^ (value >> 31)


def mix(values: U64) -> U64:
    """SplitMix64's finaliser (on a copy): spreads the polynomial's bits."""
    out = values ^ (values >> np.uint64(30))
    out *= _MIX1
    out ^= out >> np.uint64(27)
    out *= _MIX2
    out ^= out >> np.uint64(31)
    return out


def combine(token_hashes: U64, length: int) -> U64:
    """The hash of every run of ``length`` consecutive tokens (``len - length + 1`` values).

    A run of one token hashes to ``mix(token)``, so a one-word cell and a one-word
    candidate agree.
    """
    return combine_many(token_hashes, (length,))[0][length]


def combine_many(
    token_hashes: U64, lengths: Collection[int], extra: U64 | None = None
) -> tuple[dict[int, U64], U64]:
    """``combine`` for each of ``lengths``, and ``mix(extra)``, with one ``mix`` call.

    A text's words are read as names of one or two words and as five-word shingles: each
    run length's polynomial is the previous one's times the base plus the next token,
    and the mixing step, the same for all, runs once over them all (a dozen numpy calls
    fewer on a short text, where calls cost more than arithmetic).
    """
    longest = max(lengths, default=0)
    sums: list[U64] = []
    chosen: list[int] = []
    acc = token_hashes
    for length in range(1, longest + 1):
        if length > 1:
            if len(acc) <= 1:
                acc = acc[:0]
            else:
                acc = acc[:-1] * _BASE  # array arithmetic wraps modulo 2**64, as meant
                acc += token_hashes[length - 1 :]
        if length in lengths:
            chosen.append(length)
            sums.append(acc)
    tail = extra if extra is not None else token_hashes[:0]
    mixed = mix(np.concatenate([*sums, tail]))
    runs: dict[int, U64] = {}
    position = 0
    for length, values in zip(chosen, sums, strict=True):
        runs[length] = mixed[position : position + len(values)]
        position += len(values)
    return runs, mixed[position:]


def key_check(key: bytes) -> str:
    """A value that tells whether an index was built with ``key`` and reveals nothing of it."""
    return hashlib.blake2b(b"haetae company key check", key=key[:64], digest_size=8).hexdigest()
