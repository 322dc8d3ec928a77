"""Regex fragments and value tests shared by the secret modules."""

from __future__ import annotations

import math
from collections import Counter

from gateway.detect.recognizers.base import NOT_ALNUM_AFTER, NOT_ALNUM_BEFORE

__all__ = [
    "TOKEN_AFTER",
    "TOKEN_BEFORE",
    "after_keyword",
    "prefixed",
    "shannon_entropy",
    "variants",
]

# Token alphabets that include "-" and "_" need those in the look-arounds too.
TOKEN_BEFORE = r"(?<![A-Za-z0-9_-])"
TOKEN_AFTER = r"(?![A-Za-z0-9_-])"


def prefixed(prefixes: str, body: str) -> str:
    """Return ``prefixes`` + ``body`` bounded so that the token cannot run on or start mid-word.

    Only ASCII is excluded at the edges, so a Korean particle may touch the token.
    """
    return f"{TOKEN_BEFORE}(?:{prefixes})(?:{body}){TOKEN_AFTER}"


def after_keyword(keywords: str, value: str, gap: int = 40) -> str:
    """Return a pattern for ``value`` within ``gap`` characters after a (case-free) keyword.

    Loose formats (32 hex characters, a UUID) are secrets only next to the vendor's name;
    ``\\K`` makes the reported span the value alone, so the key name stays readable.
    """
    return rf"(?i:{keywords})[^\n\x00]{{0,{gap}}}?{NOT_ALNUM_BEFORE}\K(?:{value}){NOT_ALNUM_AFTER}"


def variants(*words: str) -> tuple[str, ...]:
    """Return each word in lower, Capitalised and UPPER case, for the case-sensitive gate."""
    out: dict[str, None] = {}
    for word in words:
        for form in (word.lower(), word[:1].upper() + word[1:].lower(), word.upper()):
            out[form] = None
    return tuple(out)


def shannon_entropy(value: str) -> float:
    """Return the Shannon entropy of ``value`` in bits per character.

    Random keys score 4-6 over base64/hex alphabets; words and identifiers score ~2.5-3.5.
    """
    if not value:
        return 0.0
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in Counter(value).values())
