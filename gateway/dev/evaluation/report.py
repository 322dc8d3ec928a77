"""Render Haetae's and Presidio's reports side by side, and the ``haetae eval`` entry point.

The table shows every labelled entity, including those neither detector supports yet, so a
missing recognizer reads as "not supported" instead of disappearing from the comparison.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from pathlib import Path

from gateway.dev.evaluation.corpus import DEFAULT_SEED, build_corpus, corpus_digest
from gateway.dev.evaluation.corpus import write_corpus as write_jsonl
from gateway.dev.evaluation.score import (
    Alarm,
    EntityScore,
    NamedDetector,
    Report,
    evaluate,
    haetae_detector,
    presidio_baseline,
)
from gateway.dev.evaluation.speed import (
    default_policy_entities,
    measure_speed,
    measure_startup,
    render_speed,
)

__all__ = ["render_markdown", "run_evaluation"]

_NOT_SUPPORTED = "not supported"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}" if value in (0.0, 1.0) else f"{value:.1%}"


def _recall(score: EntityScore) -> str:
    if not score.supported:
        return _NOT_SUPPORTED
    return f"{_ratio(score.recall)} ({score.found}/{score.positives})"


def _disguised(score: EntityScore) -> str:
    if not score.disguised:
        return "-"  # only structured identifiers have disguised variants
    if not score.supported:
        return _NOT_SUPPORTED
    return f"{_ratio(score.disguised_recall)} ({score.disguised_found}/{score.disguised})"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{entity} x{n}" for entity, n in counter.most_common()) or "none"


def _excerpt(alarm: Alarm) -> str:
    text = alarm.excerpt.replace("\n", "\\n").replace("|", "\\|")
    text = text if len(text) <= 48 else text[:45] + "..."
    return f"`{alarm.sample_id}` {alarm.entity} ({alarm.score:.2f}): `{text}`"


def _negatives(report: Report) -> list[str]:
    lines = [
        f"### {report.detector}",
        "",
        f"- Clear negatives: {report.negatives_alarmed}/{report.negatives} samples alarmed "
        f"(false-alarm rate {report.false_alarm_rate:.1%}); entities fired: "
        f"{_counts(report.negative_entities)}",
        f"- Hard negatives: {report.hard_negatives_alarmed}/{report.hard_negatives} samples "
        f"alarmed; entities fired: {_counts(report.hard_negative_entities)}",
        f"- Findings of entities outside the corpus (ignored): {_counts(report.out_of_scope)}",
        f"- Scan time: {report.total_seconds:.2f} s for {report.samples} samples, "
        f"p50 {report.p50_ms:.3f} ms per sample",
    ]
    for title, alarms in (
        ("Clear-negative alarms", report.negative_alarms),
        ("Hard-negative alarms", report.hard_negative_alarms),
    ):
        if alarms:
            lines += ["", f"{title}:", ""]
            lines += [f"- {_excerpt(alarm)}" for alarm in alarms]
    return lines


def render_markdown(
    haetae: Report, presidio: Report, speed: str | None = None, digest: str | None = None
) -> str:
    """Both reports as one Markdown document: the recall table, the negatives, then speed.

    ``digest`` (of the corpus, ``corpus_digest``) lets a reader check that two runs scored
    the same texts.
    """
    fingerprint = f" (corpus SHA-256 {digest[:16]})" if digest else ""
    lines = [
        "# Detection evaluation: Haetae vs. out-of-the-box Presidio",
        "",
        f"Corpus seed {DEFAULT_SEED}{fingerprint}, fixed: every run scores the same samples. "
        f"A finding counts when its entity matches, its score is "
        f">= {haetae.threshold} and it covers >= 50 % of the labelled span.",
        "",
        f"- **{haetae.detector}**: {haetae.description}",
        f"- **{presidio.detector}**: {presidio.description}",
        "",
        "| entity | Haetae recall | Presidio recall | Haetae disguised recall "
        "| Presidio disguised | precision (Haetae / Presidio) |",
        "|---|---|---|---|---|---|",
    ]
    for entity, ours in haetae.entities.items():
        theirs = presidio.entities[entity]
        precision = f"{_ratio(ours.precision)} / {_ratio(theirs.precision)}"
        lines.append(
            f"| {entity} | {_recall(ours)} | {_recall(theirs)} "
            f"| {_disguised(ours)} | {_disguised(theirs)} | {precision} |"
        )
    lines += [
        "",
        "Precision counts findings >= threshold on positive and clear-negative samples; "
        "'-' means the detector reported nothing of that entity there.",
        "",
        "## Negatives",
        "",
        *_negatives(haetae),
        "",
        *_negatives(presidio),
        "",
    ]
    if speed:
        lines += ["## Speed", "", speed, ""]
    return "\n".join(lines)


def run_evaluation(
    output: Path | None = None, jsonl: Path | None = None, speed: bool = True
) -> int:
    """Build the corpus, score both detectors, print the Markdown (and write it to ``output``).

    ``jsonl`` also writes the corpus itself; ``speed`` adds the scan-time and start-up
    comparison (about a minute). Returns the process exit code (0).
    """
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    samples = build_corpus()
    if jsonl is not None:
        write_jsonl(jsonl, samples)
    ours, baseline = haetae_detector(), presidio_baseline()
    haetae = evaluate(ours, samples)
    presidio = evaluate(baseline, samples)
    markdown = render_markdown(
        haetae, presidio, _speed(ours, baseline) if speed else None, corpus_digest(samples)
    )
    sys.stdout.write(markdown)
    if output is not None:
        output.write_text(markdown, encoding="utf-8")
    return 0


def _speed(ours: NamedDetector, baseline: NamedDetector) -> str:
    from gateway.detect import DetectionEngine

    policy_entities = default_policy_entities()
    policy_engine = DetectionEngine(policy_entities)
    rows = measure_speed(
        [
            (f"Haetae, default policy ({len(policy_engine.entities)} types)", policy_engine.scan),
            (f"Haetae, all {len(ours.supported)} types", ours.scan),
            (baseline.name, baseline.scan),
        ]
    )
    startup = [
        measure_startup("Haetae, default policy", policy_entities),
        measure_startup("Haetae, default policy + PERSON", policy_entities | {"PERSON"}),
        measure_startup("Haetae, every entity", None),
        measure_startup(baseline.name, None, presidio=True),
    ]
    return render_speed(rows, baseline.name, startup)
