"""Code hosting, package registry and issue-tracker tokens: all carry a vendor prefix."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.secrets.checksums import base62_crc32
from gateway.detect.recognizers.secrets.common import prefixed
from gateway.detect.recognizers.secrets.tokens import SecretRecognizer

__all__ = [
    "AtlassianTokenRecognizer",
    "DockerHubTokenRecognizer",
    "GitLabTokenRecognizer",
    "NpmTokenRecognizer",
    "PyPiTokenRecognizer",
]

_GITLAB_PREFIXES = (
    "glpat-",  # personal / project / group access token
    "gldt-",  # deploy token
    "glrt-",  # runner authentication token
    "glptt-",  # pipeline trigger token
    "glcbt-",  # CI/CD job token
    "gloas-",  # OAuth application secret
    "glimt-",  # incoming mail token
    "glft-",  # feed token
    "glsoat-",  # SCIM OAuth token
    "glagent-",  # Kubernetes agent token
    "glffct-",  # feature flags client token
)


class GitLabTokenRecognizer(SecretRecognizer):
    """GitLab tokens (``glpat-`` and siblings) and legacy runner registration tokens.

    GitLab 17+ "routable" tokens append ``.01.<suffix>``; the pattern keeps it in the span.
    """

    ENTITY = "SECRET_GITLAB_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "GitLab token",
            prefixed(
                "|".join(_GITLAB_PREFIXES),
                r"[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+){0,2}",
            ),
            0.95,
        ),
        Pattern(
            "GitLab runner registration token", prefixed("GR1348941", "[A-Za-z0-9_-]{20}"), 0.9
        ),
    ]
    MARKERS = (*_GITLAB_PREFIXES, "GR1348941")
    SPACE_FREE = True


class NpmTokenRecognizer(SecretRecognizer):
    """npm access token: ``npm_`` + 36 alphanumerics (the last 6 are a checksum)."""

    ENTITY = "SECRET_NPM_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("npm token", prefixed("npm_", "[A-Za-z0-9]{36}"), 0.95)
    ]
    MARKERS = ("npm_",)
    SPACE_FREE = True
    DROPPED_BECAUSE = "checksum invalid (CRC32 tail): a typo or an invented token"

    def rescore(self, value: str, score: float) -> float | None:
        """The checksum decides: a typo or an invented token is not a finding."""
        return 1.0 if base62_crc32(value) else None


class PyPiTokenRecognizer(SecretRecognizer):
    """PyPI / TestPyPI upload token: a macaroon whose base64 starts with the index host."""

    ENTITY = "SECRET_PYPI_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "PyPI token",
            prefixed("pypi-AgEIcHlwaS5vcmc|pypi-AgENdGVzdC5weXBpLm9yZw", "[A-Za-z0-9_-]{50,}"),
            1.0,
        )
    ]
    MARKERS = ("pypi-AgE",)
    SPACE_FREE = True


class DockerHubTokenRecognizer(SecretRecognizer):
    """Docker Hub personal (``dckr_pat_``) and organisation (``dckr_oat_``) access tokens."""

    ENTITY = "SECRET_DOCKERHUB_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Docker Hub token", prefixed("dckr_pat_|dckr_oat_", "[A-Za-z0-9_-]{24,}"), 0.95)
    ]
    MARKERS = ("dckr_pat_", "dckr_oat_")
    SPACE_FREE = True


class AtlassianTokenRecognizer(SecretRecognizer):
    """Atlassian (Jira/Confluence/Bitbucket) API token: ``ATATT3`` + ~180 characters."""

    ENTITY = "SECRET_ATLASSIAN_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Atlassian API token", prefixed("ATATT3|ATCTT3", "[A-Za-z0-9_=-]{120,}"), 0.95)
    ]
    MARKERS = ("ATATT3", "ATCTT3")
    SPACE_FREE = True
