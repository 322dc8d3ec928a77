"""Labelled evaluation corpus and scorer: Haetae's engine against out-of-the-box Presidio."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
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

_CORPUS = "gateway.dev.evaluation.corpus"
_SCORE = "gateway.dev.evaluation.score"
__getattr__ = lazy_exports(
    __name__,
    {
        "DEFAULT_SEED": _CORPUS,
        "ENTITIES": _CORPUS,
        "STRUCTURED_ENTITIES": _CORPUS,
        "Sample": _CORPUS,
        "Span": _CORPUS,
        "build_corpus": _CORPUS,
        "corpus_digest": _CORPUS,
        "write_corpus": _CORPUS,
        "NamedDetector": _SCORE,
        "Report": _SCORE,
        "evaluate": _SCORE,
        "haetae_detector": _SCORE,
        "presidio_baseline": _SCORE,
    },
)
