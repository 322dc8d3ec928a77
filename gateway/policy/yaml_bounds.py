"""A YAML loader that refuses documents too big to be policies, while it composes them.

A policy arrives from people who may not be friendly (the admin API), and from
files and Redis. YAML anchors and aliases let 588 bytes stand for a billion
nodes (the "billion laughs"): PyYAML composes them cheaply as shared nodes,
but everything that walks the data afterwards — the schema, the hash, the
compiler — walks the expansion and never returns. So the bounds are enforced
inside composition, node by node, before any of that runs:

- ``max_bytes``: the document's size;
- ``max_depth``: nesting, counted through aliases (an alias of a deep node is deep);
- ``max_aliases``: how many ``*alias`` references the document makes;
- ``max_nodes``: the node count of the document *with aliases expanded*,
  computed from each node's children, so measuring a bomb costs as little as
  parsing it;
- ``max_seconds``: a deadline checked at every node, so a slow parse stops by
  itself — nothing is left running on a thread after the refusal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["BoundedLoader", "YamlLimits", "YamlTooLarge"]


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """The defaults leave any real policy far inside (the shipped ones: < 2,000 nodes)."""

    max_bytes: int = 1024 * 1024
    max_depth: int = 32
    max_aliases: int = 1_000
    max_nodes: int = 200_000
    max_seconds: float = 2.0


class YamlTooLarge(yaml.YAMLError):
    """A bound of ``YamlLimits`` was crossed; the message names which, and the limit."""


class BoundedLoader(yaml.SafeLoader):
    """``SafeLoader`` whose composer counts as it goes (see the module docstring)."""

    def __init__(self, stream: bytes, limits: YamlLimits) -> None:
        if len(stream) > limits.max_bytes:
            raise YamlTooLarge(
                f"{len(stream)} bytes is more than the {limits.max_bytes} bytes a policy may have"
            )
        super().__init__(stream)
        self._limits = limits
        self._deadline = time.monotonic() + limits.max_seconds
        self._aliases = 0
        self._open = 0  # nodes being composed: the depth so far, before aliases
        # id(node) → (expanded node count, expanded depth) of every finished node
        self._sizes: dict[int, tuple[int, int]] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        if time.monotonic() > self._deadline:
            raise YamlTooLarge(f"parsing took longer than {self._limits.max_seconds:g} s; refused")
        alias = self.check_event(yaml.AliasEvent)
        self._open += 1
        try:
            if self._open > self._limits.max_depth:  # before the parser's own recursion runs out
                raise YamlTooLarge(f"nested deeper than {self._limits.max_depth} levels; refused")
            node = super().compose_node(parent, index)
        finally:
            self._open -= 1
        if node is None:
            return node
        if alias:
            self._aliases += 1
            if self._aliases > self._limits.max_aliases:
                raise YamlTooLarge(f"more than {self._limits.max_aliases} aliases (*name); refused")
            if id(node) not in self._sizes:  # the anchored node is still being composed
                raise YamlTooLarge("an alias refers to a node that contains it; refused")
            return node
        self._sizes[id(node)] = self._measure(node)
        return node

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        count, depth = 1, 0
        for child in children:
            child_count, child_depth = self._sizes.get(id(child), (1, 0))
            count += child_count
            depth = max(depth, child_depth)
        depth += 1
        if count > self._limits.max_nodes:
            raise YamlTooLarge(
                f"aliases expand the document to more than {self._limits.max_nodes} nodes "
                "(an alias bomb?); refused"
            )
        if depth > self._limits.max_depth:
            raise YamlTooLarge(f"nested deeper than {self._limits.max_depth} levels; refused")
        return count, depth
