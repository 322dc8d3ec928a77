"""The query string of a forwarded request: scanned like the body, edited in place.

Query values reach the provider as surely as the body does, so every parameter
value is a segment, and so is every parameter name that is not a known one (a
``url`` segment: scanned, not editable, so a request the policy would edit there
is refused). Credentials (Gemini's ``key``, ``api_key``, ...) depend on credential
injection: with an injected key every credential parameter is stripped before
forwarding (``gateway.upstream.strip_query_credentials``) and is not scanned; without one the
caller's value goes upstream, so it is scanned (a ``credential`` segment) for
everything except ``SECRET_*`` entities, which are the caller's own provider key.
Structural parameters (``alt=sse``, ``api-version=2024-10-21``) are vocabulary,
not data: skipped while they look like vocabulary (a word, a version, a date),
scanned like any value otherwise. Parameters are addressed by position, and an
edit rewrites only its own parameter; the rest of the query is kept byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote_plus, unquote_to_bytes

from gateway.providers.dialect import KNOWN_QUERY_PARAMS, Segment, UninspectableContent

__all__ = [
    "CREDENTIAL_PARAMS",
    "STRUCTURAL_PARAMS",
    "decode_query_part",
    "query_segments",
    "rewrite_query",
]

#: parameters that carry a credential; lower-cased
CREDENTIAL_PARAMS = frozenset(
    {"key", "api_key", "api-key", "apikey", "access_token", "x-goog-api-key"}
)
#: parameters whose values are vocabulary (response format, API version, upload mode)
STRUCTURAL_PARAMS = frozenset(
    {"alt", "$alt", "api-version", "beta", "uploadtype", "upload_type", "$.xgafv", "prettyprint"}
)
#: what a structural value looks like: a date version (``2024-10-21-preview``) or a
#: short token without a run of three digits (``sse``, ``true``, ``2``, ``v1beta``)
_VOCABULARY = re.compile(r"\d{4}-\d{2}-\d{2}(?:-[A-Za-z]+)?|(?!.*\d{3})[A-Za-z0-9._:-]{0,40}")


def decode_query_part(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise UninspectableContent("the query string is not UTF-8 text") from None


def query_segments(query: bytes, *, credentials_forwarded: bool = False) -> list[Segment]:
    """The inspectable parts of ``query``; ``path`` is ``(name, position)``.

    ``credentials_forwarded``: no key is injected, so the caller's credential
    parameters reach the provider and are scanned (form ``credential``).
    """
    out: list[Segment] = []
    if not query:
        return out
    for position, raw in enumerate(query.split(b"&")):
        raw_name, sep, raw_value = raw.partition(b"=")
        name = decode_query_part(raw_name)
        lowered = name.lower()
        value = decode_query_part(raw_value)
        if lowered in CREDENTIAL_PARAMS:
            if credentials_forwarded and value:
                out.append(Segment((name, position), value, "credential"))
            continue
        if not sep:  # a bare flag: its name is what reaches the provider
            if name:
                out.append(Segment((name, position), name, "query"))
            continue
        if name and lowered not in KNOWN_QUERY_PARAMS:
            out.append(Segment((name, position), name, "url"))
        if lowered in STRUCTURAL_PARAMS and _VOCABULARY.fullmatch(value):
            continue
        if value:
            out.append(Segment((name, position), value, "query"))
    return out


def rewrite_query(query: bytes, edits: Mapping[int, str]) -> bytes:
    """``query`` with the values at the given positions replaced (form-encoded)."""
    parts = query.split(b"&")
    for position, text in edits.items():
        raw_name, sep, _ = parts[position].partition(b"=")
        value = quote_plus(text, safe="").encode("ascii")
        parts[position] = raw_name + b"=" + value if sep else value  # a bare flag: its name
    return b"&".join(parts)
