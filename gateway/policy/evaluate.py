"""Compiled policies and the one function that decides.

Policies are compiled once, at load (``conditions.py``), so the request path
only calls closures. ``decide`` states the combining rule.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gateway.policy.conditions import (
    CompileContext,
    Predicate,
    compile_condition,
    expand_entities,
)
from gateway.policy.detection import AllowedValues, Screen
from gateway.policy.facts import PolicyInput
from gateway.policy.limits import CompiledLimit, compile_limits
from gateway.policy.schema import EDIT_ACTIONS, PolicyDocument, Rule
from gateway.policy.source import PolicyError

#: what ``decide`` judges: the request, or the answer to it
Judged = Literal["request", "response"]

__all__ = [
    "AllowTerms",
    "CompiledPolicy",
    "CompiledRule",
    "Decision",
    "DictionaryTerms",
    "Judged",
    "PolicyInput",
    "compile_policy",
]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    matches: Predicate
    entities: frozenset[str]  # entity types the rule's `when` names; what an edit rule edits

    @property
    def id(self) -> str:
        return self.rule.id


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one request, with the rules that produced it."""

    action: str  # allow | block | warn | one of EDIT_ACTIONS (the most protective edit applied)
    rule_ids: tuple[str, ...]
    monitored_rule_ids: tuple[str, ...] = ()
    #: entity type → edit action, for the entity types found in the request
    edits: Mapping[str, str] = field(default_factory=dict)
    blocking_rules: tuple[CompiledRule, ...] = ()
    #: enforced ``warn`` rules that matched: the request goes, the client is told
    warning_rules: tuple[CompiledRule, ...] = ()


@dataclass(frozen=True, slots=True)
class DictionaryTerms:
    """A policy's term list, with its file's lines already read."""

    entity: str
    terms: tuple[str, ...]
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class AllowTerms:
    """An allow-list with its file's lines already read; ``entities`` None means all."""

    values: tuple[str, ...]
    entities: tuple[str, ...] | None = None
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    document: PolicyDocument
    version: str
    rules: tuple[CompiledRule, ...]
    scanned_entities: frozenset[str]
    dictionaries: tuple[DictionaryTerms, ...] = ()
    screen: Screen = field(default_factory=lambda: Screen(0.5))
    #: some rule tests ``endpoint.ip_country``: the host must be resolved first
    needs_endpoint_country: bool = False
    #: every file that went into this version: the policy and its includes
    files: tuple[str, ...] = ()
    #: the entity types rules could name: the detector's and the policy's dictionaries
    known_entities: frozenset[str] = frozenset()
    #: the enforced ``allow``/``warn`` rules that test ``uninspectable_attachments``: only
    #: a match of one of them lets a file the gateway could not read through
    uninspectable_rules: tuple[CompiledRule, ...] = ()
    #: the policy's limits on requests, tokens and spend (``gateway/limits`` enforces them)
    limits: tuple[CompiledLimit, ...] = ()
    #: the entity types the rules judging answers refer to: all an answer is scanned for
    answer_entities: frozenset[str] = frozenset()
    #: every file read from disk for this version, with the SHA-256 of what was read
    #: (``loader.ComposedPolicy.read``): what the policy file's watcher compares
    read: tuple[tuple[Path, str], ...] = field(default=(), compare=False)

    #: (predicate, bucket, rule) per rule judging requests, so ``decide`` reads no rule
    #: attributes; ``_answer_plan`` the same for the rules judging answers
    _plan: tuple[tuple[Predicate, int, CompiledRule], ...] = field(default=(), repr=False)
    _answer_plan: tuple[tuple[Predicate, int, CompiledRule], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        plan = tuple(
            (rule.matches, _bucket(rule.rule), rule)
            for rule in self.rules
            if rule.rule.judges_requests
        )
        answers = tuple(
            (rule.matches, _bucket(rule.rule), rule)
            for rule in self.rules
            if rule.rule.judges_answers
        )
        object.__setattr__(self, "_plan", plan)
        object.__setattr__(self, "_answer_plan", answers)

    @property
    def inspects_answers(self) -> bool:
        """Some rule judges answers: they must be read before they reach the caller."""
        return bool(self._answer_plan)

    def lets_uninspectable_through(self, request: PolicyInput) -> bool:
        """Whether a rule that names unread files explicitly allows (or warns about) them.

        Files the gateway could not read are refused unless one does, whatever else
        the policy decides (fail closed): ``default_action: allow`` is not enough.
        """
        return any(rule.matches(request) for rule in self.uninspectable_rules)

    @property
    def name(self) -> str:
        return self.document.policy or "unnamed"

    @property
    def min_score(self) -> float:
        return self.document.detection.min_score

    def decide(self, request: PolicyInput, direction: Judged = "request") -> Decision:
        """Evaluate every rule and combine the matches; rule order never matters.

        ``direction`` picks the rules: a request is judged by the rules whose
        ``direction`` is ``request`` or ``both``; an answer (``response``: the
        request's facts, with the entities found in the answer) by ``response``
        and ``both`` rules, under the same combining rule.

        A rule matches when its ``when`` holds and its ``unless`` does not.
        Matches of ``mode: monitor`` rules are reported, never enforced. Among
        enforced matches: any ``block`` wins; otherwise the edit rules (``redact``,
        ``hash``, ``pseudonymize``, ``mask``) edit the entity types they name —
        where two want different edits of one type, the more protective wins,
        in that order — and ``warn`` rules add a warning to the answer;
        otherwise any ``allow`` allows; with no match the policy's
        ``default_action`` applies.
        """
        blocks: list[CompiledRule] = []
        editors: list[CompiledRule] = []
        warnings: list[CompiledRule] = []
        allows: list[CompiledRule] = []
        monitored: list[str] = []
        enforced = (blocks, warnings, allows, editors)
        plan = self._plan if direction == "request" else self._answer_plan
        for matches, bucket, compiled in plan:
            if matches(request):
                if bucket < 0:
                    monitored.append(compiled.id)
                else:
                    enforced[bucket].append(compiled)
        watch = tuple(monitored)
        if blocks:
            ids = tuple(rule.id for rule in blocks)
            return Decision("block", ids, watch, blocking_rules=tuple(blocks))
        warned = tuple(warnings)
        if editors:
            edits: dict[str, str] = {}
            for rule in editors:
                # the request's few types, in the order they were found, not the rule's
                # set (hundreds with SECRET_*, in an order that changes between processes)
                for entity, count in request.entity_counts.items():
                    if not count or entity not in rule.entities:
                        continue
                    current = edits.get(entity)
                    action = rule.rule.action
                    if current is None or _RANK[action] < _RANK[current]:
                        edits[entity] = action
            strongest = min(edits.values(), key=_RANK.__getitem__, default=editors[0].rule.action)
            ids = tuple(r.id for r in (*editors, *warned))
            return Decision(strongest, ids, watch, edits, warning_rules=warned)
        if warned:
            return Decision("warn", tuple(r.id for r in warned), watch, warning_rules=warned)
        if allows:
            return Decision("allow", tuple(rule.id for rule in allows), watch)
        if direction != "request":  # an answer no rule judged is relayed as it is
            return Decision("allow", (), watch)
        return Decision(self.document.default_action, (), watch)


def compile_policy(
    document: PolicyDocument,
    version: str,
    known_entities: Collection[str],
    dictionaries: tuple[DictionaryTerms, ...] = (),
    allow_lists: Sequence[AllowTerms] = (),
    files: tuple[str, ...] = (),
    read: tuple[tuple[Path, str], ...] = (),
) -> CompiledPolicy:
    """Compile every rule and the detector settings; errors carry the key path."""
    known = frozenset(known_entities)
    groups = frozenset(document.groups) if document.groups is not None else None
    rules: list[CompiledRule] = []
    scanned: set[str] = set()
    answer_scanned: set[str] = set()
    needs_country = uses_scores = False
    for index, rule in enumerate(document.rules):
        path = ("rules", index)
        ctx = CompileContext(known, groups)
        matches = compile_condition(rule.when, ctx, (*path, "when"))
        entities = frozenset(ctx.named)
        if rule.unless is not None:
            exception = compile_condition(rule.unless, ctx, (*path, "unless"), negated=True)
            matches = _and_not(matches, exception)
        if rule.action in EDIT_ACTIONS and not entities:
            raise PolicyError(
                f"action '{rule.action}' needs 'entities' in 'when': it edits those types",
                (*path, "action"),
            )
        if rule.judges_answers and not entities:
            raise PolicyError(
                f"direction '{rule.direction}' needs 'entities' in 'when': a rule acts on "
                "an answer for what is found in it",
                (*path, "direction"),
            )
        rules.append(CompiledRule(rule, matches, entities))
        scanned |= ctx.referenced
        if rule.judges_answers:
            answer_scanned |= ctx.referenced
        needs_country |= ctx.uses_endpoint_country
        uses_scores |= ctx.uses_scores
    limits, limited_entities = compile_limits(document.limits, known, groups)
    scanned |= limited_entities
    detection = document.detection
    scanned |= expand_entities(detection.scan, known, ("detection", "scan"))
    thresholds: dict[str, float] = {}
    for pattern, score in detection.thresholds.items():
        for entity in expand_entities([pattern], known, ("detection", "thresholds", pattern)):
            # an exact name beats a glob that also covers it
            if entity == pattern or entity not in thresholds:
                thresholds[entity] = score
    screen = Screen(
        detection.min_score,
        thresholds,
        _allowed(allow_lists, known),
        keep_scores=uses_scores,
    )
    return CompiledPolicy(
        document,
        version,
        tuple(rules),
        frozenset(scanned),
        dictionaries,
        screen,
        needs_country,
        files,
        known,
        tuple(
            compiled
            for compiled in rules
            if compiled.rule.action in ("allow", "warn")
            and compiled.rule.mode == "enforce"
            and _tests(compiled.rule, "uninspectable_attachments")
        ),
        limits,
        frozenset(answer_scanned),
        read=read,
    )


def _tests(rule: Rule, fact: str) -> bool:
    """Whether ``rule``'s ``when`` or ``unless`` tests the condition field ``fact``."""
    pending: list[Any] = [rule.when.model_dump(exclude_none=True)]
    if rule.unless is not None:
        pending.append(rule.unless.model_dump(exclude_none=True))
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if fact in node:
                return True
            pending += node.values()
        elif isinstance(node, list):
            pending += node
    return False


_RANK = {action: rank for rank, action in enumerate(EDIT_ACTIONS)}
_BUCKETS = {"block": 0, "warn": 1, "allow": 2}


def _bucket(rule: Rule) -> int:
    """Where ``decide`` files a match: -1 monitor, 0 block, 1 warn, 2 allow, 3 edit."""
    return -1 if rule.mode == "monitor" else _BUCKETS.get(rule.action, 3)


def _and_not(when: Predicate, unless: Predicate) -> Predicate:
    return lambda request: when(request) and not unless(request)


def _allowed(lists: Sequence[AllowTerms], known: frozenset[str]) -> dict[str, AllowedValues]:
    exact: dict[str, set[str]] = {}
    folded: dict[str, set[str]] = {}
    for index, allow in enumerate(lists):
        path = ("detection", "allow", index, "entities")
        types = expand_entities(allow.entities, known, path) if allow.entities else {"*"}
        target = exact if allow.case_sensitive else folded
        for entity in types:
            bucket = target.setdefault(entity, set())
            for value in allow.values:
                value = value.strip()
                if value:
                    bucket.add(value if allow.case_sensitive else value.casefold())
    return {
        entity: AllowedValues(frozenset(exact.get(entity, ())), frozenset(folded.get(entity, ())))
        for entity in exact.keys() | folded.keys()
    }
