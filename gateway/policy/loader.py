"""Reading a policy file: YAML → validated document → compiled policy."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from pathlib import Path

import yaml
from pydantic import ValidationError

from gateway.errors import ConfigError
from gateway.policy.evaluate import CompiledPolicy, compile_policy
from gateway.policy.schema import PolicyDocument
from gateway.validation import describe_validation_error

__all__ = ["load_policy", "parse_policy"]


def load_policy(path: Path, known_entities: Collection[str]) -> CompiledPolicy:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read policy file {path}: {exc.strerror}") from None
    return parse_policy(raw, known_entities, source=str(path))


def parse_policy(
    raw: bytes, known_entities: Collection[str], *, source: str = "<policy>"
) -> CompiledPolicy:
    """Validate and compile; the version is a content hash, so equal files share it."""
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    try:
        document = PolicyDocument.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: invalid policy:\n{describe_validation_error(exc)}") from None
    version = hashlib.sha256(raw).hexdigest()[:16]
    try:
        return compile_policy(document, version, known_entities)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
