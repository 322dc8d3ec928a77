"""Credentials in a URL's user information (``scheme://user:password@host``).

Two entities: ``SECRET_DB_URL`` for database and broker schemes (``postgres://``,
``mongodb+srv://``, ``redis://:pw@`` …) and ``SECRET_URL_CREDENTIALS`` for every other
scheme (``https://``, ``ftp://``, ``smtp://``, ``git+https://`` …), including a token
written as the user name (``https://<token>@github.com/org/repo``). Either way the span
is the password (or the token) alone: a redaction keeps the scheme, the user and the
host readable (``postgres://app:<SECRET_DB_URL>@db.internal/crm``).

Stand-ins are not findings: ``user:password@``, ``:****@``, ``${DB_PASS}``, ``%s``,
``your_password`` (``common.is_stand_in``). A user name alone is a token only when it
looks random (``deploy@ci.example.com`` and ``git@github.com`` are names).
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.recognizers.secrets.bare import claimed_by_vendor, looks_random
from gateway.detect.recognizers.secrets.common import is_stand_in
from gateway.detect.recognizers.secrets.tokens import SecretRecognizer

__all__ = ["DB_SCHEMES", "DatabaseUrlRecognizer", "UrlCredentialRecognizer"]

DB_SCHEMES = (
    r"postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver"
    r"|oracle|cockroachdb|clickhouse|couchdb|neo4j(?:\+s)?"
)
# User information ends at the authority's last "@"; the host must follow it.
_USER = r"[^\s:/@\x00\"'<>]{0,128}"
_PASSWORD = r"[^\s/@\x00\"'<>]{1,256}+"
_HOST = r"(?=@[A-Za-z0-9\[][A-Za-z0-9._~%!$&*+,;=:\[\]-]{0,255})"
_ANY_SCHEME = r"[A-Za-z][A-Za-z0-9+.-]{1,30}"


class DatabaseUrlRecognizer(SecretRecognizer):
    """Database or broker URL with an inline password; the span is the password."""

    ENTITY = "SECRET_DB_URL"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Database URL password",
            rf"(?<![A-Za-z0-9+.-])(?i:{DB_SCHEMES})(?:\+[A-Za-z0-9]+)?://{_USER}:\K{_PASSWORD}"
            + _HOST,
            0.9,
        )
    ]
    MARKERS = ("://",)
    SPACE_FREE = True
    DROPPED_BECAUSE = "placeholder or default password"

    def rescore(self, value: str, score: float) -> float | None:
        """Drop stand-ins (``password``, ``${DB_PASSWORD}``, ``****``)."""
        return None if is_stand_in(value) else score


class UrlCredentialRecognizer(SecretRecognizer):
    """A password, or a token as the user name, in any other URL; the span is the secret."""

    ENTITY = "SECRET_URL_CREDENTIALS"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "URL password",
            rf"(?<![A-Za-z0-9+.-])(?!(?i:{DB_SCHEMES})(?:\+[A-Za-z0-9]+)?://){_ANY_SCHEME}://"
            rf"{_USER}:\K{_PASSWORD}{_HOST}",
            0.85,
        ),
        Pattern(
            "URL token as user name",
            rf"(?<![A-Za-z0-9+.-]){_ANY_SCHEME}://\K[A-Za-z0-9_.~+=-]{{16,256}}+{_HOST}",
            0.8,
        ),
    ]
    MARKERS = ("://",)
    SPACE_FREE = True
    DROPPED_BECAUSE = "placeholder, default password, or a vendor token its recognizer decides"

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """As the base class; a user name (right after ``://``) must look random."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [
            r
            for r in results
            if text[max(0, r.start - 3) : r.start] != "://" or looks_random(text[r.start : r.end])
        ]

    def rescore(self, value: str, score: float) -> float | None:
        """Drop stand-ins (``user:password@``, ``:****@``, ``${PASS}``) and vendor tokens.

        ``https://x-access-token:ghs_…@github.com`` is reported once, as the GitHub
        token it is, by the recognizer whose checksum decides.
        """
        return None if is_stand_in(value) or claimed_by_vendor(value) else score
