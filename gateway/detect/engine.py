"""One Presidio ``AnalyzerEngine`` per process, wrapped for the gateway's hot path.

The engine is built once at startup (no spaCy model, no network) and called for every
request, so everything Presidio would otherwise redo per call is done here once: the NLP
artifacts, the entity list, the regex compilation and the suffix-list parse.

Language: each text is scanned with the rules of its language, ``ko`` when it contains
Hangul and ``en`` otherwise (``language=`` overrides). Identifiers, secrets, markings and
dictionaries are common to both: an RRN pasted into English text is still an RRN. Korean
adds what only makes sense in Korean: the name and address recognizers and the Korean
context words; English rules ignore Hangul context words. Presidio uses its language code
only to pick recognizers, so both rule sets are registered under ``SCAN_LANGUAGE`` in two
analyzers that share the same recognizer objects (no second copy of a large dictionary).
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from typing import ClassVar, Literal, get_args

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerResult,
)

from gateway.detect.analyzer import FixedAnalyzerEngine, FixedRegistry
from gateway.detect.blobs import MAX_BASE64_BLOBS, MAX_BASE64_BYTES, encoded_blobs
from gateway.detect.company.recognizers import MATCHED_KEY, SOURCE_KEY
from gateway.detect.context import WindowContextEnhancer
from gateway.detect.findings import Finding
from gateway.detect.joined import JoinedView, joined_view
from gateway.detect.normalize import NormalizedText, normalize_for_scan, regroup_digits
from gateway.detect.offline import build_nlp_engine, configure_offline, offline_tld_extractor
from gateway.detect.recipe import EngineRecipe
from gateway.detect.recognizers import SUPPORTED_ENTITIES, build_recognizers, languages_of
from gateway.detect.recognizers.secrets.bare import ENTITY as BARE_ENTITY
from gateway.detect.recognizers.secrets.bare import defer_to_others
from gateway.detect.recognizers.secrets.dispatch import dispatched, members_of
from gateway.detect.rejections import Rejection, collecting, muted, remapped

__all__ = [
    "JOINED_EXCLUDED",
    "MAX_BASE64_BLOBS",
    "MAX_BASE64_BYTES",
    "SCAN_LANGUAGE",
    "SEGMENT_SEPARATOR",
    "SUPPORTED_ENTITIES",
    "DetectionEngine",
    "Language",
    "LanguageChoice",
    "detect_language",
]

log = logging.getLogger(__name__)

SCAN_LANGUAGE = "en"

#: What the joined view (values split across places) does not report: names, addresses
#: and markings are prose, which two unrelated places put side by side all the time.
#: Policy dictionaries (``extra_recognizers``) are left out for the same reason, and so
#: are bare tokens: two unrelated ids closed up read as one random string.
JOINED_EXCLUDED = frozenset({"PERSON", "KR_ADDRESS", "CONFIDENTIAL_MARKER", BARE_ENTITY})

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

Language = Literal["ko", "en"]
LanguageChoice = Literal["auto", "ko", "en"]
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def detect_language(text: str) -> Language:
    """``ko`` when ``text`` holds any Hangul (syllables or jamo), else ``en``."""
    if text.isascii():  # a flag of the string: no search (an answer is mostly ASCII)
        return "en"
    return "ko" if _HANGUL.search(text) else "en"


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
        language: LanguageChoice = "auto",
        phone_regions: Sequence[str] | None = None,
    ) -> None:
        if not 0.0 <= score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be within [0, 1], got {score_threshold}")
        self.language = _checked_language(language)
        # what a worker process builds the same engine from (detect/processes.py)
        self.recipe = EngineRecipe.of(
            entities, score_threshold, extra_recognizers, self.language, phone_regions
        )
        configure_offline()
        offline_tld_extractor()
        nlp_engine = build_nlp_engine()
        # extra_recognizers: the policy's own, such as company dictionaries.
        recognizers = [
            *build_recognizers(entities, language=SCAN_LANGUAGE, phone_regions=phone_regions),
            *extra_recognizers,
        ]
        self.entities: frozenset[str] = frozenset(
            entity for recognizer in recognizers for entity in recognizer.supported_entities
        )
        self.score_threshold = score_threshold
        builtin = {
            e
            for r in recognizers[: len(recognizers) - len(extra_recognizers)]
            for e in r.supported_entities
        }
        self._not_joined = JOINED_EXCLUDED | (self.entities - builtin)
        # One recognizer for the secret kinds: Presidio's per-recognizer cost is paid once.
        recognizers = dispatched(recognizers)
        # NoOp artifacts do not depend on the text: make them once, not once per call.
        self._nlp_artifacts = nlp_engine.process_text("", SCAN_LANGUAGE)
        # A policy may scan for nothing (or nothing English); Presidio would load its whole
        # predefined set into an empty registry, so such a language gets no analyzer at all.
        self._analyzers: dict[Language, FixedAnalyzerEngine] = {}
        for rules in get_args(Language):
            chosen = [r for r in recognizers if rules in languages_of(r)]
            if chosen:
                self._analyzers[rules] = FixedAnalyzerEngine(
                    registry=FixedRegistry(chosen, SCAN_LANGUAGE),
                    nlp_engine=nlp_engine,
                    supported_languages=[SCAN_LANGUAGE],
                    default_score_threshold=score_threshold,
                    context_aware_enhancer=WindowContextEnhancer(stop=_STOP, korean=rules == "ko"),
                )
        if self._analyzers:
            self.scan(_WARM_UP, language="ko")
            self.scan(_WARM_UP, language="en")

    @property
    def analyzer(self) -> AnalyzerEngine | None:
        """The Presidio engine holding every rule (Korean on top of common), None if none."""
        return self._analyzers.get("ko")

    def warm_up(self) -> list[str]:
        """Load now what recognizers would load on first need; return what was loaded.

        The Korean name recognizer loads Kiwi (~1.3 s) on the first bare name. A server
        calls this at start-up so that no request pays for it.
        """
        loaded: list[str] = []
        recognizers: Iterable[EntityRecognizer] = (
            self.analyzer.registry.recognizers if self.analyzer else []
        )
        for recognizer in (r for registered in recognizers for r in members_of(registered)):
            warm_up = getattr(recognizer, "warm_up", None)
            if callable(warm_up) and warm_up():
                loaded.append(type(recognizer).__name__)
        return loaded

    def scan(
        self, text: str, language: LanguageChoice | None = None, joined: bool = True
    ) -> list[Finding]:
        """Return the findings in ``text``, ordered by start offset.

        ``language`` overrides the engine's choice (``auto``: by the text's script).
        ``joined``: also read values broken across two lines (see ``scan_segments``).
        """
        return self._scan([text], language, joined, None)[0]

    def scan_segments(
        self,
        texts: Sequence[str],
        language: LanguageChoice | None = None,
        joined: bool = True,
        places: int | None = None,
        max_view_chars: int | None = None,
    ) -> list[list[Finding]]:
        """Scan several texts with one analyze call; offsets are local to each text.

        The gateway passes every text-bearing position of a request (system prompt, each
        message, tool arguments...). Per-call overhead dominates for short texts, so one
        call over the joined texts is much cheaper than one call per text.

        ``joined`` (the default): values split across consecutive texts, or across two
        lines of one, are found too. The windows around each plausible boundary
        (``detect/joined.py``) are appended to the same analyze call, so they cost their
        characters, not another call. A value found there is reported in parts, one in
        each text it spans, sharing a ``Finding.joined`` number. ``places``: only the first
        ``places`` texts are places of one document, in its order (the gateway appends the
        URL path, query and model, which are not read joined); None: all of them.
        ``max_view_chars``: the most characters the joined view may add, else
        ``JoinedViewTooLarge``; None: no limit.
        """
        return self._scan(texts, language, joined, places, max_view_chars)

    def _scan(
        self,
        texts: Sequence[str],
        language: LanguageChoice | None,
        joined: bool,
        places: int | None,
        max_view_chars: int | None = None,
    ) -> list[list[Finding]]:
        out: list[list[Finding]] = [[] for _ in texts]
        if not self._analyzers or not any(texts):
            return out
        starts: list[int] = []
        position = 0
        for text in texts:
            starts.append(position)
            position += len(text) + len(SEGMENT_SEPARATOR)
        view = (
            joined_view(texts[:places], SEGMENT_SEPARATOR, limit=max_view_chars) if joined else None
        )
        scanned = SEGMENT_SEPARATOR.join(texts)
        if view is not None:
            scanned += SEGMENT_SEPARATOR + view.text
        plain_end = position - len(SEGMENT_SEPARATOR)
        from_view: list[RecognizerResult] = []
        # Auto-detecting on the joined text is per-segment detection: Korean-only rules find
        # nothing in a segment without Hangul, and context never crosses a separator.
        for result in self._analyze(scanned, language=language):
            if result.start >= plain_end:
                from_view.append(result)
                continue
            index = bisect_right(starts, result.start) - 1
            offset = starts[index]
            if result.end - offset > len(texts[index]):
                # Cannot happen with the current patterns; a future one must not leak
                # a span across messages, so drop rather than clip.
                log.debug("dropping %s spanning a segment boundary", result.entity_type)
                continue
            out[index].append(_finding(result, offset))
        if view is not None and from_view:
            self._add_joined(view, from_view, plain_end + len(SEGMENT_SEPARATOR), out)
            out = [defer_to_others(findings) for findings in out]
        for findings in out:
            findings.sort(key=_order)
        return out

    def _add_joined(
        self,
        view: JoinedView,
        results: list[RecognizerResult],
        offset: int,
        found: list[list[Finding]],
    ) -> None:
        """Add to ``found`` the findings only the joined view has, in parts, one per text.

        A candidate is kept only if it crosses a boundary, is a structured identifier or a
        secret, and no part of it overlaps a finding of the same type already there (from
        the plain scan, or a better-scored reading of the same cut value: the joiners give
        several).
        """
        results.sort(key=lambda result: (-result.score, result.start))
        number = 0
        for result in results:
            if result.entity_type in self._not_joined:
                continue
            parts = _joined_parts(view, result, offset, found)
            if parts is None:
                continue
            if len(parts) > 1:
                number += 1
            for segment, start, end in parts:
                found[segment].append(
                    Finding(
                        entity_type=result.entity_type,
                        start=start,
                        end=end,
                        score=float(result.score),
                        recognizer=_recognizer_name(result) + " (joined)",
                        joined=number if len(parts) > 1 else 0,
                    )
                )

    def explain(
        self, text: str, language: LanguageChoice | None = None
    ) -> list[tuple[Finding, dict[str, object]]]:
        """Findings with Presidio's decision process: pattern, validation, score changes."""
        results = self._analyze(text, explain=True, language=language)
        explained = [
            (
                _finding(result, 0),
                result.analysis_explanation.to_dict() if result.analysis_explanation else {},
            )
            for result in results
        ]
        explained.sort(key=lambda pair: _order(pair[0]))
        return explained

    def not_reported(self, text: str, language: LanguageChoice | None = None) -> list[Rejection]:
        """The candidates in ``text`` that were considered and dropped, with the reason.

        Offsets are into ``text``; what only decoded blobs or regrouped digits held is
        not listed. Never the value itself: the caller masks the span it prints.
        """
        with collecting() as notes:
            self._analyze(text, language=language)
        unique = {(n.entity_type, n.start, n.end, n.reason): n for n in notes}
        return sorted(unique.values(), key=lambda n: (n.start, n.end, n.entity_type))

    def _analyze(
        self, text: str, explain: bool = False, language: LanguageChoice | None = None
    ) -> list[RecognizerResult]:
        """Presidio's results on ``text``'s scan views and base64 blobs, offsets into ``text``."""
        if not self._analyzers:
            return []
        choice = self.language if language is None else _checked_language(language)
        view = normalize_for_scan(text)
        rules: Language = detect_language(view.text) if choice == "auto" else choice
        if not view.shaped and not self._may_find(view.text, rules):
            # no digit-group views or blobs (both need a shaped view), and no recognizer
            # may match the view: Presidio's call would return nothing (detect/gates.py)
            return []
        results = self._analyze_view(view, explain, rules)
        # Blobs are looked for in the view: base64 with percent-encoded padding is still base64.
        blobs = encoded_blobs(view.text) if view.shaped else []
        if blobs:
            if view.changed:
                blobs = [(*view.original_span(start, end), found) for start, end, found in blobs]
            results.extend(self._analyze_blobs(blobs, explain, choice))
        return results

    def _analyze_view(
        self, view: NormalizedText, explain: bool, rules: Language
    ) -> list[RecognizerResult]:
        """Results on the normalized view, plus those only its digit-group view shows."""
        with remapped(view.original_span if view.changed else None):
            results = self._presidio(view.text, explain, rules)
        for grouped_view, runs in regroup_digits(view):
            with muted():
                grouped = self._presidio(grouped_view.text, explain, rules)
            results.extend(_only_regrouped(results, grouped_view, runs, grouped))
        if view.changed:
            for result in results:
                result.start, result.end = view.original_span(result.start, result.end)
        return results

    def _analyze_blobs(
        self, blobs: list[tuple[int, int, str]], explain: bool, choice: LanguageChoice
    ) -> list[RecognizerResult]:
        """Findings in decoded base64 text, each reported on its whole blob."""
        starts: list[int] = []
        position = 0
        for _, _, decoded in blobs:
            starts.append(position)
            position += len(decoded) + len(SEGMENT_SEPARATOR)
        joined = SEGMENT_SEPARATOR.join(decoded for _, _, decoded in blobs)
        best: dict[tuple[int, str], RecognizerResult] = {}
        view = normalize_for_scan(joined)
        rules: Language = detect_language(view.text) if choice == "auto" else choice
        with muted():  # offsets of decoded text: not the caller's
            in_blobs = self._analyze_view(view, explain, rules)
        for result in in_blobs:
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

    def _may_find(self, text: str, rules: Language) -> bool:
        """Whether ``_presidio(text, ..., rules)`` may return anything at all."""
        analyzer = self._analyzers.get(rules)
        return analyzer is not None and analyzer.may_find(text, SCAN_LANGUAGE)

    def _presidio(self, text: str, explain: bool, rules: Language) -> list[RecognizerResult]:
        """One analyze call with the rules of one language (none registered: no findings)."""
        analyzer = self._analyzers.get(rules)
        if analyzer is None:
            return []
        # Every entity: the registry holds only the wanted recognizers, and Presidio's
        # per-entity recognizer lookup costs more than listing them all. An explicit
        # threshold skips its per-recognizer threshold lookup. Recognizers that could find
        # nothing in the text are not called (detect/gates.py).
        results = analyzer.analyze_gated(
            text, SCAN_LANGUAGE, self.score_threshold, self._nlp_artifacts, explain
        )
        return defer_to_others(results)


def _checked_language(language: str) -> LanguageChoice:
    if language not in get_args(LanguageChoice):
        raise ValueError(f"language must be one of auto, ko, en; got {language!r}")
    return language  # type: ignore[return-value]  # checked against the Literal above


def _only_regrouped(
    found: list[RecognizerResult],
    view: NormalizedText,
    runs: tuple[tuple[int, int], ...],
    results: list[RecognizerResult],
) -> list[RecognizerResult]:
    """Digit-group view results on a rewritten run that the plain view did not already find.

    Offsets are mapped into the plain view. A run's own text was left alone there, so
    only results overlapping a run can be new. Bare tokens are read only as written:
    digit groups closed up are a number's other spelling, not a pasted key.
    """
    kept: list[RecognizerResult] = []
    for result in results:
        if result.entity_type == BARE_ENTITY:
            continue
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


def _joined_parts(
    view: JoinedView, result: RecognizerResult, offset: int, found: list[list[Finding]]
) -> list[tuple[int, int, int]] | None:
    """A joined-view result's parts, or None: within one place, or already found there."""
    parts = view.parts(result.start - offset, result.end - offset)
    if parts is None:
        return None
    entity = result.entity_type
    for segment, start, end in parts:
        if any(f.entity_type == entity and f.start < end and start < f.end for f in found[segment]):
            return None
    return parts


def _recognizer_name(result: RecognizerResult) -> str:
    metadata = result.recognition_metadata or {}
    return str(metadata.get(_NAME_KEY, ""))


def _finding(result: RecognizerResult, offset: int) -> Finding:
    metadata = result.recognition_metadata or {}
    return Finding(
        entity_type=result.entity_type,
        start=result.start - offset,
        end=result.end - offset,
        score=float(result.score),
        recognizer=_recognizer_name(result),
        source=str(metadata.get(SOURCE_KEY, "")),
        matched=int(metadata.get(MATCHED_KEY, 0)),
    )


def _order(finding: Finding) -> tuple[int, int, str]:
    return (finding.start, finding.end, finding.entity_type)
