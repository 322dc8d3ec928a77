"""Credentials that vendors publish as examples (``documented_examples.yaml``).

One table for every recognizer: a value in it is never a finding, whichever pattern
matched it, and ``haetae scan --explain`` says which vendor published it.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

__all__ = ["DOCUMENTED_EXAMPLES", "documented_vendor", "load_examples"]


def load_examples(text: str | None = None) -> dict[str, str]:
    """Value → vendor; ``text`` replaces the shipped file (tests)."""
    if text is None:
        text = resources.files(__package__).joinpath("documented_examples.yaml").read_text("utf-8")
    rows: list[dict[str, Any]] = yaml.safe_load(text) or []
    table: dict[str, str] = {}
    for row in rows:
        if set(row) != {"value", "vendor", "source"} or not all(row.values()):
            raise ValueError(f"documented_examples.yaml: needs value, vendor, source: {row}")
        table[str(row["value"])] = str(row["vendor"])
    return table


DOCUMENTED_EXAMPLES: dict[str, str] = load_examples()


def documented_vendor(value: str) -> str | None:
    """The vendor that publishes ``value`` as an example, None for any other value."""
    return DOCUMENTED_EXAMPLES.get(value)
