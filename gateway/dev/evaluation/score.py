"""Score a detector against the corpus: recall, disguised recall, precision, false alarms.

Matching rule: a finding counts for a labelled span when it has the same entity, a score of
at least ``threshold`` (0.5) and covers at least half of the label's characters. Findings of
entities the corpus does not label (Presidio's DATE_TIME, URL, UUID...) are set aside and
counted, so that the two detectors are compared on the same entity set.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from gateway.detect.findings import FindingLike
from gateway.dev.evaluation.corpus import ENTITIES, Sample, Span

__all__ = [
    "Alarm",
    "Detector",
    "EntityScore",
    "FindingLike",
    "NamedDetector",
    "Report",
    "evaluate",
    "matches",
]


Detector = Callable[[str], Sequence[FindingLike]]


@dataclass(frozen=True)
class NamedDetector:
    """A detector plus what it claims to support and how it was built (for the report)."""

    name: str
    scan: Detector
    supported: frozenset[str]
    description: str = ""

    def __call__(self, text: str) -> Sequence[FindingLike]:
        return self.scan(text)


@dataclass
class EntityScore:
    entity: str
    supported: bool
    positives: int = 0
    found: int = 0
    disguised: int = 0
    disguised_found: int = 0
    true_findings: int = 0
    false_findings: int = 0
    missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.found / self.positives if self.positives else None

    @property
    def disguised_recall(self) -> float | None:
        return self.disguised_found / self.disguised if self.disguised else None

    @property
    def precision(self) -> float | None:
        reported = self.true_findings + self.false_findings
        return self.true_findings / reported if reported else None


@dataclass(frozen=True)
class Alarm:
    """A finding on a text that has no entity: which sample, which entity, what text."""

    sample_id: str
    entity: str
    excerpt: str
    score: float


@dataclass
class Report:
    detector: str
    description: str
    threshold: float
    entities: dict[str, EntityScore]
    negatives: int = 0
    negatives_alarmed: int = 0
    negative_alarms: list[Alarm] = field(default_factory=list)
    hard_negatives: int = 0
    hard_negatives_alarmed: int = 0
    hard_negative_alarms: list[Alarm] = field(default_factory=list)
    out_of_scope: Counter[str] = field(default_factory=Counter)
    samples: int = 0
    total_seconds: float = 0.0
    p50_ms: float = 0.0

    @property
    def false_alarm_rate(self) -> float:
        """Fraction of clear negatives with at least one finding at or above the threshold."""
        return self.negatives_alarmed / self.negatives if self.negatives else 0.0

    @property
    def negative_entities(self) -> Counter[str]:
        return Counter(alarm.entity for alarm in self.negative_alarms)

    @property
    def hard_negative_entities(self) -> Counter[str]:
        return Counter(alarm.entity for alarm in self.hard_negative_alarms)


def matches(finding: FindingLike, label: Span) -> bool:
    """Same entity and the finding covers at least half of the labelled characters."""
    if finding.entity_type != label.entity:
        return False
    overlap = min(finding.end, label.end) - max(finding.start, label.start)
    return overlap * 2 >= label.end - label.start and overlap > 0


def evaluate(
    detector: Detector,
    samples: Iterable[Sample],
    *,
    supported: Collection[str] | None = None,
    threshold: float = 0.5,
    name: str | None = None,
) -> Report:
    """Run ``detector`` over ``samples`` and score it.

    ``supported`` (default: ``detector.supported`` for a ``NamedDetector``, else every entity)
    only labels rows as "not supported" in the report; unsupported entities still count, at
    recall 0, so a missing recognizer is visible rather than silently skipped.
    """
    samples = list(samples)
    universe = set(ENTITIES).union(s.entity for sample in samples for s in sample.spans)
    if supported is None:
        supported = detector.supported if isinstance(detector, NamedDetector) else universe
    report = Report(
        detector=name or (detector.name if isinstance(detector, NamedDetector) else "detector"),
        description=detector.description if isinstance(detector, NamedDetector) else "",
        threshold=threshold,
        entities={e: EntityScore(e, e in supported) for e in sorted(universe)},
    )
    timings: list[float] = []
    for sample in samples:
        began = time.perf_counter()
        findings = list(detector(sample.text))
        timings.append(time.perf_counter() - began)
        kept = []
        for finding in findings:
            if finding.score < threshold:
                continue
            if finding.entity_type in universe:
                kept.append(finding)
            else:
                report.out_of_scope[finding.entity_type] += 1
        _score_sample(report, sample, kept)
    report.samples = len(samples)
    report.total_seconds = sum(timings)
    report.p50_ms = statistics.median(timings) * 1000 if timings else 0.0
    return report


def _score_sample(report: Report, sample: Sample, kept: list[FindingLike]) -> None:
    for label in sample.spans:
        score = report.entities[label.entity]
        hit = any(matches(finding, label) for finding in kept)
        if sample.kind == "disguised":
            score.disguised += 1
            score.disguised_found += hit
        else:
            score.positives += 1
            score.found += hit
        if not hit:
            score.missed.append(sample.id)
    if sample.kind in ("positive", "negative"):
        for finding in kept:
            score = report.entities[finding.entity_type]
            if any(matches(finding, label) for label in sample.spans):
                score.true_findings += 1
            else:
                score.false_findings += 1
    if sample.kind not in ("negative", "hard_negative"):
        return
    alarms = [
        Alarm(sample.id, f.entity_type, sample.text[f.start : f.end], float(f.score)) for f in kept
    ]
    if sample.kind == "negative":
        report.negatives += 1
        report.negatives_alarmed += bool(alarms)
        report.negative_alarms.extend(alarms)
    else:
        report.hard_negatives += 1
        report.hard_negatives_alarmed += bool(alarms)
        report.hard_negative_alarms.extend(alarms)


#: Presidio entity → ours, where the two mean the same thing. Presidio also ships KR_RRN,
#: KR_FRN, KR_BRN, KR_PASSPORT and KR_DRIVER_LICENSE recognizers under our names, but they are
#: registered for "ko" and ``enabled: false`` in its default configuration, so an
#: out-of-the-box engine never loads them.
PRESIDIO_ENTITY_MAP: dict[str, str] = {
    "CREDIT_CARD": "CREDIT_CARD",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "US_SSN": "US_SSN",
}

PRESIDIO_DESCRIPTION = (
    "presidio-analyzer {version} as shipped: RecognizerRegistry()."
    "load_predefined_recognizers(languages=['en']) ({count} recognizers: {names}); "
    "AnalyzerEngine with the NoOp NLP engine (no spaCy model, so the SpacyRecognizer finds "
    "nothing and the lemma-based context boost never fires) and its default context enhancer; "
    "every sample, Korean included, is analyzed with language='en' because Presidio enables "
    "no 'ko' recognizer by default. Entity names mapped: {mapped}; other Presidio entities "
    "are counted as out of scope."
)


def presidio_baseline() -> NamedDetector:
    """Out-of-the-box Presidio: its default English recognizers, nothing added or enabled."""
    from gateway.detect.findings import Finding
    from gateway.detect.offline import build_nlp_engine, configure_offline

    configure_offline()
    from importlib.metadata import version

    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    nlp_engine = build_nlp_engine(("en",))
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    names = sorted(type(r).__name__ for r in registry.recognizers)
    shipped = {e for r in registry.recognizers for e in r.supported_entities}

    def scan(text: str) -> list[Finding]:
        out = []
        for result in analyzer.analyze(text=text, language="en"):
            entity = PRESIDIO_ENTITY_MAP.get(result.entity_type, result.entity_type)
            out.append(Finding(entity, result.start, result.end, float(result.score), "presidio"))
        return out

    description = PRESIDIO_DESCRIPTION.format(
        version=version("presidio-analyzer"),
        count=len(names),
        names=", ".join(names),
        mapped=", ".join(sorted(PRESIDIO_ENTITY_MAP)),
    )
    supported = frozenset(PRESIDIO_ENTITY_MAP[e] for e in shipped if e in PRESIDIO_ENTITY_MAP)
    return NamedDetector("Presidio (defaults)", scan, supported, description)


def haetae_detector() -> NamedDetector:
    """Haetae's engine as the gateway builds it: every supported entity, threshold 0, warm."""
    from gateway.detect.engine import DetectionEngine

    engine = DetectionEngine()
    engine.warm_up()
    return NamedDetector(
        "Haetae",
        engine.scan,
        engine.entities,
        f"gateway.detect.DetectionEngine() with {len(engine.entities)} entities",
    )
