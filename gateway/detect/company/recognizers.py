"""Presidio recognizers for the company index: ``COMPANY_RECORD``, ``COMPANY_DOCUMENT``,
``COMPANY_SOURCE_CODE``.

They read the engine's normalised view like every other recognizer (so full-width digits
or percent-escapes are already undone) and report spans; the registered name of what
matched and how much of it (fields of a row, tokens of a passage) travel in the result's
metadata into ``Finding.source`` and ``Finding.matched``, never the text.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.company import COMPANY_ENTITIES, DOCUMENT_ENTITIES
from gateway.detect.company.cells import extract_candidates
from gateway.detect.company.documents import CODE, PROSE, DocumentMatch
from gateway.detect.company.index import CompanyIndex
from gateway.detect.company.tokens import code_tokens, combine, word_tokens

__all__ = [
    "COMPANY_ENTITIES",
    "MATCHED_KEY",
    "SOURCE_KEY",
    "CompanyDocumentRecognizer",
    "CompanyRecordRecognizer",
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
    """The recognizers for ``entities`` (company types only); ValueError names a bad setting."""
    built: list[EntityRecognizer] = []
    if "COMPANY_RECORD" in entities:
        built.append(CompanyRecordRecognizer(index, min_fields, columns, tables))
    if set(entities) & DOCUMENT_ENTITIES:
        built.append(CompanyDocumentRecognizer(index, min_tokens, entities, collections))
    return built


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


class CompanyRecordRecognizer(EntityRecognizer):
    """A row of a registered table, ``min_fields`` of its counted columns in one text."""

    def __init__(
        self,
        index: CompanyIndex,
        min_fields: int = 2,
        columns: Collection[str] = (),
        tables: Collection[str] = (),
    ) -> None:
        if min_fields < 1:
            raise ValueError("min_fields must be at least 1")
        unknown = set(tables) - set(index.tables)
        if unknown:
            raise ValueError(f"no registered table named {', '.join(sorted(unknown))}")
        super().__init__(
            supported_entities=["COMPANY_RECORD"],
            name="CompanyRecordRecognizer",
            supported_language="en",
        )
        self._label = "CompanyRecordRecognizer"
        self.index = index
        self.min_fields = min_fields
        chosen = [t for name, t in sorted(index.tables.items()) if not tables or name in tables]
        self._tables = [(table, table.counted(columns)) for table in chosen]

    def load(self) -> None:
        """Nothing to load: the tables are memory-mapped when the index is opened."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        hasher = self.index.hasher
        for offset, segment in _segments(text):
            if not segment.strip():
                continue
            for table, counted in self._tables:
                candidates = extract_candidates(segment, hasher, table.wanted)
                for match in table.match(candidates, counted, self.min_fields):
                    for start, end in match.spans:
                        results.append(
                            _result(
                                "COMPANY_RECORD",
                                offset + start,
                                offset + end,
                                self._label,
                                match.table,
                                match.fields,
                                f"{match.fields} fields of one row of table {match.table}",
                            )
                        )
        return results


class CompanyDocumentRecognizer(EntityRecognizer):
    """A passage of at least ``min_tokens`` tokens of a registered document or source file."""

    def __init__(
        self,
        index: CompanyIndex,
        min_tokens: int = 40,
        entities: Collection[str] = DOCUMENT_ENTITIES,
        collections: Collection[str] = (),
    ) -> None:
        if min_tokens < 1:
            raise ValueError("min_tokens must be at least 1")
        unknown = set(collections) - set(index.collections)
        if unknown:
            raise ValueError(
                f"no registered document collection named {', '.join(sorted(unknown))}"
            )
        super().__init__(
            supported_entities=sorted(set(entities) & DOCUMENT_ENTITIES),
            name="CompanyDocumentRecognizer",
            supported_language="en",
        )
        self._label = "CompanyDocumentRecognizer"
        self.index = index
        self.min_tokens = min_tokens
        self._collections = [
            c
            for name, c in sorted(index.collections.items())
            if not collections or name in collections
        ]
        self._prose = any(c.has_prose for c in self._collections)
        self._code = any(c.has_code for c in self._collections)
        self._keep_comments = any(c.keep_comments for c in self._collections)

    def load(self) -> None:
        """Nothing to load: the fingerprints are memory-mapped when the index is opened."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        wanted = set(self.supported_entities)
        results: list[RecognizerResult] = []
        for offset, segment in _segments(text):
            if not segment.strip():
                continue
            for found in self._matches(segment):
                entity = _ENTITY_OF_KIND[found.kind]
                if entity in wanted:
                    results.append(
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
        return results

    def _matches(self, segment: str) -> list[DocumentMatch]:
        hasher = self.index.hasher
        found: list[DocumentMatch] = []
        readings = []
        if self._prose:
            readings.append((word_tokens(segment), PROSE))
        if self._code:
            readings.append((code_tokens(segment, self._keep_comments), CODE))
        for tokens, shingling in readings:
            if len(tokens) < shingling.k:
                continue
            grams = combine(hasher.tokens(tokens.words), shingling.k)
            for collection in self._collections:
                found.extend(collection.match(tokens, grams, shingling, self.min_tokens))
        return _best_per_place(found)


def _best_per_place(found: list[DocumentMatch]) -> list[DocumentMatch]:
    """The longest passage wherever several registered sources match the same text."""
    found.sort(key=lambda m: -m.tokens)
    kept: list[DocumentMatch] = []
    for match in found:
        if not any(k.start < match.end and match.start < k.end for k in kept):
            kept.append(match)
    return kept
