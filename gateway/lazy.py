"""Re-exports that load their module on first use, so a package ``__init__`` costs nothing.

A package such as ``gateway.detect`` offers short names (``from gateway.detect import
DetectionEngine``), but importing any of its modules runs the package ``__init__`` first:
an eager re-export there would make ``import gateway.detect.findings`` load Presidio. Each
package therefore names its exports in a ``TYPE_CHECKING`` block (for mypy and readers)
and hands the same table to ``lazy_exports``, whose module-level ``__getattr__`` imports
the defining module only when the name is first asked for.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, origins: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` for ``package``: ``origins`` maps each name to its defining module."""

    def __getattr__(name: str) -> Any:
        try:
            origin = origins[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(origin), name)
        # Cached on the package, so the next lookup is an ordinary attribute read.
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
