"""Document fingerprints: winnowed, keyed k-gram hashes of registered documents and code.

Building: each document is read as tokens (words for prose, placeholder-normalised code
tokens for source files: ``tokens.py``), every run of ``k`` tokens is hashed, and of each
window of ``w`` consecutive k-gram hashes the smallest is kept (winnowing, Schleimer et
al. 2003): any passage of ``w + k - 1`` tokens shared with a prompt shares at least one
kept hash, at roughly ``2 / (w + 1)`` of the document's k-grams. A hash kept for more than
``MAX_SHARING`` documents (a licence header, generated boilerplate) is dropped.

On disk a collection is a directory: ``meta.json`` (each document's registered name, kind
and token count, the parameters, the key check), ``fingerprints.npy`` (uint64, sorted) and
``documents.npy`` (uint32 document number), with the presence filter and bucket
directory (``filter.npy``, ``directory.npy``, ``lookup.py``). Matching hashes *every*
k-gram of the prompt, looks them up (memory-mapped), and per document joins the hits whose
positions are at most ``w + k`` tokens apart (one edited word breaks ``k`` k-grams): the
longest such run, from its first k-gram's first token to its last k-gram's last token,
is the passage found. It can fall short of the shared passage by ``Shingling.slack``
tokens, so a passage of ``min_tokens + slack`` tokens is always found and one of
``min_tokens`` when its ends happen to be fingerprinted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gateway.detect.company.code import code_tokens
from gateway.detect.company.lookup import (
    DIRECTORY,
    FILTER,
    Indices,
    SortedHashes,
    bucket_directory,
    mapped,
    presence_bits,
)
from gateway.detect.company.store import write_part
from gateway.detect.company.tokens import U64, TokenHasher, combine, key_check

__all__ = [
    "CODE_SUFFIXES",
    "DocumentCollection",
    "DocumentIndexBuilder",
    "DocumentMatch",
    "Shingling",
    "SourceKind",
]

FORMAT: Final = "haetae-company-documents/1"
MAX_SHARING: Final = 20
SourceKind = Literal["document", "source_code"]

#: Files read as code (identifiers normalised) rather than prose.
CODE_SUFFIXES: Final = frozenset(
    [
        ".c",
        ".cc",
        ".cpp",
        ".cs",
        ".cxx",
        ".go",
        ".h",
        ".hpp",
        ".java",
        ".js",
        ".jsx",
        ".kt",
        ".kts",
        ".m",
        ".mjs",
        ".php",
        ".pl",
        ".py",
        ".rb",
        ".rs",
        ".scala",
        ".sh",
        ".sql",
        ".swift",
        ".ts",
        ".tsx",
        ".vue",
        ".bash",
        ".ps1",
        ".lua",
        ".r",
        ".dart",
        ".groovy",
    ]
)


@dataclass(frozen=True, slots=True)
class Shingling:
    """k-gram length and winnowing window, per way of reading."""

    k: int
    w: int

    @property
    def guaranteed(self) -> int:
        """A shared passage at least this many tokens long always shares a fingerprint."""
        return self.w + self.k - 1

    @property
    def slack(self) -> int:
        """How much shorter than a shared passage its matched span can be: the first and
        last kept fingerprints lie at most ``w - 1`` k-grams inside it."""
        return 2 * (self.w - 1)


PROSE: Final = Shingling(k=5, w=4)
CODE: Final = Shingling(k=10, w=4)


@dataclass(frozen=True, slots=True)
class DocumentMatch:
    """A passage of ``tokens`` tokens of the registered ``name`` found at ``start:end``."""

    name: str
    kind: SourceKind
    tokens: int
    start: int
    end: int


def _winnow(hashes: U64, window: int) -> U64:
    if not len(hashes):
        return hashes
    if len(hashes) <= window:
        return hashes[[int(np.argmin(hashes))]]
    picks = sliding_window_view(hashes, window).argmin(axis=1) + np.arange(len(hashes) - window + 1)
    kept: U64 = hashes[np.unique(picks)]
    return kept


class DocumentIndexBuilder:
    """Collects fingerprints document by document; ``write`` sorts and saves them."""

    def __init__(self, key: bytes, keep_comments: bool = False) -> None:
        self._hasher = TokenHasher(key)
        self._key = key
        self._keep_comments = keep_comments
        self._fingerprints: list[U64] = []
        self._documents: list[np.ndarray] = []
        self.sources: list[dict[str, object]] = []

    def add(self, name: str, text: str, kind: SourceKind, as_code: bool) -> int:
        """Fingerprint one document; returns how many fingerprints it gave."""
        if as_code:
            code = code_tokens(text, self._keep_comments)
            hashes, count, shingling = self._hasher.tokens(code.words), len(code), CODE
        else:
            hashes, shingling = self._hasher.words(text), PROSE
            count = len(hashes)
        grams = combine(hashes, shingling.k)
        kept = np.unique(_winnow(grams, shingling.w))
        number = len(self.sources)
        self.sources.append({"name": name, "kind": kind, "code": as_code, "tokens": count})
        self._fingerprints.append(kept)
        self._documents.append(np.full(len(kept), number, dtype=np.uint32))
        return len(kept)

    def write(self, target: Path, name: str, registered_by: str | None = None) -> int:
        """Save the collection at ``target`` (replaced whole); returns its size in bytes."""
        hashes = (
            np.concatenate(self._fingerprints) if self._fingerprints else np.empty(0, np.uint64)
        )
        documents = np.concatenate(self._documents) if self._documents else np.empty(0, np.uint32)
        order = np.argsort(hashes, kind="stable")
        hashes, documents = hashes[order], documents[order]
        if len(hashes):
            values, _first, counts = np.unique(hashes, return_index=True, return_counts=True)
            common = values[counts > MAX_SHARING]
            if len(common):
                keep = ~np.isin(hashes, common)
                hashes, documents = hashes[keep], documents[keep]
        meta = {
            "format": FORMAT,
            "name": name,
            "prose": [PROSE.k, PROSE.w],
            "code": [CODE.k, CODE.w],
            "keep_comments": self._keep_comments,
            "key_check": key_check(self._key),
            "built_at": int(time.time()),
            "registered_by": registered_by,
            "fingerprints": len(hashes),
            "sources": self.sources,
        }
        arrays = {
            "fingerprints": hashes,
            "documents": documents,
            FILTER: presence_bits(hashes),
            DIRECTORY: bucket_directory(hashes),
        }
        return write_part(target, arrays, meta)


class DocumentCollection:
    """A registered collection, opened read-only (memory-mapped)."""

    def __init__(self, folder: Path, meta: dict[str, object]) -> None:
        self.folder = folder
        self.name = str(meta["name"])
        sources = meta["sources"]
        assert isinstance(sources, list)
        self.names = [str(s["name"]) for s in sources]
        self.kinds: list[SourceKind] = [s["kind"] for s in sources]
        self.has_code = any(bool(s.get("code")) for s in sources)
        self.has_prose = any(not s.get("code") for s in sources)
        self.keep_comments = bool(meta.get("keep_comments", False))
        self._hashes = SortedHashes.open(folder, "fingerprints")
        self._documents = mapped(folder / "documents.npy")

    def __len__(self) -> int:
        return len(self.names)

    def match(
        self,
        grams: U64,
        shingling: Shingling,
        min_tokens: int,
        locate: Callable[[int, int], tuple[int, int]],
    ) -> list[DocumentMatch]:
        """Passages of at least ``min_tokens`` tokens shared with a registered document.

        ``grams`` are the hashes of every k-gram of a text (``combine``); ``locate``
        gives the span of its tokens ``first`` to ``last``.
        """
        if not len(grams) or not len(self._hashes):
            return []
        entries, positions = self._hashes.entries(grams, MAX_SHARING)
        if not len(entries):
            return []
        documents = np.asarray(self._documents[entries], dtype=np.int64)
        if len(entries) <= _FEW_ENTRIES:
            runs = _runs_of(documents.tolist(), positions.tolist(), shingling)
        else:
            runs = _runs_in_arrays(documents, positions, shingling)
        best: dict[int, tuple[int, int]] = {}  # document → its longest run
        for document, first, last in runs:
            if last - first + shingling.k < min_tokens:
                continue
            if document not in best or last - first > best[document][1] - best[document][0]:
                best[document] = (first, last)
        found: list[DocumentMatch] = []
        for document, (first, last) in best.items():
            start, end = locate(first, last + shingling.k - 1)
            found.append(
                DocumentMatch(
                    self.names[document],
                    self.kinds[document],
                    last - first + shingling.k,
                    start,
                    end,
                )
            )
        return found


#: up to this many fingerprints found, runs are cut in Python: a sort of a few dozen
#: pairs costs less than numpy's per-call overhead on lexsort, diff and concatenate
_FEW_ENTRIES: Final = 64


def _runs_of(
    documents: list[int], positions: list[int], shingling: Shingling
) -> list[tuple[int, int, int]]:
    """Runs of matched k-grams, as (document, first position, last position): same
    document, steps of at most w + k k-grams (one edited word breaks k)."""
    runs: list[tuple[int, int, int]] = []
    step = shingling.w + shingling.k
    pairs = sorted(zip(documents, positions, strict=True))
    document, first = pairs[0]
    last = first
    for next_document, position in pairs[1:]:
        if next_document != document or position - last > step:
            runs.append((document, first, last))
            document, first = next_document, position
        last = position
    runs.append((document, first, last))
    return runs


def _runs_in_arrays(
    documents: Indices, positions: Indices, shingling: Shingling
) -> list[tuple[int, int, int]]:
    """``_runs_of`` on arrays, for many fingerprints."""
    order = np.lexsort((positions, documents))
    documents, positions = documents[order], positions[order]
    breaks = np.flatnonzero(
        (np.diff(documents) != 0) | (np.diff(positions) > shingling.w + shingling.k)
    )
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(positions) - 1]))
    return list(
        zip(
            documents[starts].tolist(),
            positions[starts].tolist(),
            positions[ends].tolist(),
            strict=True,
        )
    )
