"""Judging the texts of one answer: scan, decide with the answer rules, edit or block.

One judge per answer. It scans with the engine built for the request's policy,
counts what the policy's thresholds and allow-lists let count, and asks the
policy's rules whose direction covers answers (``decide(..., "response")``),
with the request's other facts (provider, user, groups) unchanged. A block
raises :class:`AnswerBlocked` in the caller's language; edits are written with
the same editor as requests (mask keeps a value's ends and layout, redact
writes ``<ENTITY>``, hash a keyed tag), so the text stays valid wherever it
sits — inside tool-call arguments' JSON too, since no edit writes a quote or a
backslash. What was found is added to the exchange's :class:`AnswerVerdict`
for the audit record: entity types, places and scores, never a value (values
are kept only until the record fingerprints them).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.detect.actions import RequestEditor
from gateway.errors import AnswerBlocked, AnswerUninspectable
from gateway.exchange import AnswerFound, AnswerVerdict
from gateway.policy import refusal_message
from gateway.policy.schema import EDIT_ACTIONS

if TYPE_CHECKING:
    from gateway.detect import DetectionEngine
    from gateway.detect.findings import Finding
    from gateway.policy import CompiledPolicy
    from gateway.policy.facts import PolicyInput
    from gateway.policy.messages import Language

__all__ = ["FAILED", "MAX_VALUES", "AnswerJudge", "Piece", "judge_texts"]

#: values kept per entity type and place, for the record's fingerprints
MAX_VALUES = 16
_TOO_LARGE = {
    "en": "the provider's answer holds more than {limit} characters to inspect at once "
    "(detection.max_scan_chars), so it was withheld",
    "ko": "공급자의 응답에 한 번에 검사할 텍스트가 {limit}자를 넘어(detection.max_scan_chars) "
    "응답을 전달하지 않았습니다",
}
#: what the caller reads when judging the answer failed (fail closed)
FAILED = {
    "en": "Haetae could not inspect the provider's answer, so it was withheld (fail closed)",
    "ko": "Haetae가 공급자의 응답을 검사하지 못해 전달하지 않았습니다(fail closed)",
}
#: most protective first: what the verdict reports when an answer had several
_RANK = {action: rank for rank, action in enumerate(("block", *EDIT_ACTIONS, "allow"))}


@dataclass(slots=True)
class Piece:
    """A text about to be sent, with the findings shown in it.

    ``shown`` offsets index ``text``; a finding marked ``joined`` is part of a
    value (begun in text already sent, or split across two places), edited as a
    part. ``counted`` are the values first shown here, with the text their
    offsets index: they are what the record counts.
    """

    text: str
    shown: list[Finding]
    counted: list[tuple[str, Finding]]
    location: str


class AnswerJudge:
    def __init__(
        self,
        engine: DetectionEngine,
        policy: CompiledPolicy,
        facts: PolicyInput,
        editor: RequestEditor,
        language: Language,
        verdict: AnswerVerdict,
        offload_chars: int = 2_048,
        max_scan_chars: int = 1 << 20,
    ) -> None:
        self._offload = offload_chars
        self._max_scan = max_scan_chars
        self._engine = engine
        self._policy = policy
        self._facts = facts
        self._editor = editor
        self._language = language
        self.verdict = verdict
        self._seen: set[tuple[str, str]] = set()  # (entity type, value) counted

    @property
    def language(self) -> Language:
        return self._language

    def scan(self, text: str) -> list[Finding]:
        """The findings in ``text`` that count under the policy's thresholds and lists."""
        return self.scan_many([text])[0]

    async def scan_within_budget(self, texts: list[str]) -> list[list[Finding]]:
        """``scan_many`` within the scan budget (``detection.max_scan_chars``, else
        ``AnswerUninspectable``), on a worker thread above ``offload_chars``."""
        if self._within_budget(texts) > self._offload:
            return await asyncio.to_thread(self.scan_many, texts)
        return self.scan_many(texts)

    def scan_checked(self, texts: list[str]) -> list[list[Finding]]:
        """``scan_many`` within the scan budget, here and now (the caller is off the loop)."""
        self._within_budget(texts)
        return self.scan_many(texts)

    def _within_budget(self, texts: list[str]) -> int:
        """The texts' size; ``AnswerUninspectable`` past ``detection.max_scan_chars``."""
        size = sum(map(len, texts))
        if size > self._max_scan:
            message = _TOO_LARGE[self._language].format(limit=self._max_scan)
            raise AnswerUninspectable(message)
        return size

    def scan_many(self, texts: list[str]) -> list[list[Finding]]:
        """One scan over several texts (a value split between two is found in parts)."""
        if not any(texts):
            return [[] for _ in texts]
        found = self._engine.scan_segments(texts)
        if not any(found):  # most answers: nothing to screen
            return found
        return self._policy.screen(texts, found).findings

    def judge_piece(self, piece: Piece) -> str:
        """``piece.text`` as the caller may read it; raises ``AnswerBlocked``."""
        return self.judge_pieces([piece])[0]

    def judge_pieces(self, pieces: list[Piece]) -> list[str]:
        """Several texts judged as one answer: one decision over all they show."""
        counts = Counter(f.entity_type for piece in pieces for f in piece.shown)
        if not counts:
            return [piece.text for piece in pieces]
        scores: dict[str, list[float]] = {}
        for piece in pieces:
            for finding in piece.shown:
                scores.setdefault(finding.entity_type, []).append(finding.score)
        facts = self._facts._replace(entity_counts=dict(counts), entity_scores=scores)
        decision = self._policy.decide(facts, "response")
        for piece in pieces:
            self._record(piece)
        verdict = self.verdict
        _add(verdict.rule_ids, decision.rule_ids)
        _add(verdict.monitored_rule_ids, decision.monitored_rule_ids)
        if decision.action == "block":
            verdict.action = "block"
            message = refusal_message(
                self._policy, decision, counts, self._language, facts, "response"
            )
            raise AnswerBlocked(message, rule_ids=list(decision.rule_ids))
        edits = decision.edits
        if not edits:
            return [piece.text for piece in pieces]
        for entity, action in edits.items():
            verdict.edits.setdefault(entity, action)
            if _RANK[action] < _RANK[verdict.action]:
                verdict.action = action
        out: list[str] = []
        for piece in pieces:
            hits = [f for f in piece.shown if f.entity_type in edits]
            out.append(self._editor.edit(piece.text, hits, edits) if hits else piece.text)
        return out

    def _record(self, piece: Piece) -> None:
        """Count each distinct value once per answer and once per place: answers repeat
        themselves (Responses' ``*.done`` events and ``response.completed``)."""
        verdict = self.verdict
        for text, finding in piece.counted:
            entity = finding.entity_type
            value = text[finding.start : finding.end]
            if (entity, value) not in self._seen:
                self._seen.add((entity, value))
                verdict.entity_counts[entity] = verdict.entity_counts.get(entity, 0) + 1
            found = verdict.found.get((entity, piece.location))
            if found is None:
                found = verdict.found[(entity, piece.location)] = AnswerFound()
            found.max_score = max(found.max_score, round(finding.score, 4))
            if value not in found.values:
                found.count += 1
                if len(found.values) < MAX_VALUES:
                    found.values.append(value)


def _add(into: list[str], ids: tuple[str, ...]) -> None:
    for rule_id in ids:
        if rule_id not in into:
            into.append(rule_id)


def judge_texts(
    judge: AnswerJudge, texts: list[str], locations: Sequence[str], found: list[list[Finding]]
) -> list[str]:
    """Whole texts of one answer (or event), judged together; a split value counts once."""
    pieces: list[Piece] = []
    places: list[int] = []
    counted: set[int] = set()
    for index, (text, findings) in enumerate(zip(texts, found, strict=True)):
        if not findings:
            continue
        first = []
        for finding in findings:
            if finding.joined:
                if finding.joined in counted:
                    continue
                counted.add(finding.joined)
            first.append((text, finding))
        pieces.append(Piece(text, findings, first, locations[index]))
        places.append(index)
    out = list(texts)
    if pieces:
        for index, edited in zip(places, judge.judge_pieces(pieces), strict=True):
            out[index] = edited
    return out
