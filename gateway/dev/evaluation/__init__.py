"""Labelled evaluation corpus and scorer: Haetae's engine against out-of-the-box Presidio."""

from gateway.dev.evaluation.corpus import (
    DEFAULT_SEED,
    ENTITIES,
    STRUCTURED_ENTITIES,
    Sample,
    Span,
    build_corpus,
    corpus_digest,
    write_corpus,
)
from gateway.dev.evaluation.score import (
    NamedDetector,
    Report,
    evaluate,
    haetae_detector,
    presidio_baseline,
)

__all__ = [
    "DEFAULT_SEED",
    "ENTITIES",
    "STRUCTURED_ENTITIES",
    "NamedDetector",
    "Report",
    "Sample",
    "Span",
    "build_corpus",
    "corpus_digest",
    "evaluate",
    "haetae_detector",
    "presidio_baseline",
    "write_corpus",
]
