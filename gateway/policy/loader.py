"""Reading a policy file: YAML → validated document → compiled policy."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from pathlib import Path

import yaml
from pydantic import ValidationError

from gateway.errors import ConfigError
from gateway.policy.evaluate import CompiledPolicy, DictionaryTerms, compile_policy
from gateway.policy.providers import policy_catalog
from gateway.policy.schema import PolicyDocument
from gateway.validation import describe_validation_error

__all__ = ["load_policy", "parse_policy"]


def load_policy(path: Path, known_entities: Collection[str]) -> CompiledPolicy:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read policy file {path}: {exc.strerror}") from None
    return parse_policy(raw, known_entities, source=str(path), base_dir=path.parent)


def parse_policy(
    raw: bytes,
    known_entities: Collection[str],
    *,
    source: str = "<policy>",
    base_dir: Path | None = None,
) -> CompiledPolicy:
    """Validate and compile; the version hashes the policy and its dictionary files."""
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    try:
        document = PolicyDocument.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: invalid policy:\n{describe_validation_error(exc)}") from None
    try:
        policy_catalog(document.policy, document.providers)  # a bad entry fails the load
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    digest = hashlib.sha256(raw)
    dictionaries = []
    builtin = frozenset(known_entities)
    for spec in document.detection.dictionaries:
        if spec.entity in builtin:
            raise ConfigError(
                f"{source}: dictionary entity {spec.entity} is a built-in detector's name; "
                "choose another"
            )
        terms = list(spec.terms)
        if spec.file is not None:
            content = _read_terms(Path(spec.file), base_dir, source)
            digest.update(content)
            terms += [line.strip() for line in content.decode("utf-8").splitlines()]
        dictionaries.append(
            DictionaryTerms(spec.entity, tuple(t for t in terms if t), spec.case_sensitive)
        )
    known = builtin | {d.entity for d in dictionaries}
    try:
        return compile_policy(
            document, digest.hexdigest()[:16], known, dictionaries=tuple(dictionaries)
        )
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _read_terms(path: Path, base_dir: Path | None, source: str) -> bytes:
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        content = path.read_bytes()
        content.decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read dictionary {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: dictionary {path} is not UTF-8 text") from None
    return content
