"""The query string of a forwarded request: scanned like the body, edited in place.

Query values reach the provider as surely as the body does, so every parameter
value is a segment, except two kinds. Credentials (Gemini's ``key``, ...) are the
business of credential injection and stripping: they are never scanned, flagged
or logged. Structural parameters (``alt=sse``, ``api-version=2024-10-21``) are
vocabulary, not data: skipped while they look like vocabulary (a short token),
scanned like any value otherwise. Parameters are addressed by position, and an
edit rewrites only its own parameter; the rest of the query is kept byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote_plus, unquote_to_bytes

from gateway.providers.dialect import Segment, UninspectableContent

__all__ = ["CREDENTIAL_PARAMS", "STRUCTURAL_PARAMS", "query_segments", "rewrite_query"]

#: parameters that carry a credential; lower-cased
CREDENTIAL_PARAMS = frozenset(
    {"key", "api_key", "api-key", "apikey", "access_token", "x-goog-api-key"}
)
#: parameters whose values are vocabulary (response format, API version, upload mode)
STRUCTURAL_PARAMS = frozenset(
    {"alt", "$alt", "api-version", "beta", "uploadtype", "upload_type", "$.xgafv", "prettyprint"}
)
_VOCABULARY = re.compile(r"[A-Za-z0-9._:-]{0,40}")


def _decode(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise UninspectableContent("the query string is not UTF-8 text") from None


def query_segments(query: bytes) -> list[Segment]:
    """One segment per inspectable parameter value; ``path`` is ``(name, position)``."""
    out: list[Segment] = []
    if not query:
        return out
    for position, raw in enumerate(query.split(b"&")):
        raw_name, sep, raw_value = raw.partition(b"=")
        name = _decode(raw_name)
        if name.lower() in CREDENTIAL_PARAMS:
            continue
        value = _decode(raw_value)
        if name.lower() in STRUCTURAL_PARAMS and _VOCABULARY.fullmatch(value):
            continue
        if not sep:  # a bare flag: its name is what reaches the provider
            value = name
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
