"""One Presidio ``AnalyzerEngine`` per process, wrapped for the gateway's hot path.

The engine is built once at startup (no spaCy model, no network) and called for every
request, so everything Presidio would otherwise redo per call is done here once: the NLP
artifacts, the entity list, the regex compilation and the suffix-list parse.

Language: Presidio wants a language code per ``analyze`` call, but uses it only to pick
recognizers and an NLP pipeline. With ``NoOpNlpEngine`` there is no pipeline and every
recognizer here is a language-agnostic regex, so all of them are registered under the single
code ``SCAN_LANGUAGE``. Korean, English and mixed text are all scanned by every recognizer,
exactly once; Korean context words live in the recognizers' ``CONTEXT`` lists.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from bisect import bisect_right
from collections.abc import Collection, Sequence
from typing import Any, ClassVar

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.context import WindowContextEnhancer
from gateway.detect.findings import Finding
from gateway.detect.normalize import NormalizedText, normalize_for_scan, regroup_digits
from gateway.detect.offline import build_nlp_engine, configure_offline, offline_tld_extractor
from gateway.detect.recognizers import SUPPORTED_ENTITIES, build_recognizers

__all__ = ["SCAN_LANGUAGE", "SEGMENT_SEPARATOR", "SUPPORTED_ENTITIES", "DetectionEngine"]

log = logging.getLogger(__name__)

SCAN_LANGUAGE = "en"

#: Joins segments for the single analyze call. No recognizer's pattern can consume NUL, so
#: no match can run from one segment into the next; the newlines keep ``^``/``$`` and the
#: look-arounds behaving as they do at a segment's own start and end.
_STOP = "\x00"
SEGMENT_SEPARATOR = f"\n{_STOP}\n"

# Contains every recognizer's marker, so each pattern is compiled during __init__.
_WARM_UP = (
    "warm-up a@example.com 900101-1234567 4111 1111 1111 1111 AKIA ASIA ABIA ACCA A3T "
    "secret_access_key= CCESS sk- sk-ant- ghp_ github_pat_ AIza xoxb- PRIVATE KEY"
)

_NAME_KEY = RecognizerResult.RECOGNIZER_NAME_KEY


class _FixedAnalyzerEngine(AnalyzerEngine):
    """Presidio's engine for a recognizer set that never changes after start-up.

    Two of its per-call costs grow with the number of recognizers (60+ here) and
    can be skipped without changing any result: listing the supported entities
    again on every call, and asking every recognizer to rescore an empty result
    list. Everything else — recognizers, validation, the context enhancer,
    thresholds, de-duplication — runs as Presidio runs it.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entities_by_language: dict[str | None, list[str]] = {}

    def get_supported_entities(self, language: str | None = None) -> list[str]:
        cached = self._entities_by_language.get(language)
        if cached is None:
            cached = self._entities_by_language[language] = super().get_supported_entities(language)
        return list(cached)

    def _enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        if not raw_results:
            return []
        return super()._enhance_using_context(
            text, raw_results, nlp_artifacts, recognizers, context
        )


class DetectionEngine:
    """Scan texts for personal data and secrets; thread-safe once constructed.

    ``entities`` limits the recognizers that are built (None = all of ``SUPPORTED_ENTITIES``,
    empty = scan nothing); ``score_threshold`` drops weaker findings (the bare 13-digit RRN
    without context scores 0.4, most secrets 0.9-1.0).
    """

    supported_entities: ClassVar[frozenset[str]] = SUPPORTED_ENTITIES

    def __init__(
        self,
        entities: Collection[str] | None = None,
        score_threshold: float = 0.0,
        extra_recognizers: Sequence[EntityRecognizer] = (),
    ) -> None:
        if not 0.0 <= score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be within [0, 1], got {score_threshold}")
        configure_offline()
        offline_tld_extractor()
        nlp_engine = build_nlp_engine()
        # extra_recognizers: the policy's own, such as company dictionaries.
        recognizers = [*build_recognizers(entities, language=SCAN_LANGUAGE), *extra_recognizers]
        self.entities: frozenset[str] = frozenset(
            entity for recognizer in recognizers for entity in recognizer.supported_entities
        )
        self.score_threshold = score_threshold
        # NoOp artifacts do not depend on the text: make them once, not once per call.
        self._nlp_artifacts = nlp_engine.process_text("", SCAN_LANGUAGE)
        self._analyzer: AnalyzerEngine | None = None
        if not recognizers:
            # A policy may scan for nothing; Presidio would load its whole predefined set
            # into an empty registry, so there is no analyzer at all and scans return [].
            return
        self._analyzer = _FixedAnalyzerEngine(
            registry=RecognizerRegistry(
                recognizers=recognizers, supported_languages=[SCAN_LANGUAGE]
            ),
            nlp_engine=nlp_engine,
            supported_languages=[SCAN_LANGUAGE],
            default_score_threshold=score_threshold,
            context_aware_enhancer=WindowContextEnhancer(stop=_STOP),
        )
        self.scan(_WARM_UP)

    @property
    def analyzer(self) -> AnalyzerEngine | None:
        """The underlying Presidio engine, None when no entity is scanned."""
        return self._analyzer

    def scan(self, text: str) -> list[Finding]:
        """Return the findings in ``text``, ordered by start offset."""
        if not text:
            return []
        findings = [_finding(result, 0) for result in self._analyze(text)]
        findings.sort(key=_order)
        return findings

    def scan_segments(self, texts: Sequence[str]) -> list[list[Finding]]:
        """Scan several texts with one analyze call; offsets are local to each text.

        The gateway passes every text-bearing position of a request (system prompt, each
        message, tool arguments...). Per-call overhead dominates for short texts, so one
        call over the joined texts is much cheaper than one call per text.
        """
        out: list[list[Finding]] = [[] for _ in texts]
        if self._analyzer is None or not any(texts):
            return out
        if len(texts) == 1:
            out[0] = self.scan(texts[0])
            return out
        starts: list[int] = []
        position = 0
        for text in texts:
            starts.append(position)
            position += len(text) + len(SEGMENT_SEPARATOR)
        for result in self._analyze(SEGMENT_SEPARATOR.join(texts)):
            index = bisect_right(starts, result.start) - 1
            offset = starts[index]
            if result.end - offset > len(texts[index]):
                # Cannot happen with the current patterns; a future one must not leak
                # a span across messages, so drop rather than clip.
                log.debug("dropping %s spanning a segment boundary", result.entity_type)
                continue
            out[index].append(_finding(result, offset))
        for findings in out:
            findings.sort(key=_order)
        return out

    def explain(self, text: str) -> list[tuple[Finding, dict[str, object]]]:
        """Findings with Presidio's decision process: pattern, validation, score changes."""
        results = self._analyze(text, explain=True)
        explained = [
            (
                _finding(result, 0),
                result.analysis_explanation.to_dict() if result.analysis_explanation else {},
            )
            for result in results
        ]
        explained.sort(key=lambda pair: _order(pair[0]))
        return explained

    def _analyze(self, text: str, explain: bool = False) -> list[RecognizerResult]:
        """Presidio's results on ``text``'s scan views and base64 blobs, offsets into ``text``."""
        if self._analyzer is None:
            return []
        view = normalize_for_scan(text)
        results = self._analyze_view(view, explain)
        blobs = _base64_blobs(text) if view.shaped else []
        if blobs:
            results.extend(self._analyze_blobs(blobs, explain))
        return results

    def _analyze_view(self, view: NormalizedText, explain: bool) -> list[RecognizerResult]:
        """Results on the normalized view, plus those only its digit-group view shows."""
        results = self._presidio(view.text, explain)
        regrouped = regroup_digits(view)
        if regrouped is not None:
            grouped_view, runs = regrouped
            grouped = self._presidio(grouped_view.text, explain)
            results.extend(_only_regrouped(results, grouped_view, runs, grouped))
        if view.changed:
            for result in results:
                result.start, result.end = view.original_span(result.start, result.end)
        return results

    def _analyze_blobs(
        self, blobs: list[tuple[int, int, str]], explain: bool
    ) -> list[RecognizerResult]:
        """Findings in decoded base64 text, each reported on its whole blob."""
        starts: list[int] = []
        position = 0
        for _, _, decoded in blobs:
            starts.append(position)
            position += len(decoded) + len(SEGMENT_SEPARATOR)
        joined = SEGMENT_SEPARATOR.join(decoded for _, _, decoded in blobs)
        best: dict[tuple[int, str], RecognizerResult] = {}
        for result in self._analyze_view(normalize_for_scan(joined), explain):
            index = bisect_right(starts, result.start) - 1
            key = (index, result.entity_type)
            if key not in best or result.score > best[key].score:
                best[key] = result
        found: list[RecognizerResult] = []
        for (index, entity), result in best.items():
            metadata = dict(result.recognition_metadata or {})
            metadata[_NAME_KEY] = f"{metadata.get(_NAME_KEY, '')} (base64)"
            start, end, _ = blobs[index]
            found.append(
                RecognizerResult(
                    entity, start, end, result.score, result.analysis_explanation, metadata
                )
            )
        return found

    def _presidio(self, text: str, explain: bool) -> list[RecognizerResult]:
        """One analyze call; the analyzer exists (checked by the caller)."""
        assert self._analyzer is not None
        # entities=None: the registry holds only the wanted recognizers, and Presidio's
        # per-entity recognizer lookup costs more than listing them all. An explicit
        # threshold skips its per-recognizer threshold lookup.
        return self._analyzer.analyze(
            text=text,
            language=SCAN_LANGUAGE,
            score_threshold=self.score_threshold,
            nlp_artifacts=self._nlp_artifacts,
            return_decision_process=explain,
        )


def _only_regrouped(
    found: list[RecognizerResult],
    view: NormalizedText,
    runs: tuple[tuple[int, int], ...],
    results: list[RecognizerResult],
) -> list[RecognizerResult]:
    """Digit-group view results on a rewritten run that the plain view did not already find.

    Offsets are mapped into the plain view. A run's own text was left alone there, so
    only results overlapping a run can be new.
    """
    kept: list[RecognizerResult] = []
    for result in results:
        start, end = view.original_span(result.start, result.end)
        if not any(start < run_end and run_start < end for run_start, run_end in runs):
            continue
        if any(
            other.entity_type == result.entity_type and start < other.end and other.start < end
            for other in found
        ):
            continue
        result.start, result.end = start, end
        kept.append(result)
    return kept


#: Base64 (standard or URL-safe alphabet) long enough to hide an identifier.
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/_=-])")
#: Bounds on the work one request can cause: decoded bytes and blobs decoded.
MAX_BASE64_BYTES = 64 * 1024
MAX_BASE64_BLOBS = 16


def _base64_blobs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decoded text) of the base64 blobs in ``text`` that hold UTF-8 text."""
    blobs: list[tuple[int, int, str]] = []
    budget = MAX_BASE64_BYTES
    for match in _BASE64.finditer(text):
        blob = match.group()
        size = len(blob) * 3 // 4  # decoded bytes, known before decoding
        if size > budget:
            continue
        decoded = _decode_text(blob)
        if decoded is None:
            continue
        budget -= size
        blobs.append((match.start(), match.end(), decoded))
        if len(blobs) == MAX_BASE64_BLOBS:
            break
    return blobs


def _decode_text(blob: str) -> str | None:
    """The blob's decoded text, or None for binary data, bad padding or mixed alphabets."""
    body = blob.rstrip("=")
    url_safe = "-" in body or "_" in body
    if (url_safe and ("+" in body or "/" in body)) or len(body) % 4 == 1:
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_" if url_safe else None, validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    # Text, not bytes that happen to be valid UTF-8: printable apart from line breaks/tabs.
    unprintable = sum(not (char.isprintable() or char in "\t\n\r") for char in decoded)
    return decoded if unprintable == 0 else None


def _finding(result: RecognizerResult, offset: int) -> Finding:
    metadata = result.recognition_metadata or {}
    return Finding(
        entity_type=result.entity_type,
        start=result.start - offset,
        end=result.end - offset,
        score=float(result.score),
        recognizer=str(metadata.get(_NAME_KEY, "")),
    )


def _order(finding: Finding) -> tuple[int, int, str]:
    return (finding.start, finding.end, finding.entity_type)
