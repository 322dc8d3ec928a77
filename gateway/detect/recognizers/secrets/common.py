"""Regex fragments and value tests shared by the secret modules."""

from __future__ import annotations

import math
import re
from collections import Counter

from gateway.detect.recognizers.base import NOT_ALNUM_AFTER, NOT_ALNUM_BEFORE

__all__ = [
    "DEFAULT_SECRETS",
    "TOKEN_AFTER",
    "TOKEN_BEFORE",
    "after_keyword",
    "is_stand_in",
    "looks_like_placeholder",
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


#: Default and stand-in passwords: in every tutorial, so never a finding.
DEFAULT_SECRETS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "changeme",
        "change_me",
        "admin",
        "root",
        "guest",
        "test",
        "pw",
        "xxx",
        "null",
        "none",
        "letmein",
        "qwerty",
        "password1",
    }
)

# "mypassword", "your_password", "db-pass", "secret123": a password's name, not a password.
_NAMED_PASSWORD = re.compile(
    r"(?i)(?:my|your|the|some|db|app|user|admin|root|example|sample|dummy|test|fake|super)?"
    r"[-_]?(?:pass(?:word|wd)?|pwd|secret|pw)[-_]?(?:here|1|12|123|1234|12345)?"
)


def is_stand_in(value: str) -> bool:
    """A password that is written only to be replaced: a default, a template, a name.

    ``password``, ``changeme``, ``${DB_PASSWORD}``, ``$PGPASS``, ``%s``, ``{pw}``,
    ``****``, ``your_password``, ``<password>``.
    """
    return (
        not value
        or value.lower() in DEFAULT_SECRETS
        or value.startswith(("$", "{", "%s", "%(", "%{"))
        or _NAMED_PASSWORD.fullmatch(value) is not None
        or looks_like_placeholder(value)
    )


# Placeholder words count only between delimiters, where random base64url text almost never
# puts them; "EXAMPLE" is the AWS documentation convention; five equal characters in a row
# ("xxxxx", "00000") have a ~1e-5 chance in a real 50-character key. Template syntax
# (``<password>``, ``${DB_PASSWORD}``, ``{{ token }}``, ``%(key)s``) and elisions (``...``,
# ``***``) never occur in issued tokens.
_PLACEHOLDER = re.compile(
    r"(?i:(?:^|[-_./])(?:your|example|placeholder|dummy|fake|redacted|sample)(?:[-_./]|$)"
    r"|abcdef|123456|xxxx)|EXAMPLE|(.)\1{4}|\.\.\.|\*\*\*|\$\{|\{\{|%\(|<[^<>]*>|^\$[A-Z_]+$"
)


def looks_like_placeholder(token: str) -> bool:
    """Return True for documentation stand-ins such as ``sk-your-key-here-...``."""
    return _PLACEHOLDER.search(token) is not None
