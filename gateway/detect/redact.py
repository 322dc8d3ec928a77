"""Replacing findings in a text by ``<ENTITY>`` placeholders."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.detect.findings import Finding

__all__ = ["redact_text"]


def redact_text(text: str, findings: Iterable[Finding]) -> str:
    """Overlapping findings merge into one placeholder, named by the best-scored one."""
    merged: list[tuple[int, int, str, float]] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and finding.start < merged[-1][1]:
            start, end, entity, score = merged[-1]
            if finding.score > score:
                entity, score = finding.entity_type, finding.score
            merged[-1] = (start, max(end, finding.end), entity, score)
        else:
            merged.append((finding.start, finding.end, finding.entity_type, finding.score))
    if not merged:
        return text
    parts: list[str] = []
    cursor = 0
    for start, end, entity, _ in merged:
        parts.append(text[cursor:start])
        parts.append(f"<{entity}>")
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)
