"""The Presidio recognizer for the company index: ``COMPANY_RECORD``, ``COMPANY_DOCUMENT``,
``COMPANY_SOURCE_CODE``.

One recognizer for the three, because they read the same words: a text's words are cut
and keyed once, then used for names and free-text cells and for the prose fingerprints.
It reads the engine's normalised view like every other recognizer (so full-width digits
or percent-escapes are already undone) and reports spans; the registered name of what
matched and how much of it (fields of a row, tokens of a passage) travel in the result's
metadata into ``Finding.source`` and ``Finding.matched``, never the text. A text is read
as code too only when it has code's punctuation (``looks_like_code``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.company import COMPANY_ENTITIES, DOCUMENT_ENTITIES
from gateway.detect.company.cells import extract_candidates, words_and_heads
from gateway.detect.company.code import (
    SORTED_KEYWORDS,
    code_tokens,
    code_words,
    looks_like_code,
    reads_to_a_closer,
)
from gateway.detect.company.documents import CODE, PROSE, DocumentMatch
from gateway.detect.company.index import CompanyIndex
from gateway.detect.company.tokens import U64, TokenHasher, Tokens, Words, combine, compiled

__all__ = [
    "COMPANY_ENTITIES",
    "MATCHED_KEY",
    "SOURCE_KEY",
    "CompanyRecognizer",
    "EntityRecognizer",
    "build_company_recognizers",
]

SOURCE_KEY: Final = "company_source"
MATCHED_KEY: Final = "company_matched"
_STOP: Final = "\x00"  # the engine's segment separator: nothing is matched across it
_ENTITY_OF_KIND: Final = {"document": "COMPANY_DOCUMENT", "source_code": "COMPANY_SOURCE_CODE"}


def build_company_recognizers(
    index: CompanyIndex,
    entities: Collection[str],
    min_fields: int = 2,
    columns: Collection[str] = (),
    tables: Collection[str] = (),
    min_tokens: int = 40,
    collections: Collection[str] = (),
) -> list[EntityRecognizer]:
    """The recognizer for ``entities`` (company types only; none: none); ValueError names
    a bad setting."""
    chosen = set(entities) & COMPANY_ENTITIES
    if not chosen:
        return []
    return [CompanyRecognizer(index, chosen, min_fields, columns, tables, min_tokens, collections)]


def _segments(text: str) -> list[tuple[int, str]]:
    if _STOP not in text:
        return [(0, text)]
    out = []
    position = 0
    for part in text.split(_STOP):
        out.append((position, part))
        position += len(part) + 1
    return out


def _result(
    entity: str, start: int, end: int, label: str, source: str, matched: int, why: str
) -> RecognizerResult:
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=1.0,
        analysis_explanation=AnalysisExplanation(
            recognizer=label, original_score=1.0, textual_explanation=why
        ),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: label,
            SOURCE_KEY: source,
            MATCHED_KEY: matched,
        },
    )


class CompanyRecognizer(EntityRecognizer):
    """Rows of registered tables (``min_fields`` counted columns of one row in one text)
    and passages of registered documents and code (at least ``min_tokens`` tokens)."""

    def __init__(
        self,
        index: CompanyIndex,
        entities: Collection[str] = COMPANY_ENTITIES,
        min_fields: int = 2,
        columns: Collection[str] = (),
        tables: Collection[str] = (),
        min_tokens: int = 40,
        collections: Collection[str] = (),
    ) -> None:
        if min_fields < 1:
            raise ValueError("min_fields must be at least 1")
        if min_tokens < 1:
            raise ValueError("min_tokens must be at least 1")
        unknown = set(tables) - set(index.tables)
        if unknown:
            raise ValueError(f"no registered table named {', '.join(sorted(unknown))}")
        unknown = set(collections) - set(index.collections)
        if unknown:
            raise ValueError(
                f"no registered document collection named {', '.join(sorted(unknown))}"
            )
        wanted = sorted(set(entities) & COMPANY_ENTITIES)
        # what a scan worker process rebuilds this from: the index travels as its path
        # and key (CompanyIndex.__reduce__), never as its arrays
        self._arguments = (
            index,
            tuple(wanted),
            min_fields,
            tuple(columns),
            tuple(tables),
            min_tokens,
            tuple(collections),
        )
        super().__init__(
            supported_entities=wanted, name="CompanyRecognizer", supported_language="en"
        )
        self._label = "CompanyRecognizer"
        self.index = index
        self.min_fields = min_fields
        self.min_tokens = min_tokens
        records = "COMPANY_RECORD" in wanted
        self._tables = [
            (table, table.counted(columns))
            for name, table in sorted(index.tables.items())
            if records and (not tables or name in tables)
        ]
        self._documents = set(wanted) & DOCUMENT_ENTITIES
        self._collections = [
            c
            for name, c in sorted(index.collections.items())
            if self._documents and (not collections or name in collections)
        ]
        self._prose = any(c.has_prose for c in self._collections)
        self._code = any(c.has_code for c in self._collections)
        self._keep_comments = any(c.keep_comments for c in self._collections)
        self._words = self._prose or any(t.wanted.max_words for t, _ in self._tables)
        # every Hangul name length a table reads, keyed with the words in one call
        self._heads = frozenset(
            n for t, _ in self._tables if t.wanted.max_words for n in t.wanted.hangul_lengths
        )
        # the word run lengths read: names and text cells up to the longest, prose shingles
        longest = max((t.wanted.max_words for t, _ in self._tables), default=0)
        self._run_lengths = frozenset(range(1, longest + 1)) | ({PROSE.k} if self._prose else set())

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), self._arguments)

    def load(self) -> None:
        """Nothing to load: the index is memory-mapped when it is opened."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for offset, segment in _segments(text):
            if segment and not segment.isspace():  # no stripped copy of a long text
                results.extend(self._segment(segment, offset))
        return results

    def _segment(self, segment: str, offset: int) -> list[RecognizerResult]:
        words = Words.of(segment) if self._words else None
        hashes: U64 | None = None
        runs: dict[int, U64] = {}
        if words is not None:
            hashes, runs = words_and_heads(words, self.index.hasher, self._heads, self._run_lengths)
        out: list[RecognizerResult] = []
        for table, counted in self._tables:
            candidates = extract_candidates(
                segment, self.index.hasher, table.wanted, words, hashes, runs
            )
            for match in table.match(candidates, counted, self.min_fields):
                why = f"{match.fields} fields of one row of table {match.table}"
                out.extend(
                    _result(
                        "COMPANY_RECORD",
                        offset + start,
                        offset + end,
                        self._label,
                        match.table,
                        match.fields,
                        why,
                    )
                    for start, end in match.spans
                )
        for found in self._passages(segment, words, runs.get(PROSE.k)):
            entity = _ENTITY_OF_KIND[found.kind]
            if entity in self._documents:
                out.append(
                    _result(
                        entity,
                        offset + found.start,
                        offset + found.end,
                        self._label,
                        found.name,
                        found.tokens,
                        f"{found.tokens} tokens of {found.name}",
                    )
                )
        return out

    def _passages(
        self, segment: str, words: Words | None, grams: U64 | None
    ) -> list[DocumentMatch]:
        found: list[DocumentMatch] = []
        if self._prose and words is not None and grams is not None and len(grams):

            def locate_word(first: int, last: int) -> tuple[int, int]:
                return words.span(first, last)  # only for what matched

            for collection in self._collections:
                found.extend(collection.match(grams, PROSE, self.min_tokens, locate_word))
        if self._code and looks_like_code(segment):
            grams = _code_grams(self.index.hasher, segment, self._keep_comments)
            if grams is not None:
                located: list[Tokens] = []

                def locate_code(first: int, last: int) -> tuple[int, int]:
                    if not located:
                        located.append(code_tokens(segment, self._keep_comments))
                    return located[0].starts[first], located[0].ends[last]

                for collection in self._collections:
                    found.extend(collection.match(grams, CODE, self.min_tokens, locate_code))
        return _best_per_place(found)


def _code_grams(hasher: TokenHasher, segment: str, keep_comments: bool) -> U64 | None:
    """The hashes of every run of ``CODE.k`` code tokens of ``segment`` (None: fewer
    tokens), read in one compiled pass unless something must be read to its closer."""
    if compiled is not None and not reads_to_a_closer(segment, keep_comments):
        blocks, count = compiled.code_cut(segment, SORTED_KEYWORDS)
        if count < CODE.k:
            return None
        return hasher.sealed_runs(blocks, count, (CODE.k,)).runs[CODE.k]
    tokens = code_words(segment, keep_comments)
    if len(tokens) < CODE.k:
        return None
    if compiled is None:
        return combine(hasher.tokens(tokens), CODE.k)
    data = " ".join(tokens).encode("utf-8", "surrogatepass")
    return hasher.keyed_runs(data, (CODE.k,)).runs[CODE.k]


def _best_per_place(found: list[DocumentMatch]) -> list[DocumentMatch]:
    """The longest passage wherever several registered sources match the same text."""
    found.sort(key=lambda m: -m.tokens)
    kept: list[DocumentMatch] = []
    for match in found:
        if not any(k.start < match.end and match.start < k.end for k in kept):
            kept.append(match)
    return kept
