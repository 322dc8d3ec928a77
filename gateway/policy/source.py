"""Policy files as read: the data, and the line where every key and item starts.

Errors found later (by pydantic, by the compiler) carry a key path such as
``("rules", 2, "when", "entities")``; ``SourceFile.where`` turns it into
``policies/x.yaml:14: rules[2] (rule 'no-rrn').when.entities``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.errors import ConfigError
from gateway.policy.yaml_bounds import BoundedLoader, YamlLimits, YamlTooLarge

__all__ = ["KeyPath", "PolicyError", "PolicyTooLarge", "SourceFile", "read_source"]

KeyPath = tuple[str | int, ...]


class PolicyTooLarge(ConfigError):
    """The YAML crossed a bound of ``YamlLimits`` (size, depth, aliases, parse time)."""


class PolicyError(ConfigError):
    """A policy problem at a key path; the loader adds the file and line."""

    def __init__(self, message: str, path: KeyPath = ()) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True, slots=True)
class SourceFile:
    name: str
    raw: bytes
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)  # key path → 1-based line

    def line(self, path: Sequence[str | int]) -> int | None:
        """The line of the deepest part of ``path`` present in the file."""
        found: KeyPath = ()
        line = self.lines.get(())
        for part in path:
            candidate = (*found, part)
            if candidate in self.lines:
                found = candidate
                line = self.lines[candidate]
        return line

    def where(self, path: Sequence[str | int]) -> str:
        line = self.line(path)
        location = f"{self.name}:{line}" if line is not None else self.name
        return f"{location}: {self.key(path)}" if path else location

    def key(self, path: Sequence[str | int]) -> str:
        """``rules[2] (rule 'x').when`` for a path; only the parts the file has."""
        text = ""
        node = self.data
        section = ""
        for part in path:
            if isinstance(part, int):
                text += f"[{part}]"
                if isinstance(node, list) and 0 <= part < len(node):
                    node = node[part]
                    if isinstance(node, dict) and isinstance(node.get("id"), str):
                        kind = "limit" if section == "limits" else "rule"
                        text += f" ({kind} '{node['id']}')"
                else:
                    node = None
            else:
                text += f".{part}" if text else str(part)
                node = node.get(part) if isinstance(node, dict) else None
                section = part
        return text

    def describe(self, exc: ValidationError) -> str:
        """One line per problem: file, line, key, and what is wrong, in plain words.

        A key that accepts several shapes (``entities``: a list or a mapping)
        gets one line: the deepest problem if the value had a shape, else the
        shapes it may take.
        """
        problems: dict[KeyPath, list[str]] = {}
        for error in exc.errors():
            path = self._known(tuple(p for p in error["loc"] if isinstance(p, str | int)))
            if error["type"] == "extra_forbidden":
                message = "unknown key (check its spelling, or see `haetae policy schema`)"
            else:
                message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "string_type" and isinstance(error.get("input"), bool):
                message += " (YAML reads unquoted yes/no/on/off/NO as true/false: quote it)"
            problems.setdefault(path, []).append(message)
        lines: list[str] = []
        for path, messages in problems.items():
            if any(other[: len(path)] == path and other != path for other in problems):
                continue  # a deeper problem inside this value says more
            if len(messages) > 1 and all(m.startswith("Input should be a valid") for m in messages):
                shapes = " or ".join(
                    m.removeprefix("Input should be a valid ").split(",")[0] for m in messages
                )
                messages = [f"should be a {shapes}"]
            lines.extend(f"{self.where(path)}: {message}" for message in dict.fromkeys(messages))
        return "\n".join(lines)

    def _known(self, path: KeyPath) -> KeyPath:
        # pydantic adds union-member tags ("list[str]") that are not keys of the file
        kept: KeyPath = ()
        for part in path:
            if (*kept, part) in self.lines:
                kept = (*kept, part)
        return kept


class _PolicyLoader(BoundedLoader):
    """Bounded YAML without binary values: a policy holds text, and bytes would reach
    the schema as text by another route than the one the checks read."""


def _refuse_binary(loader: yaml.SafeLoader, node: yaml.Node) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, "binary values (!!binary) are not allowed in a policy", node.start_mark
    )


_PolicyLoader.add_constructor("tag:yaml.org,2002:binary", _refuse_binary)


def read_source(raw: bytes, name: str, limits: YamlLimits | None = None) -> SourceFile:
    """Parse YAML within ``limits``, remembering where each key and list item begins."""
    try:
        loader = _PolicyLoader(raw, limits or YamlLimits())
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except YamlTooLarge as exc:
        raise PolicyTooLarge(f"{name}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f"{name}:{mark.line + 1}" if mark is not None else name
        raise ConfigError(f"{at}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: a policy file is a mapping of keys (policy:, rules:, …)")
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines, set())
    return SourceFile(name, raw, data, lines)


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], seen: set[int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen:  # an alias of a node already walked
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (*path, key_node.value)
                lines[key] = key_node.start_mark.line + 1
                _walk(value_node, key, lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, seen)
