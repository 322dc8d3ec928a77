"""Uploaded policies may name files only inside the policy directory.

A policy can pull in other files (dictionary term lists, included fragments).
For the operator's own policy file that is configuration; for a policy sent
through the admin API it would be a way to read any file the gateway can read
(its terms show up in diffs). So an uploaded policy's file references must be
relative and stay inside the directory of the configured policy file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError
from gateway.policy.source import PolicyTooLarge, read_source

__all__ = ["check_file_references"]

#: keys whose string values name files: `file:` of a dictionary, and includes
_REFERENCE_KEYS = frozenset({"file", "include", "includes"})


def check_file_references(raw: bytes, base_dir: Path, source: str) -> None:
    """Raise ConfigError for a reference outside ``base_dir``; ``PolicyTooLarge`` for
    YAML past its bounds (read with the loader's bounded parser: this walk would
    otherwise expand an alias bomb)."""
    try:
        document = read_source(raw, source).data
    except PolicyTooLarge:
        raise
    except ConfigError:
        return  # not YAML, or not a mapping: the loader reports that precisely
    root = base_dir.resolve()
    for where, value in _references(document, ""):
        if not isinstance(value, str):
            # e.g. a `!!binary` path: the schema would coerce it to text past this check
            raise ConfigError(f"{source}: {where}: a file reference must be a plain text path")
        target = Path(value)
        if target.is_absolute() or not (root / target).resolve().is_relative_to(root):
            raise ConfigError(
                f"{source}: {where}: '{value}' is outside the policy directory; a policy "
                "sent through the admin API may only name files next to the policy file"
            )


def _references(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key in _REFERENCE_KEYS:
                values = value if isinstance(value, list) else [value]
                yield from ((where, v) for v in values if v is not None)
            else:
                yield from _references(value, where)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _references(item, f"{path}[{index}]")
