"""Compiled policies and the one function that decides.

Policies are compiled once, at load: conditions become plain predicates over a
``PolicyInput`` and entity globs are expanded against the detector's entity
list, so a typo fails at load time and the request path only calls closures.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from gateway.errors import ConfigError
from gateway.policy.schema import EDIT_ACTIONS, Condition, PolicyDocument, Rule

__all__ = [
    "CompiledPolicy",
    "CompiledRule",
    "Decision",
    "DictionaryTerms",
    "PolicyInput",
    "compile_policy",
]


@dataclass(frozen=True, slots=True)
class PolicyInput:
    """What a policy may look at. Entity counts only: never the values."""

    provider: str
    provider_jurisdiction: str
    provider_parent_jurisdiction: str | None
    api: str
    model: str | None
    entity_counts: Mapping[str, int] = field(default_factory=dict)


Predicate = Callable[[PolicyInput], bool]


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

    action: str  # allow | block | one of EDIT_ACTIONS (the most protective edit applied)
    rule_ids: tuple[str, ...]
    monitored_rule_ids: tuple[str, ...] = ()
    #: entity type → edit action, for the entity types found in the request
    edits: Mapping[str, str] = field(default_factory=dict)
    blocking_rules: tuple[CompiledRule, ...] = ()


@dataclass(frozen=True, slots=True)
class DictionaryTerms:
    """A policy's term list, with its file's lines already read."""

    entity: str
    terms: tuple[str, ...]
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    document: PolicyDocument
    version: str
    rules: tuple[CompiledRule, ...]
    scanned_entities: frozenset[str]
    dictionaries: tuple[DictionaryTerms, ...] = ()

    @property
    def name(self) -> str:
        return self.document.policy

    @property
    def min_score(self) -> float:
        return self.document.detection.min_score

    def decide(self, request: PolicyInput) -> Decision:
        """Evaluate every rule and combine the matches; rule order never matters.

        A rule matches when its ``when`` holds and its ``unless`` does not.
        Matches of ``mode: monitor`` rules are reported, never enforced. Among
        enforced matches: any ``block`` wins; otherwise the edit rules (``redact``,
        ``hash``, ``pseudonymize``, ``mask``) edit the entity types they name —
        where two want different edits of one type, the more protective wins,
        in that order; otherwise any ``allow`` allows; with no match the
        policy's ``default_action`` applies.
        """
        blocks: list[CompiledRule] = []
        editors: list[CompiledRule] = []
        allows: list[CompiledRule] = []
        monitored: list[str] = []
        for compiled in self.rules:
            if not compiled.matches(request):
                continue
            if compiled.rule.mode == "monitor":
                monitored.append(compiled.id)
            elif compiled.rule.action == "block":
                blocks.append(compiled)
            elif compiled.rule.action in EDIT_ACTIONS:
                editors.append(compiled)
            else:
                allows.append(compiled)
        watch = tuple(monitored)
        if blocks:
            ids = tuple(rule.id for rule in blocks)
            return Decision("block", ids, watch, blocking_rules=tuple(blocks))
        if editors:
            edits: dict[str, str] = {}
            for rule in editors:
                for entity in rule.entities:
                    if not request.entity_counts.get(entity):
                        continue
                    current = edits.get(entity)
                    action = rule.rule.action
                    if current is None or _RANK[action] < _RANK[current]:
                        edits[entity] = action
            strongest = min(edits.values(), key=_RANK.__getitem__, default=editors[0].rule.action)
            return Decision(strongest, tuple(r.id for r in editors), watch, edits)
        if allows:
            return Decision("allow", tuple(rule.id for rule in allows), watch)
        return Decision(self.document.default_action, (), watch)


def compile_policy(
    document: PolicyDocument,
    version: str,
    known_entities: Collection[str],
    dictionaries: tuple[DictionaryTerms, ...] = (),
) -> CompiledPolicy:
    known = frozenset(known_entities)
    rules: list[CompiledRule] = []
    scanned: set[str] = set()
    for rule in document.rules:
        where = f"rule '{rule.id}'"
        named: set[str] = set()
        matches = _compile(rule.when, known, named, f"{where}.when")
        entities = frozenset(named)
        if rule.unless is not None:
            exception = _compile(rule.unless, known, named, f"{where}.unless")
            matches = _and_not(matches, exception)
        if rule.action in EDIT_ACTIONS and not entities:
            raise ConfigError(f"{where}: action '{rule.action}' needs 'entities' in 'when' to edit")
        rules.append(CompiledRule(rule, matches, entities))
        scanned |= named
    return CompiledPolicy(document, version, tuple(rules), frozenset(scanned), dictionaries)


_RANK = {action: rank for rank, action in enumerate(EDIT_ACTIONS)}


def _and_not(when: Predicate, unless: Predicate) -> Predicate:
    return lambda request: when(request) and not unless(request)


def _compile(condition: Condition, known: frozenset[str], named: set[str], where: str) -> Predicate:
    tests: list[Predicate] = []
    if condition.any_of is not None:
        parts = [_compile(c, known, named, f"{where}.any") for c in condition.any_of]
        tests.append(lambda r: any(p(r) for p in parts))
    if condition.all_of is not None:
        parts = [_compile(c, known, named, f"{where}.all") for c in condition.all_of]
        tests.append(lambda r: all(p(r) for p in parts))
    if condition.not_ is not None:
        inner = _compile(condition.not_, known, set(), f"{where}.not")
        tests.append(lambda r: not inner(r))
    if condition.provider is not None:
        ids = frozenset(condition.provider)
        tests.append(lambda r: r.provider in ids)
    if condition.provider_jurisdiction is not None:
        countries = frozenset(c.upper() for c in condition.provider_jurisdiction)
        tests.append(lambda r: r.provider_jurisdiction in countries)
    if condition.provider_parent_jurisdiction is not None:
        parents = frozenset(c.upper() for c in condition.provider_parent_jurisdiction)
        tests.append(lambda r: r.provider_parent_jurisdiction in parents)
    if condition.api is not None:
        apis = frozenset(condition.api)
        tests.append(lambda r: r.api in apis)
    if condition.model is not None:
        globs = tuple(condition.model)
        tests.append(
            lambda r: r.model is not None and any(fnmatch.fnmatchcase(r.model, g) for g in globs)
        )
    if condition.entities is not None:
        wanted = _expand_entities(condition.entities, known, f"{where}.entities")
        named |= wanted
        tests.append(lambda r: any(r.entity_counts.get(e) for e in wanted))
    if len(tests) == 1:
        return tests[0]
    return lambda r: all(t(r) for t in tests)


def _expand_entities(patterns: list[str], known: frozenset[str], where: str) -> frozenset[str]:
    expanded: set[str] = set()
    for pattern in patterns:
        matched = {name for name in known if fnmatch.fnmatchcase(name, pattern)}
        if not matched:
            raise ConfigError(
                f"{where}: '{pattern}' is not an entity the detector knows "
                f"(known: {', '.join(sorted(known))})"
            )
        expanded |= matched
    return frozenset(expanded)
