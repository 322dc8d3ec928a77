"""A policy's own test cases: request sketch (and answer) → expected decision.

``haetae policy test`` and the CI test of the shipped policies both call
``run_policy_tests``. A sketch names only what a policy can see (its keys and
how each becomes a fact are ``fact_table.FACTS``' ``sketch``); provider facts
default to the catalog's, and a sketch's ``text`` is scanned by the real
detector with the policy's dictionaries, thresholds and allow-lists, exactly
as a served request is. A case with a ``response`` judges that answer text
with the rules whose direction covers answers, under the request's other facts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.errors import ConfigError
from gateway.policy.evaluate import CompiledPolicy, Decision
from gateway.policy.fact_table import sketch_input
from gateway.policy.facts import PolicyInput, SketchContext
from gateway.policy.loader import load_policy
from gateway.policy.providers import policy_catalog
from gateway.policy.schema import EntityCountSketch, PolicyTest, RequestSketch

if TYPE_CHECKING:
    from gateway.detect import DetectionEngine
    from gateway.providers.catalog import CatalogEntry

__all__ = [
    "CaseResult",
    "FileReport",
    "Sketcher",
    "format_reports",
    "run_cases",
    "run_policy_tests",
]


@dataclass(slots=True)
class CaseResult:
    name: str
    problems: list[str]
    decision: Decision | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class FileReport:
    path: str
    policy: CompiledPolicy | None = None
    error: str | None = None
    results: list[CaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and all(result.passed for result in self.results)


class Sketcher:
    """Turns request sketches into ``PolicyInput`` for one policy."""

    def __init__(
        self,
        policy: CompiledPolicy,
        catalog: Mapping[str, CatalogEntry],
        known_entities: Collection[str],
    ) -> None:
        self._policy = policy
        self._catalog = catalog
        self._known = frozenset(known_entities) | {d.entity for d in policy.dictionaries}
        self._engine: DetectionEngine | None = None

    def __call__(self, sketch: RequestSketch) -> PolicyInput:
        entry = self._catalog.get(sketch.provider)
        if entry is None and (sketch.jurisdiction is None or sketch.host is None):
            raise ValueError(
                f"provider '{sketch.provider}' is not in the catalog; "
                "give its 'jurisdiction' and 'host'"
            )
        counts: dict[str, int] = {}
        scores: dict[str, list[float]] = {}
        chars = 0
        if sketch.text is not None:
            texts = [sketch.text]
            screened = self._policy.screen(texts, self._scanner().scan_segments(texts))
            counts.update(screened.counts)
            scores.update(screened.scores or {})
            chars = len(sketch.text)
        for entity, given in sketch.entities.items():
            if entity not in self._known:
                raise ValueError(f"'{entity}' is not an entity the policy or detector knows")
            found = (
                given if isinstance(given, EntityCountSketch) else EntityCountSketch(count=given)
            )
            if found.count:
                counts[entity] = counts.get(entity, 0) + found.count
                scores.setdefault(entity, []).extend([found.score] * found.count)
        context = SketchContext(entry, self._policy.document.groups, counts, scores, chars)
        return sketch_input(sketch, context)

    def answer(self, request: PolicyInput, text: str) -> PolicyInput:
        """The facts an answer is judged by: the request's, with what ``text`` holds."""
        texts = [text]
        screened = self._policy.screen(texts, self._scanner().scan_segments(texts))
        return request._replace(entity_counts=screened.counts, entity_scores=screened.scores or {})

    def _scanner(self) -> DetectionEngine:
        if self._engine is None:
            self._engine = build_engine(self._policy)
        return self._engine


def build_engine(policy: CompiledPolicy) -> DetectionEngine:
    """The detector a gateway serving this policy would build."""
    from gateway.detect import SUPPORTED_ENTITIES, DetectionEngine
    from gateway.detect.recognizers.dictionary import DictionaryRecognizer

    return DetectionEngine(
        entities=policy.scanned_entities & SUPPORTED_ENTITIES,
        extra_recognizers=[
            DictionaryRecognizer(d.entity, d.terms, case_sensitive=d.case_sensitive)
            for d in policy.dictionaries
            if d.entity in policy.scanned_entities
        ],
    )


def check_case(policy: CompiledPolicy, case: PolicyTest, sketch: Sketcher) -> CaseResult:
    try:
        request = sketch(case.request)
    except ValueError as exc:
        return CaseResult(case.name, [f"bad request sketch: {exc}"])
    if case.response is None:
        decision = policy.decide(request)
    else:  # the case tests the answer: the request's facts, the answer's entities
        decision = policy.decide(sketch.answer(request, case.response.text), "response")
    expect, problems = case.expect, []
    got_rules = ", ".join(decision.rule_ids) or "none"
    if decision.action != expect.action:
        problems.append(
            f"expected action {expect.action}, got {decision.action} (rules: {got_rules})"
        )
    if expect.rules is not None and set(expect.rules) != set(decision.rule_ids):
        problems.append(f"expected rules {', '.join(expect.rules) or 'none'}, got {got_rules}")
    if expect.edits is not None and dict(expect.edits) != dict(decision.edits):
        problems.append(f"expected edits {dict(expect.edits)}, got {dict(decision.edits)}")
    if expect.monitored is not None and set(expect.monitored) != set(decision.monitored_rule_ids):
        got = ", ".join(decision.monitored_rule_ids) or "none"
        problems.append(f"expected monitored {', '.join(expect.monitored) or 'none'}, got {got}")
    return CaseResult(case.name, problems, decision)


def run_policy_tests(
    paths: Sequence[Path],
    known_entities: Collection[str] | None = None,
    catalog: Mapping[str, CatalogEntry] | None = None,  # default: the policy's merged catalog
    load: Callable[[Path, Collection[str]], CompiledPolicy] = load_policy,
) -> list[FileReport]:
    """Load each policy and run its ``tests:``; a policy that fails to load is a failure."""
    if known_entities is None:
        from gateway.detect import SUPPORTED_ENTITIES

        known_entities = SUPPORTED_ENTITIES
    reports = []
    for path in paths:
        report = FileReport(str(path))
        try:
            policy = load(path, known_entities)
        except ConfigError as exc:
            report.error = str(exc)
            reports.append(report)
            continue
        report.policy = policy
        if not policy.document.tests:
            report.error = "no test cases ('tests:'): every policy ships with its own"
        report.results = run_cases(policy, known_entities, catalog)
        reports.append(report)
    return reports


def run_cases(
    policy: CompiledPolicy,
    known_entities: Collection[str],
    catalog: Mapping[str, CatalogEntry] | None = None,  # default: the policy's merged catalog
) -> list[CaseResult]:
    """Every case of the policy's ``tests:``, judged by the policy itself; blocking."""
    # A case may name a provider the policy itself declares: judge it by the merged catalog.
    merged = catalog or policy_catalog(policy.name, policy.document.providers)
    sketch = Sketcher(policy, merged, known_entities)
    return [check_case(policy, case, sketch) for case in policy.document.tests]


def format_reports(reports: Sequence[FileReport]) -> str:
    lines: list[str] = []
    passed = failed = 0
    for report in reports:
        if report.policy is not None:
            policy = report.policy
            lines.append(f"{report.path} ({policy.name}, version {policy.version})")
        else:
            lines.append(report.path)
        if report.error is not None:
            lines.extend(f"  ERROR {line}" for line in report.error.splitlines())
            failed += 1
        for result in report.results:
            if result.passed:
                passed += 1
                lines.append(f"  PASS  {result.name}")
            else:
                failed += 1
                lines.append(f"  FAIL  {result.name}")
                lines.extend(f"        {problem}" for problem in result.problems)
    lines.append(f"{passed} passed, {failed} failed")
    return "\n".join(lines)
