"""The detector's output type, shared by the engine, the policy and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected entity: a span of a text, never the matched value itself.

    Offsets index the text that was scanned, so that redaction can edit exactly
    those characters; audit records keep only ``entity_type`` and counts.
    """

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
