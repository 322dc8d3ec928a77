"""Detection of personal data and secrets in prompt text (Presidio, fully offline)."""

# First: sets TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS before anything imports Presidio/tldextract.
from gateway.detect import offline  # noqa: F401

# isort: split
from gateway.detect.engine import SUPPORTED_ENTITIES, DetectionEngine
from gateway.detect.findings import Finding

__all__ = ["SUPPORTED_ENTITIES", "DetectionEngine", "Finding"]
