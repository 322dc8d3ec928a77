"""Credential formats as data: ``credentials.yaml``, one entry per format.

The long tail of vendor tokens differs only in facts (a prefix, a length, an
alphabet, a checksum, the words that appear next to it), so those facts live in
a table with the vendor's documentation as the source of each, and one
recognizer reads them all. Three shapes cover the table:

- ``prefix`` + ``body``: the token starts with a literal (``sntryu_``), matched
  at the prefilter's hit offsets only, bounded so it cannot start or end
  mid-token;
- ``marker`` + ``pattern``: a literal inside the token (``.atlasv1.``), the
  pattern searched in the whitespace-free run around each occurrence;
- ``keywords`` + ``value``: a loose value (40 hex characters) that is a secret
  only shortly after the vendor's name or variable, in any case and spacing.

Every literal joins the shared Aho–Corasick gate (``prefilter``), so the whole
table costs one pass over a text that holds none of them, however long it
grows. A ``checksum`` the vendor defines decides: valid scores 1.0, invalid is
not a finding. Placeholders (``EXAMPLE``, ``xxxxx``) and published examples
are dropped as for the hand-written recognizers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar

import regex
import yaml
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.keynames import key_pattern
from gateway.detect.recognizers.base import NOT_ALNUM_AFTER, NOT_ALNUM_BEFORE
from gateway.detect.recognizers.secrets import prefilter
from gateway.detect.recognizers.secrets.checksums import CHECKSUMS
from gateway.detect.recognizers.secrets.common import (
    DEFAULT_SECRETS,
    TOKEN_AFTER,
    looks_like_placeholder,
)
from gateway.detect.recognizers.secrets.documented import documented_vendor
from gateway.detect.rejections import note_rejected

__all__ = [
    "FORMATS",
    "LITERALS",
    "REPORTED_ENTITIES",
    "TABLE_ENTITIES",
    "CredentialFormat",
    "CredentialTableRecognizer",
    "claims",
    "claims_with",
    "load_formats",
]

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
#: how far a marker's token may reach on either side of the marker
_RUN = 1024
#: characters between a keyword and its value
_GAP = 40


def _entropy(value: str) -> float:
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in Counter(value).values())


@dataclass(frozen=True, slots=True)
class CredentialFormat:
    """One row of the table, compiled."""

    id: str
    entity: str
    vendor: str
    source: str
    score: float
    literals: tuple[str, ...]  # prefixes or markers (exact case); keywords (any case)
    shape: str  # "prefix" | "marker" | "keyword"
    #: where a marker's pattern is searched: the whitespace-free run or the line around it
    line_scope: bool
    compiled: Any
    checksum: Callable[[str], bool] | None
    placeholder_check: bool
    min_entropy: float
    examples_public: frozenset[str]
    #: the entity is a hand-written recognizer's; this row adds a variant of it
    extends: bool

    def accepts(self, value: str) -> float | None:
        """The final score of a candidate, or None when it is not a finding."""
        return self.verdict(value)[0]

    def verdict(self, value: str) -> tuple[float | None, str]:
        """(score, "") for a finding, (None, why not) otherwise."""
        if value in self.examples_public:
            return None, "documented example"
        vendor = documented_vendor(value)
        if vendor is not None:
            return None, f"documented example ({vendor})"
        if self.placeholder_check and (
            looks_like_placeholder(value) or value.lower() in DEFAULT_SECRETS
        ):
            return None, "placeholder"
        if self.min_entropy and _entropy(value) < self.min_entropy:
            return None, "low entropy"
        if self.checksum is not None:
            return (1.0, "") if self.checksum(value) else (None, "checksum invalid")
        return self.score, ""


_REQUIRED = ("id", "entity", "vendor", "source")
_ALLOWED = frozenset(
    {
        *_REQUIRED,
        "prefix",
        "body",
        "marker",
        "pattern",
        "keywords",
        "value",
        "score",
        "checksum",
        "placeholder_check",
        "min_entropy",
        "examples_public",
        "note",
        "scope",
        "extends",
    }
)


def _as_tuple(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _compile(row: dict[str, Any]) -> CredentialFormat:
    where = f"credentials.yaml: {row.get('id', '?')}"
    missing = [key for key in _REQUIRED if not row.get(key)]
    unknown = set(row) - _ALLOWED
    if missing or unknown:
        raise ValueError(f"{where}: missing {missing}, unknown {sorted(unknown)}")
    if not str(row["entity"]).startswith("SECRET_"):
        raise ValueError(f"{where}: credential entities are named SECRET_*")
    checksum_name = row.get("checksum")
    checksum = CHECKSUMS[checksum_name] if checksum_name else None
    if "prefix" in row:
        literals = _as_tuple(row["prefix"])
        alternation = "|".join(regex.escape(p) for p in literals)
        # Matched at a prefix's offset; the edge before it is checked by the caller.
        compiled = regex.compile(f"(?:{alternation})(?:{row['body']}){TOKEN_AFTER}")
        shape, score = "prefix", row.get("score", 0.95)
    elif "marker" in row:
        literals = _as_tuple(row["marker"])
        compiled = regex.compile(f"{NOT_ALNUM_BEFORE}(?:{row['pattern']}){NOT_ALNUM_AFTER}")
        shape, score = "marker", row.get("score", 0.9)
    elif "keywords" in row:
        literals = _as_tuple(row["keywords"])
        compiled = regex.compile(
            rf"{key_pattern(*literals)}[^\n\x00]{{0,{_GAP}}}?{NOT_ALNUM_BEFORE}"
            rf"\K(?:{row['value']}){NOT_ALNUM_AFTER}"
        )
        shape, score = "keyword", row.get("score", 0.8)
    else:
        raise ValueError(f"{where}: needs prefix+body, marker+pattern or keywords+value")
    return CredentialFormat(
        id=row["id"],
        entity=row["entity"],
        vendor=row["vendor"],
        source=row["source"],
        score=float(score),
        literals=literals,
        shape=shape,
        compiled=compiled,
        checksum=checksum,
        line_scope=row.get("scope") == "line",
        placeholder_check=row.get("placeholder_check", True),
        min_entropy=float(row.get("min_entropy", 3.0 if shape == "keyword" else 0.0)),
        examples_public=frozenset(row.get("examples_public", ())),
        extends=bool(row.get("extends", False)),
    )


def load_formats(text: str | None = None) -> tuple[CredentialFormat, ...]:
    """The table, compiled; ``text`` replaces the shipped file (tests)."""
    if text is None:
        text = resources.files(__package__).joinpath("credentials.yaml").read_text("utf-8")
    rows = yaml.safe_load(text) or []
    formats = tuple(_compile(row) for row in rows)
    ids = [f.id for f in formats]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"credentials.yaml: duplicate ids {sorted(duplicates)}")
    return formats


FORMATS: tuple[CredentialFormat, ...] = load_formats()
#: entities only the table reports (rows that ``extends`` add to a class's entity)
TABLE_ENTITIES: frozenset[str] = frozenset(f.entity for f in FORMATS if not f.extends)
#: every entity some row reports
REPORTED_ENTITIES: frozenset[str] = frozenset(f.entity for f in FORMATS)

for _format in FORMATS:
    prefilter.register(_format.literals, case_sensitive=_format.shape != "keyword")

#: every literal the table registers: short ones ("MT", "pk_") occur inside random values
LITERALS: frozenset[str] = frozenset(lit for f in FORMATS for lit in f.literals)
_SHAPED = tuple(f for f in FORMATS if f.shape != "keyword")


_SHAPED_BY_LITERAL: dict[str, tuple[CredentialFormat, ...]] = {}
for _format in _SHAPED:
    for _literal in _format.literals:
        _SHAPED_BY_LITERAL[_literal] = (*_SHAPED_BY_LITERAL.get(_literal, ()), _format)


def claims_with(value: str, literals: Iterable[str]) -> bool:
    """``claims`` when the literals occurring in ``value`` are already known."""
    return any(
        f.compiled.search(value) is not None
        for literal in literals
        for f in _SHAPED_BY_LITERAL.get(literal, ())
    )


def claims(value: str) -> bool:
    """Whether a prefix or marker row of the table matches inside ``value``.

    The generic recognizers defer to a vendor kind that reports a value; a table
    literal merely occurring in it ("Nz" in random base64) is no such claim.
    """
    return any(
        any(literal in value for literal in f.literals) and f.compiled.search(value) is not None
        for f in _SHAPED
    )


def _by_literal(formats: Iterable[CredentialFormat]) -> dict[str, list[CredentialFormat]]:
    table: dict[str, list[CredentialFormat]] = {}
    for credential in formats:
        for literal in credential.literals:
            table.setdefault(literal, []).append(credential)
    return table


_NAME = "CredentialTableRecognizer"


class CredentialTableRecognizer(EntityRecognizer):
    """Every table format of the requested entities, in one recognizer.

    One instance serves all of them (``MULTI_ENTITY``): Presidio's per-recognizer
    cost would otherwise grow with the table.
    """

    MULTI_ENTITY: ClassVar[bool] = True

    def __init__(
        self, supported_language: str = "en", entities: Iterable[str] | None = None
    ) -> None:
        # Given the engine's whole wanted list, rows that extend a hand-written
        # recognizer's entity run too when that entity is wanted.
        wanted = REPORTED_ENTITIES if entities is None else frozenset(entities) & REPORTED_ENTITIES
        self._formats = [f for f in FORMATS if f.entity in wanted]
        self._by_literal = _by_literal(self._formats)
        self._gate = frozenset(self._by_literal)
        super().__init__(
            supported_entities=sorted(wanted),
            name=_NAME,
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Compiled at import; nothing to load."""

    @property
    def gate_words(self) -> frozenset[str]:
        """The literals of the wanted rows: with none of them in a text, nothing to do."""
        return self._gate

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        hits = prefilter.words_present(text)
        if self._gate.isdisjoint(hits):
            return []
        found: dict[tuple[int, int], tuple[float, CredentialFormat]] = {}
        for literal in self._gate.intersection(hits):
            for offset in hits[literal]:
                for credential in self._by_literal[literal]:
                    span = self._match(credential, text, offset, len(literal))
                    if span is None:
                        continue
                    score, why = credential.verdict(text[span[0] : span[1]])
                    if score is None:
                        note_rejected(credential.entity, *span, why, f"{_NAME} ({credential.id})")
                    elif score > found.get(span, (0.0, credential))[0]:
                        found[span] = (score, credential)
        return [self._result(start, end, score, f) for (start, end), (score, f) in found.items()]

    @staticmethod
    def _match(
        credential: CredentialFormat, text: str, offset: int, size: int
    ) -> tuple[int, int] | None:
        if credential.shape == "prefix":
            if offset and text[offset - 1] in _TOKEN_CHARS:
                return None  # the prefix is the tail of a longer word
            hit = credential.compiled.match(text, offset)
        elif credential.shape == "marker":
            floor, ceiling = max(0, offset - _RUN), min(len(text), offset + size + _RUN)
            if credential.line_scope:
                start = max(floor, text.rfind("\n", floor, offset) + 1)
                newline = text.find("\n", offset, ceiling)
                end = ceiling if newline < 0 else newline
            else:
                start, end = offset, offset + size
                while start > floor and not text[start - 1].isspace():
                    start -= 1
                while end < ceiling and not text[end].isspace():
                    end += 1
            hit = credential.compiled.search(text, start, end)
        else:
            # A keyword counts as a word of its own: "duo" in "duodenum" or in random
            # base64 is not the vendor's name.
            after = offset + size
            if (offset and text[offset - 1].isalnum()) or (
                after < len(text) and text[after - 1].isalpha() and text[after].isalpha()
            ):
                return None
            hit = credential.compiled.match(text, offset)  # the value's regex bounds it
        if hit is None or hit.start() == hit.end():
            return None
        start, end = hit.span()
        return int(start), int(end)

    def _result(
        self, start: int, end: int, score: float, credential: CredentialFormat
    ) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=_NAME,
            original_score=score,
            pattern_name=f"{credential.vendor} ({credential.id})",
            validation_result=credential.checksum is not None,
        )
        return RecognizerResult(
            entity_type=credential.entity,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: _NAME,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )
