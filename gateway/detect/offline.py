"""Keep Presidio from reaching the network or downloading models.

Two things in a stock Presidio install can touch the network:

* ``EmailRecognizer.validate_result`` calls the module-level ``tldextract.extract``, whose
  shared ``TLDExtract`` instance downloads the Public Suffix List on first use (the default
  fetch has no timeout, so a firewalled gateway can hang on its first e-mail address). That
  instance reads ``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS`` when ``tldextract`` is *imported*, and
  ``import presidio_analyzer`` imports it, so the variable has to be set before then.
* ``AnalyzerEngine()`` without an NLP engine loads (and may try to download) a spaCy model.

This module must therefore be imported before anything imports ``presidio_analyzer``;
``gateway.detect`` does so first. ``configure_offline`` also repairs the shared extractor when
someone imported Presidio earlier.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

PSL_URLS_ENV = "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"
# An empty value means "no HTTP": tldextract falls back to the snapshot bundled in its wheel.
# An operator may still point the variable at a local file; setdefault keeps that choice.
os.environ.setdefault(PSL_URLS_ENV, "")

# tldextract and Presidio are imported where they are used, after the default above, so
# that this module (which ``gateway.detect`` imports first) costs nothing to import.
if TYPE_CHECKING:
    import tldextract
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

__all__ = ["NLP_LANGUAGES", "build_nlp_engine", "configure_offline", "offline_tld_extractor"]

#: Languages the NLP engine accepts. NoOp does no linguistic work, so this costs nothing.
NLP_LANGUAGES: tuple[str, ...] = ("en", "ko")


@cache
def offline_tld_extractor() -> tldextract.TLDExtract:
    """Return a warmed extractor that uses only the bundled suffix list.

    No URLs (no network), no cache directory (no disk writes, no file lock) and the bundled
    snapshot as the only source. The snapshot is parsed here, once, instead of on the first
    request that happens to contain an e-mail address.
    """
    import tldextract

    extractor = tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
    )
    extractor("warm-up.example.com")
    return extractor


def configure_offline() -> None:
    """Make the shared ``tldextract`` extractor offline too (idempotent).

    Our own e-mail recognizer uses ``offline_tld_extractor``; this protects any other code in
    the process that runs Presidio's stock ``EmailRecognizer``. If the operator named suffix
    list sources explicitly, they are left alone.
    """
    if os.environ.get(PSL_URLS_ENV, "").strip():
        return
    import tldextract

    shared = tldextract.tldextract.TLD_EXTRACTOR
    if shared.suffix_list_urls:
        shared.suffix_list_urls = ()


def build_nlp_engine(languages: tuple[str, ...] = NLP_LANGUAGES) -> NoOpNlpEngine:
    """Build a loaded NLP engine that needs no spaCy model.

    Every recognizer here is a pattern recognizer, so tokens and lemmas would only feed
    Presidio's lemma-based context enhancer, which we replace with a character window.
    """
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    engine = NoOpNlpEngine(
        models=[{"lang_code": lang, "model_name": "no-op"} for lang in languages]
    )
    engine.load()
    return engine
