"""Detection of personal data and secrets in prompt text (Presidio, fully offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

# First: sets TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS before any module of this package imports
# Presidio/tldextract. It imports neither itself, so ``gateway.detect.findings`` stays light.
from gateway.detect import offline  # noqa: F401

# isort: split
from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.detect.engine import SUPPORTED_ENTITIES, DetectionEngine
    from gateway.detect.findings import Finding

__all__ = ["SUPPORTED_ENTITIES", "DetectionEngine", "Finding"]

__getattr__ = lazy_exports(
    __name__,
    {
        "SUPPORTED_ENTITIES": "gateway.detect.engine",
        "DetectionEngine": "gateway.detect.engine",
        "Finding": "gateway.detect.findings",
    },
)
