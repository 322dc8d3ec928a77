"""The policy's detector settings, compiled: which findings count at all.

A finding counts when it scores at least its type's threshold (``thresholds``,
else ``min_score``) and its value is on no allow-list. Findings that do not
count are dropped before the policy, the edits and the audit trail see them,
so an allow-listed value (the public support address) is never reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gateway.detect.findings import Finding, joined_values

__all__ = ["AllowedValues", "Screen", "Screened"]


@dataclass(frozen=True, slots=True)
class AllowedValues:
    exact: frozenset[str] = frozenset()
    folded: frozenset[str] = frozenset()  # case-insensitive lists, casefolded

    def __contains__(self, value: str) -> bool:
        value = value.strip()
        return value in self.exact or value.casefold() in self.folded


@dataclass(frozen=True, slots=True)
class Screened:
    findings: list[list[Finding]]
    counts: dict[str, int]
    scores: dict[str, list[float]] | None  # only when a rule tests scores


@dataclass(frozen=True, slots=True)
class Screen:
    min_score: float
    thresholds: Mapping[str, float] = field(default_factory=dict)
    #: entity type → values never reported; "*" holds the lists for every type
    allowed: Mapping[str, AllowedValues] = field(default_factory=dict)
    keep_scores: bool = False

    def threshold(self, entity: str) -> float:
        return self.thresholds.get(entity, self.min_score)

    def __call__(self, texts: Sequence[str], findings: Sequence[Sequence[Finding]]) -> Screened:
        """Keep what counts; a value found in parts (``Finding.joined``) counts once.

        A split value is judged whole: its parts share one score, and its allow-list check
        reads the parts put together, so every part is kept or dropped alike.
        """
        if not any(findings):  # most requests: nothing to screen
            return Screened([[] for _ in findings], {}, {} if self.keep_scores else None)
        thresholds, min_score, allowed = self.thresholds, self.min_score, self.allowed
        everywhere = allowed.get("*")
        counts: dict[str, int] = {}
        scores: dict[str, list[float]] | None = {} if self.keep_scores else None
        wholes = joined_values(texts, findings) if allowed else {}
        counted: set[int] = set()
        kept: list[list[Finding]] = []
        for text, per_segment in zip(texts, findings, strict=True):
            survivors: list[Finding] = []
            for finding in per_segment:
                entity = finding.entity_type
                if finding.score < thresholds.get(entity, min_score):
                    continue
                if allowed:
                    value = wholes.get(finding.joined) or text[finding.start : finding.end]
                    listed = allowed.get(entity)
                    if (listed is not None and value in listed) or (
                        everywhere is not None and value in everywhere
                    ):
                        continue
                survivors.append(finding)
                if finding.joined:
                    if finding.joined in counted:
                        continue
                    counted.add(finding.joined)
                counts[entity] = counts.get(entity, 0) + 1
                if scores is not None:
                    scores.setdefault(entity, []).append(finding.score)
            kept.append(survivors)
        return Screened(kept, counts, scores)
