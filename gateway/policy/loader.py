"""Reading a policy: its file and the fragments it includes → one compiled policy.

Each file is validated on its own (so errors name that file and line), then
the files are merged: included fragments first, in order, then the including
file. A fragment adds rules, groups and detector settings; only the top-level
file names the policy and sets its defaults and tests. A rule id used twice,
a dictionary defined twice or a threshold given two values is an error, as is
an include cycle (a fragment included along two paths is read once). The
version hashes every file read, term lists included. Nothing is half-applied:
any error raises before a ``CompiledPolicy`` exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gateway.detect.company import COMPANY_ENTITIES
from gateway.errors import ConfigError
from gateway.policy.evaluate import AllowTerms, CompiledPolicy, DictionaryTerms, compile_policy
from gateway.policy.providers import policy_catalog
from gateway.policy.schema import PolicyDocument
from gateway.policy.source import KeyPath, PolicyError, SourceFile, read_source

__all__ = ["ComposedPolicy", "compose_policy", "load_policy", "parse_policy"]

_TOP_ONLY = ("policy", "default_action", "default_language", "tests", "coach_in_answer")
_LISTS = (
    ("rules",),
    ("limits",),
    ("detection", "dictionaries"),
    ("detection", "allow"),
    ("detection", "scan"),
)


def load_policy(path: Path, known_entities: Collection[str]) -> CompiledPolicy:
    return compose_policy(path).compile(known_entities)


def parse_policy(
    raw: bytes,
    known_entities: Collection[str],
    *,
    source: str = "<policy>",
    base_dir: Path | None = None,
) -> CompiledPolicy:
    """Validate and compile text; includes and term files are relative to ``base_dir``."""
    return compose_text(raw, source, base_dir or Path.cwd()).compile(known_entities)


@dataclass(slots=True)
class ComposedPolicy:
    """The merged document, with where each part came from (for messages)."""

    document: PolicyDocument
    sources: list[SourceFile]
    #: for each list section: merged index → (file, index there)
    origins: dict[KeyPath, list[tuple[SourceFile, int]]] = field(default_factory=dict)
    threshold_origins: dict[str, SourceFile] = field(default_factory=dict)
    dictionaries: tuple[DictionaryTerms, ...] = ()
    allow_lists: tuple[AllowTerms, ...] = ()
    version: str = ""
    #: every file read from disk for it (includes, term files; the top file too when it
    #: was read here), with the SHA-256 of the bytes read: what a watcher compares
    read: tuple[tuple[Path, str], ...] = ()

    @property
    def top(self) -> SourceFile:
        return self.sources[-1]

    def where(self, path: KeyPath) -> str:
        """``file:line: key`` for a key path of the merged document."""
        for section in _LISTS:
            n = len(section)
            position = path[n] if len(path) > n else None
            if path[:n] == section and isinstance(position, int):
                origin, index = self.origins[section][position]
                return origin.where((*section, index, *path[n + 1 :]))
        if path[:2] == ("detection", "thresholds") and len(path) > 2:
            return self.threshold_origins[str(path[2])].where(path)
        return self.top.where(path)

    def compile(self, known_entities: Collection[str]) -> CompiledPolicy:
        try:
            policy_catalog(self.document.policy or "", self.document.providers)  # fails if bad
        except ConfigError as exc:
            raise ConfigError(f"{self.where(('providers',))}: {exc}") from None
        builtin = frozenset(known_entities)
        for index, terms in enumerate(self.dictionaries):
            if terms.entity in builtin | COMPANY_ENTITIES:
                raise ConfigError(
                    f"{self.where(('detection', 'dictionaries', index, 'entity'))}: "
                    f"{terms.entity} is a built-in detector's name; choose another"
                )
        known = builtin | COMPANY_ENTITIES | {d.entity for d in self.dictionaries}
        try:
            return compile_policy(
                self.document,
                self.version,
                known,
                self.dictionaries,
                self.allow_lists,
                tuple(source.name for source in self.sources),
                self.read,
            )
        except PolicyError as exc:
            raise ConfigError(f"{self.where(exc.path)}: {exc}") from None


def compose_policy(path: Path) -> ComposedPolicy:
    read: list[tuple[Path, str]] = []
    raw = _read(path, None, read=read)
    return compose_text(raw, str(path), path.parent, path.resolve(), read=read)


def compose_text(
    raw: bytes,
    name: str,
    base_dir: Path,
    location: Path | None = None,
    *,
    read: list[tuple[Path, str]] | None = None,
) -> ComposedPolicy:
    """``location``: where the text lives, if it is a file (for include cycles); ``read``:
    the files already read for it (the top one, when the caller read it)."""
    files: list[tuple[SourceFile, PolicyDocument, Path]] = []
    here = location or (base_dir / name).resolve()
    reads = read if read is not None else []
    _gather(raw, name, base_dir, here, files, stack=(), done=set(), read=reads)
    return _merge(files, reads)


def _gather(
    raw: bytes,
    name: str,
    base_dir: Path,
    here: Path,
    files: list[tuple[SourceFile, PolicyDocument, Path]],
    stack: tuple[Path, ...],
    done: set[Path],
    read: list[tuple[Path, str]],
) -> None:
    source = read_source(raw, name)
    try:
        document = PolicyDocument.model_validate(source.data)
    except ValidationError as exc:
        raise ConfigError(f"invalid policy:\n{source.describe(exc)}") from None
    if stack:  # an included fragment
        for key in _TOP_ONLY:
            if key in document.model_fields_set:
                raise ConfigError(f"{source.where((key,))}: only the including policy sets this")
        for key in ("min_score", "company"):
            if key in document.detection.model_fields_set:
                raise ConfigError(
                    f"{source.where(('detection', key))}: only the including policy sets this"
                )
    elif document.policy is None:
        raise ConfigError(f"{source.where(())}: a policy needs a name ('policy: my-policy')")
    for index, relative in enumerate(document.include):
        target = (base_dir / relative).resolve()
        if target in stack or target == here:
            chain = " → ".join(p.name for p in (*stack, here, target))
            raise ConfigError(f"{source.where(('include', index))}: include cycle: {chain}")
        if target in done:
            continue
        done.add(target)
        display = (
            str(Path(name).parent / relative) if not Path(relative).is_absolute() else relative
        )
        _gather(
            _read(target, source.where(("include", index)), read=read),
            display,
            target.parent,
            target,
            files,
            (*stack, here),
            done,
            read,
        )
    files.append((source, document, base_dir))


def _merge(
    files: list[tuple[SourceFile, PolicyDocument, Path]], read: list[tuple[Path, str]]
) -> ComposedPolicy:
    _, top, _ = files[-1]
    digest = hashlib.sha256()
    origins: dict[KeyPath, list[tuple[SourceFile, int]]] = {section: [] for section in _LISTS}
    rules: list[Any] = []
    rule_home: dict[str, str] = {}
    limits: list[Any] = []
    limit_home: dict[str, str] = {}
    dictionaries: list[DictionaryTerms] = []
    dictionary_home: dict[str, str] = {}
    allow_lists: list[AllowTerms] = []
    thresholds: dict[str, float] = {}
    threshold_origins: dict[str, SourceFile] = {}
    scan: list[str] = []
    groups: set[str] | None = None
    for source, document, base_dir in files:
        digest.update(source.raw)
        _gather_ids(source, "rules", "rule", document.rules, rules, rule_home, origins)
        _gather_ids(source, "limits", "limit", document.limits, limits, limit_home, origins)
        detection = document.detection
        for index, spec in enumerate(detection.dictionaries):
            where = source.where(("detection", "dictionaries", index, "entity"))
            if spec.entity in dictionary_home:
                raise ConfigError(
                    f"{where}: dictionary {spec.entity} is also defined at "
                    f"{dictionary_home[spec.entity]}"
                )
            dictionary_home[spec.entity] = where
            at = source.where(("detection", "dictionaries", index, "file"))
            terms = spec.terms + _term_file(spec.file, base_dir, at, "dictionary ", digest, read)
            dictionaries.append(
                DictionaryTerms(spec.entity, tuple(t for t in terms if t), spec.case_sensitive)
            )
            origins[("detection", "dictionaries")].append((source, index))
        for index, allow in enumerate(detection.allow):
            at = source.where(("detection", "allow", index, "file"))
            values = allow.values + _term_file(
                allow.file, base_dir, at, "allow-list ", digest, read
            )
            entities = tuple(allow.entities) if allow.entities else None
            allow_lists.append(AllowTerms(tuple(values), entities, allow.case_sensitive))
            origins[("detection", "allow")].append((source, index))
        for key, score in detection.thresholds.items():
            if key in thresholds and thresholds[key] != score:
                raise ConfigError(
                    f"{source.where(('detection', 'thresholds', key))}: threshold {score} "
                    f"contradicts {thresholds[key]} at "
                    f"{threshold_origins[key].where(('detection', 'thresholds', key))}"
                )
            thresholds[key] = score
            threshold_origins[key] = source
        for index, entity in enumerate(detection.scan):
            scan.append(entity)
            origins[("detection", "scan")].append((source, index))
        if document.groups is not None:
            groups = (groups or set()) | set(document.groups)
    merged_detection = top.detection.model_copy(
        update={
            "thresholds": thresholds,
            "scan": scan,
            "allow": [a for _, d, _ in files for a in d.detection.allow],
            "dictionaries": [s for _, d, _ in files for s in d.detection.dictionaries],
        }
    )
    merged = top.model_copy(
        update={
            "rules": rules,
            "limits": limits,
            "detection": merged_detection,
            "groups": sorted(groups) if groups is not None else None,
        }
    )
    return ComposedPolicy(
        merged,
        [source for source, _, _ in files],
        origins,
        threshold_origins,
        tuple(dictionaries),
        tuple(allow_lists),
        digest.hexdigest()[:16],
        tuple(read),
    )


def _gather_ids(
    source: SourceFile,
    section: str,
    kind: str,
    items: list[Any],
    merged: list[Any],
    homes: dict[str, str],
    origins: dict[KeyPath, list[tuple[SourceFile, int]]],
) -> None:
    """Add one file's rules (or limits) to the merged list; an id used twice is an error."""
    for index, item in enumerate(items):
        where = source.where((section, index, "id"))
        if item.id in homes:
            raise ConfigError(f"{where}: {kind} id '{item.id}' is also used at {homes[item.id]}")
        homes[item.id] = where
        merged.append(item)
        origins[(section,)].append((source, index))


def _read(path: Path, where: str | None, what: str = "", *, read: list[tuple[Path, str]]) -> bytes:
    """The file's bytes, noted in ``read`` with their hash (``ComposedPolicy.read``)."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        prefix = f"{where}: " if where else ""
        raise ConfigError(f"{prefix}cannot read {what}{path}: {exc.strerror}") from None
    read.append((path, hashlib.sha256(content).hexdigest()))
    return content


def _term_file(
    name: str | None,
    base_dir: Path,
    where: str,
    what: str,
    digest: Any,
    read: list[tuple[Path, str]],
) -> list[str]:
    """A term or value file's stripped lines (none without a file); the version covers it."""
    if name is None:
        return []
    path = base_dir / name
    content = _read(path, where, what, read=read)
    digest.update(content)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: {what}{path} is not UTF-8 text") from None
    return [line.strip() for line in text.splitlines()]
