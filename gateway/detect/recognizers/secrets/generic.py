"""Vendor-neutral credentials: JWTs, database URLs, password and API-key assignments.

The loose kinds (password, generic API key) defer to the vendor kinds: a value that holds
another kind's marker (``ghp_``, ``sk-``, ``eyJ``...) is left to that kind, so one secret is
reported once. They score 0.6 (reported, but below the vendor kinds) and rise with the
value's strength.

Well-known default passwords (``changeme``, ``admin``, ``password1``...) are *not* reported:
they are in every tutorial and README, so flagging them would mostly block documentation,
and they reveal nothing an attacker does not already try first.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.keynames import key_pattern
from gateway.detect.recognizers.secrets import prefilter, table
from gateway.detect.recognizers.secrets.common import DEFAULT_SECRETS, shannon_entropy, variants
from gateway.detect.recognizers.secrets.tokens import SecretRecognizer

__all__ = [
    "GenericApiKeyRecognizer",
    "JwtRecognizer",
    "PasswordRecognizer",
]


class JwtRecognizer(SecretRecognizer):
    """JSON Web Token: three base64url parts whose header decodes to JSON with ``alg``.

    An unsigned token (``"alg": "none"``, or an empty signature part) is not reported: its
    signature is what makes a JWT a bearer credential, and without one it proves nothing
    that anyone could not write by hand (a server that accepts ``none`` is forgeable with
    or without this token). Its claims may still be personal data: the payload is a base64
    blob, decoded and scanned like any other (``detect/blobs.py``), so an e-mail address
    or a name inside is reported as its own type.
    """

    ENTITY = "SECRET_JWT"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "JWT",
            r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
            r"(?![A-Za-z0-9_.-])",
            0.9,
        )
    ]
    MARKERS = ("eyJ",)
    SPACE_FREE = True
    CHECK_PLACEHOLDER = False  # base64 of JSON has runs and digits by construction
    _JWT_IO_SIGNATURE = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"  # jwt.io's sample

    def invalidate_result(self, pattern_text: str) -> bool:
        """Drop the jwt.io sample, unsigned tokens and anything that is not a JOSE token."""
        return self._invalid_reason(pattern_text) is not None

    def _invalid_reason(self, value: str) -> str | None:
        if value.endswith(self._JWT_IO_SIGNATURE):
            return "documented example (jwt.io)"
        header_part, payload_part, signature = value.split(".", 2)
        header = _json_part(header_part)
        if not (isinstance(header, dict) and "alg" in header) or _json_part(payload_part) is None:
            return "not a JOSE header with JSON claims"
        if not signature or str(header["alg"]).strip().lower() == "none":
            return "unsigned (alg none or no signature): no secret; its claims are scanned"
        return None


def _json_part(part: str) -> object:
    """Decode one base64url JWT part as JSON; None when it is not."""
    try:
        decoded: object = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error):
        return None
    return decoded


# Printable ASCII except quotes, separators and brackets: Hangul after a value ends it.
_VALUE = r"[!#$%&*+\-./0-9:=?@A-Z\\^_a-z|~]"
_ASSIGN = r"[\"']?\s{0,3}(?::=|=>|=|:)\s{0,3}[\"']?"
_CODE_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|(?i:str|string|none|null|true|false)")
_LOOSE_WORDS = (
    *variants("password", "passwd", "passphrase", "pwd", "pw"),
    "비밀번호",
    "비번",
    "패스워드",
    "암호",
)


class PasswordRecognizer(SecretRecognizer):
    """Password assignments in code, config and prose (``password=``, ``비밀번호: ...``).

    Scores: letters only 0.45 (not reported at the default 0.5: mostly variable names and
    words) unless the case is mixed like a generated password (``swrbahQbyirli``),
    otherwise 0.6, and 0.8 when the value mixes three character classes or is
    high-entropy. Code references (``os.environ``) and defaults are dropped.
    """

    ENTITY = "SECRET_PASSWORD"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Password assignment",
            r"(?i:passw(?:or)?d|passphrase|(?<![A-Za-z])pwd?)"
            + _ASSIGN
            + rf"\K{_VALUE}{{6,64}}+(?![(\[{{<])",
            0.6,
        ),
        Pattern(
            "Password in prose",
            r"(?i:password|passphrase)\s+is\s+[\"']?\K" + rf"{_VALUE}{{6,64}}+(?![(\[{{<])",
            0.6,
        ),
        Pattern(
            "Korean password",
            r"(?:비밀번호|비번|패스워드|암호)(?:는|은|가|이|를|을|도)?\s{0,3}(?:[:=]|는|은)?\s{0,3}"
            + rf"[\"']?\K{_VALUE}{{6,64}}+",
            0.6,
        ),
    ]
    KEYWORDS = _LOOSE_WORDS
    WINDOW = 120
    DROPPED_BECAUSE = "a default password, a code reference, or left to a vendor kind"

    def rescore(self, value: str, score: float) -> float | None:
        """Grade the value's strength; drop code references and well-known defaults."""
        if value.lower() in DEFAULT_SECRETS or _CODE_PATH.fullmatch(value):
            return None
        if _defers(value):
            return None
        if value.isalpha():
            return score if _random_letters(value) else 0.45
        classes = sum(
            (
                any(c.islower() for c in value),
                any(c.isupper() for c in value),
                any(c.isdigit() for c in value),
                any(not c.isalnum() for c in value),
            )
        )
        if (classes >= 3 and len(value) >= 8) or shannon_entropy(value) >= 3.5:
            return 0.8
        return score


# Identifier parts that make a mixed-case value a name, not a password (``userPassword``).
_NAME_PARTS = re.compile(r"(?i:pass|pwd|secret|word|key|token|value|input|field|name|user)")


def _random_letters(value: str) -> bool:
    """Letters in mixed case beyond a capital initial, and not an identifier's name parts.

    Words, Title-case words and ``ALLCAPS`` stay weak; ``KdOgqxUEwG`` is a generated value.
    """
    return (
        any(c.islower() for c in value)
        and any(c.isupper() for c in value[1:])
        and _NAME_PARTS.search(value) is None
    )


# In any case and spacing (``API Key``, ``api-key``, ``apiKey``): ``keynames.key_pattern``.
_API_KEY_NAMES = key_pattern(
    "api key",
    "api secret",
    "access token",
    "auth token",
    "secret key",
    "client secret",
    "app secret",
    "private token",
    "token",
    "secret",
)
_AWS_SECRET_NAME = key_pattern("secret access key")  # SECRET_AWS_SECRET_KEY's
_KEY_VALUE = r"[A-Za-z0-9_+/=.~-]"
_IDENTIFIER_PART = re.compile(r"[A-Za-z]{1,12}|[0-9]{1,12}")
# Gate words match in any case; "api" opens the gate for "API  Key" spelt with spaces.
_GENERIC_WORDS = (
    *variants("api", "api_key", "apikey", "api-key", "api.key", "token", "secret", "bearer"),
    "ApiKey",
    "apiKey",
    "accessToken",
    "authToken",
    "clientSecret",
)


class GenericApiKeyRecognizer(SecretRecognizer):
    """High-entropy value assigned to an ``api_key``/``token``/``secret``-like name.

    Values must be 20+ characters with letters and digits and at least 3.5 bits/char of
    Shannon entropy; snake_case and dotted identifiers are dropped.
    """

    ENTITY = "SECRET_GENERIC_API_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "API key assignment",
            rf"{_API_KEY_NAMES}[A-Za-z0-9_.-]{{0,20}}?(?<!{_AWS_SECRET_NAME})"
            + _ASSIGN
            + rf"\K{_KEY_VALUE}{{20,200}}+",
            0.6,
        ),
        Pattern("Bearer token", rf"(?i:bearer)\s+\K{_KEY_VALUE}{{20,250}}+", 0.6),
    ]
    KEYWORDS = _GENERIC_WORDS
    WINDOW = 300
    DROPPED_BECAUSE = "not random enough (an identifier or a word), or left to a vendor kind"

    def rescore(self, value: str, score: float) -> float | None:
        """Keep random-looking values that no vendor kind claims."""
        if _defers(value) or not any(c.isdigit() for c in value):
            return None
        if not any(c.isalpha() for c in value):
            return None
        if all(_IDENTIFIER_PART.fullmatch(part) for part in re.split(r"[_.-]", value) if part):
            return None
        entropy = shannon_entropy(value)
        if entropy < 3.5:
            return None
        return 0.7 if entropy >= 4.5 and len(value) >= 32 else score


_LOOSE = frozenset(_LOOSE_WORDS + _GENERIC_WORDS)


def _defers(value: str) -> bool:
    """True when another secret kind reports the value: its marker occurs in it, or a row
    of the credential table matches in it (a table literal alone proves nothing)."""
    return bool(prefilter.find_words(value) - _LOOSE - table.LITERALS) or table.claims(value)
