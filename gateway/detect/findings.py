"""The detector's output type, shared by the engine, the policy and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Finding", "FindingLike", "joined_values"]


class FindingLike(Protocol):
    """What a detector returns: ``Finding`` and Presidio's results both fit."""

    @property
    def entity_type(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def score(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected entity: a span of a text, never the matched value itself.

    Offsets index the text that was scanned, so that redaction can edit exactly
    those characters; audit records keep only ``entity_type`` and counts.

    A value split across places (two messages, a name and a text, two lines) is one
    finding in several parts, one per text, each with that text's offsets: the parts
    share a ``joined`` number (unique within one scan, 0 for a finding in one place),
    so each place receives its share of an edit while the value is counted once.

    Company findings (``COMPANY_RECORD``, ``COMPANY_DOCUMENT``, ``COMPANY_SOURCE_CODE``)
    name what matched in ``source`` (a registered table or document name, never its
    content) and how much in ``matched`` (fields of one row, tokens of a passage).
    """

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    joined: int = 0
    source: str = ""
    matched: int = 0


def joined_values(texts: Sequence[str], findings: Sequence[Sequence[Finding]]) -> dict[int, str]:
    """Each split value's parts put together, in text order, by ``Finding.joined``.

    For what judges or records a value whole (allow-lists, audit fingerprints); a part
    alone is not the value.
    """
    wholes: dict[int, str] = {}
    for text, per_text in zip(texts, findings, strict=False):
        for finding in per_text:
            if finding.joined:
                part = text[finding.start : finding.end]
                wholes[finding.joined] = wholes.get(finding.joined, "") + part
    return wholes
