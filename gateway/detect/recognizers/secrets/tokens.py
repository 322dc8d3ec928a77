"""API keys, access tokens and private keys, one small class per kind.

Prefixed tokens are unambiguous, so they score 0.9-1.0; what goes wrong in practice is
documentation and tutorial text, hence an exact allow-list per kind plus a generic placeholder
test (``EXAMPLE``, ``-your-``, ``xxxxx`` runs). Patterns are case-sensitive (Presidio's
default flags include IGNORECASE, which would let ``akia...`` through).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, cast

import regex
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.keynames import key_pattern
from gateway.detect.recognizers.base import NOT_ALNUM_AFTER, NOT_ALNUM_BEFORE, MarkerGate
from gateway.detect.recognizers.secrets import prefilter
from gateway.detect.recognizers.secrets.checksums import base62_crc32
from gateway.detect.recognizers.secrets.common import TOKEN_AFTER as _NOT_TOKEN_AFTER
from gateway.detect.recognizers.secrets.common import TOKEN_BEFORE as _NOT_TOKEN_BEFORE
from gateway.detect.recognizers.secrets.common import looks_like_placeholder
from gateway.detect.recognizers.secrets.documented import documented_vendor
from gateway.detect.rejections import is_collecting, note_rejected

__all__ = [
    "AnthropicKeyRecognizer",
    "AwsAccessKeyRecognizer",
    "AwsSecretKeyRecognizer",
    "GitHubTokenRecognizer",
    "GoogleApiKeyRecognizer",
    "OpenAiKeyRecognizer",
    "PrivateKeyRecognizer",
    "SecretRecognizer",
    "SlackTokenRecognizer",
    "looks_like_placeholder",
]


class SecretRecognizer(MarkerGate):
    """Base for one secret kind: subclasses only declare constants.

    ``ENTITY`` the entity name; ``PATTERNS`` the regexes and their scores; ``MARKERS``
    literal prefixes, one of which every match contains (cheap pre-filter, exact case); ``KEYWORDS``
    gate words, matched in any case, for kinds without such a literal (vendor names next to a
    loose value): when set, the patterns run whenever one of them is in the text, and with
    ``WINDOW`` (every match starts at a keyword and is at most that long) anchored at each
    keyword occurrence only;
    ``ALLOW_LIST`` exact values that are published examples; ``CHECK_PLACEHOLDER`` whether
    to apply the generic placeholder test.

    Both ``MARKERS`` and ``KEYWORDS`` go into the shared Aho–Corasick automaton
    (``prefilter``), so a text holding none of them costs one pass for all kinds together.
    """

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[Pattern]]
    CONTEXT: ClassVar[list[str]] = []
    KEYWORDS: ClassVar[tuple[str, ...]] = ()
    WINDOW: ClassVar[int] = 0
    ALLOW_LIST: ClassVar[frozenset[str]] = frozenset()
    CHECK_PLACEHOLDER: ClassVar[bool] = True
    #: what ``haetae scan --explain`` says when ``rescore`` drops a match
    DROPPED_BECAUSE: ClassVar[str] = "too weak for this kind, or left to a more specific kind"
    _GATE: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._GATE = frozenset(cls.MARKERS + cls.KEYWORDS)
        prefilter.register(cls.MARKERS)
        prefilter.register(cls.KEYWORDS, case_sensitive=False)

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            patterns=self.PATTERNS,
            context=list(self.CONTEXT),
            supported_language=supported_language,
            global_regex_flags=0,
        )
        # Compile now: the engine's warm-up text does not hold every kind's marker.
        no_flags: Any = 0  # Presidio annotates both attributes as None
        self._compiled: list[tuple[Pattern, Any]] = []
        for pattern in self.PATTERNS:
            if pattern.compiled_regex is None or pattern.compiled_with_flags != 0:
                pattern.compiled_regex = regex.compile(pattern.regex, flags=0)
                pattern.compiled_with_flags = no_flags
            self._compiled.append((pattern, pattern.compiled_regex))

    @property
    def gate_words(self) -> frozenset[str] | None:
        """The prefilter words one of which a text must hold for this kind to run; None:
        no gate, it always runs (``dispatch.SecretKinds`` skips the kind on this)."""
        return self._GATE or None

    def may_match(self, text: str) -> bool:
        """Whether one of this kind's words occurs (``detect/gates.py``); declared here
        because ``analyze`` is, so a kind registered on its own (not behind
        ``dispatch.SecretKinds``) is skipped on texts without its words too."""
        return not self._GATE or not self._GATE.isdisjoint(prefilter.words_present(text))

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Run the patterns only when the shared automaton saw one of this kind's words."""
        hits = prefilter.words_present(text)
        if self._GATE and self._GATE.isdisjoint(hits):
            return []
        if self.KEYWORDS and self.WINDOW:
            results = self._analyze_windows(text, hits, entities, nlp_artifacts, regex_flags)
        elif self.KEYWORDS:
            results = PatternRecognizer.analyze(self, text, entities, nlp_artifacts, regex_flags)
        else:
            results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        kept = []
        for result in results:
            score = self.rescore(text[result.start : result.end], result.score)
            if score is not None:
                result.score = score
                kept.append(result)
        if is_collecting():
            self._note_dropped(text, {(r.start, r.end) for r in kept})
        return kept

    def invalidate_result(self, pattern_text: str) -> bool:
        """Drop allow-listed, documented and placeholder values."""
        return self._invalid_reason(pattern_text) is not None

    def _invalid_reason(self, value: str) -> str | None:
        vendor = documented_vendor(value)
        if vendor is not None:
            return f"documented example ({vendor})"
        if value in self.ALLOW_LIST:
            return "documented example"
        if self.CHECK_PLACEHOLDER and looks_like_placeholder(value):
            return "placeholder"
        return None

    def _note_dropped(self, text: str, kept: set[tuple[int, int]]) -> None:
        """Explain mode: say why each pattern match that was not kept was dropped."""
        name = type(self).__name__
        for _, compiled in self._compiled:
            for found in compiled.finditer(text):
                span = found.span()
                if span in kept or span[0] == span[1]:
                    continue
                value = found.group()
                reason = self._invalid_reason(value)
                if reason is None and self.validate_result(value) is False:
                    reason = "checksum or structure invalid"
                if reason is None and self.rescore(value, 0.5) is None:
                    reason = self.DROPPED_BECAUSE
                if reason is not None:
                    note_rejected(self.ENTITY, span[0], span[1], reason, name)

    def rescore(self, value: str, score: float) -> float | None:
        """Return the final score of a validated match, None to drop it (hook for loose kinds)."""
        return score

    def _analyze_windows(
        self,
        text: str,
        hits: prefilter.Hits,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None,
        regex_flags: int | None,
    ) -> list[RecognizerResult]:
        """Try the patterns anchored at each keyword occurrence (``match(text, pos)``).

        Equivalent to Presidio's ``finditer`` here because every match starts with a keyword;
        "token" may occur thousands of times in a log, and scanning for a case-insensitive
        alternation costs ~35 ns per character, a Python loop over the hits far less.
        """
        starts = sorted({start for word in self.KEYWORDS for start in hits.get(word, ())})
        if len(starts) * self.WINDOW > len(text) * 4:
            return PatternRecognizer.analyze(self, text, entities, nlp_artifacts, regex_flags)
        results: list[RecognizerResult] = []
        seen: set[tuple[int, int]] = set()
        for pattern, compiled in self._compiled:
            for start in starts:
                found = compiled.match(text, start, start + self.WINDOW)
                if found is None or found.start() == found.end() or found.span() in seen:
                    continue
                seen.add(found.span())
                result = self._result(pattern, found.group(), found.start(), found.end())
                if result is not None:
                    results.append(result)
        return results

    def _result(
        self, pattern: Pattern, value: str, start: int, end: int
    ) -> RecognizerResult | None:
        """Build a result the way ``PatternRecognizer`` does, None if (in)validation drops it."""
        validation = self.validate_result(value)
        if validation is False or self.invalidate_result(value):
            return None
        score = self.MAX_SCORE if validation else pattern.score
        explanation = self.build_regex_explanation(
            type(self).__name__, pattern.name, pattern.regex, score, cast(bool, validation), 0
        )
        return RecognizerResult(
            entity_type=self.ENTITY,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


class AwsAccessKeyRecognizer(SecretRecognizer):
    """AWS access key id (long-term ``AKIA``, temporary ``ASIA`` and friends)."""

    ENTITY = "SECRET_AWS_ACCESS_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "AWS access key id",
            NOT_ALNUM_BEFORE + r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}" + NOT_ALNUM_AFTER,
            0.95,
        )
    ]
    MARKERS = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")
    ALLOW_LIST = frozenset({"AKIAIOSFODNN7EXAMPLE"})


class AwsSecretKeyRecognizer(SecretRecognizer):
    """AWS secret access key: 40 base64 characters, recognisable only by the key name.

    The key name is read in any case and spacing (``SECRET_ACCESS_KEY``, ``secret-access-key``,
    ``Secret Access Key``: ``keynames.key_pattern``). ``\\K`` (``regex`` module) starts the
    reported match at the value, so the span covers the secret alone and
    ``aws_secret_access_key=`` stays readable after redaction. It is 40x faster here than
    the equivalent variable-length look-behind.
    """

    ENTITY = "SECRET_AWS_SECRET_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "AWS secret access key assignment",
            key_pattern("secret access key")
            + r"[\"']?\s{0,3}(?::=|=>|=|:)\s{0,3}[\"']?"
            + r"\K[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
            0.9,
        )
    ]
    KEYWORDS = ("access",)
    ALLOW_LIST = frozenset({"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})


class OpenAiKeyRecognizer(SecretRecognizer):
    """OpenAI API keys: legacy ``sk-``, ``sk-proj-``, ``sk-svcacct-``, ``sk-admin-``.

    ``sk-`` alone is a weak prefix (kebab-case words start with it), so the tail must be
    long and mixed-case; ``sk-ant-`` belongs to Anthropic.
    """

    ENTITY = "SECRET_OPENAI_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "OpenAI API key",
            _NOT_TOKEN_BEFORE
            + r"sk-(?!ant-)(?:(?:proj|svcacct|admin|None)-)?"
            + r"(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z])[A-Za-z0-9_-]{40,}"
            + _NOT_TOKEN_AFTER,
            0.9,
        )
    ]
    MARKERS = ("sk-",)
    # Legacy keys embed base64("OpenAI") in the middle.
    _SIGNATURE = "T3BlbkFJ"

    def validate_result(self, pattern_text: str) -> bool | None:
        """Return True (score 1.0) when the key carries OpenAI's signature."""
        return True if self._SIGNATURE in pattern_text else None


class AnthropicKeyRecognizer(SecretRecognizer):
    """Anthropic API, admin and OAuth keys (``sk-ant-api03-...``)."""

    ENTITY = "SECRET_ANTHROPIC_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Anthropic API key",
            _NOT_TOKEN_BEFORE
            + r"sk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{32,}"
            + _NOT_TOKEN_AFTER,
            0.95,
        )
    ]
    MARKERS = ("sk-ant-",)

    def validate_result(self, pattern_text: str) -> bool | None:
        """Return True (score 1.0) for the ``AA`` suffix that issued keys end with."""
        return True if pattern_text.endswith("AA") else None


class GitHubTokenRecognizer(SecretRecognizer):
    """GitHub classic (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``) and fine-grained PATs."""

    ENTITY = "SECRET_GITHUB_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "GitHub token",
            r"(?<![A-Za-z0-9_])"
            r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9]{20,}_[A-Za-z0-9]{40,})"
            r"(?![A-Za-z0-9_])",
            0.95,
        )
    ]
    MARKERS = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")
    DROPPED_BECAUSE = "checksum invalid (CRC32 tail): a typo or an invented token"

    def rescore(self, value: str, score: float) -> float | None:
        """A classic token's last six characters are a CRC32 of the rest: decisive."""
        if value.startswith("github_pat_") or len(value) != 40:
            return score
        return 1.0 if base62_crc32(value) else None


class GoogleApiKeyRecognizer(SecretRecognizer):
    """Google Cloud / Gemini API key."""

    ENTITY = "SECRET_GOOGLE_API_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Google API key",
            _NOT_TOKEN_BEFORE + r"AIza[0-9A-Za-z_-]{35}" + _NOT_TOKEN_AFTER,
            0.9,
        )
    ]
    MARKERS = ("AIza",)


class SlackTokenRecognizer(SecretRecognizer):
    """Slack bot, user, app, refresh and legacy tokens (``xoxb-123-...``)."""

    ENTITY = "SECRET_SLACK_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Slack token",
            r"(?<![A-Za-z0-9-])xox[baprs]-\d+-[0-9A-Za-z][0-9A-Za-z-]{8,}[0-9A-Za-z]"
            r"(?![A-Za-z0-9-])",
            0.9,
        )
    ]
    MARKERS = ("xox",)


_PEM_LABEL = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"


class PrivateKeyRecognizer(SecretRecognizer):
    """PEM / OpenSSH / PGP private key: the whole block when present, else the header.

    A header with no key material ("what does -----BEGIN RSA PRIVATE KEY----- mean?") keeps
    the lower pattern score; 64+ base64 characters after it make it certain. The body class
    excludes NUL so a block can never run across the engine's segment separator.
    """

    ENTITY = "SECRET_PRIVATE_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "PEM private key",
            r"-----BEGIN "
            + _PEM_LABEL
            # A block ends before the next header: without the look-ahead, each of many
            # headers would read the next 16 K characters again (quadratic up to 16 K).
            + r"(?:(?:(?!-----BEGIN )[^\x00]){0,16384}?-----END "
            + _PEM_LABEL
            # No END line (truncated paste): take the base64 lines that follow the header.
            + r"|(?:[ \t]*\r?\n[ \t]*[A-Za-z0-9+/=]{16,})*)",
            0.6,
        )
    ]
    MARKERS = ("PRIVATE KEY",)
    CHECK_PLACEHOLDER = False  # real key bodies contain runs such as "AAAAA"
    _HEADER_LINE = re.compile(r"-----[^\n]*-----|^[A-Za-z-]+:[^\n]*$", re.MULTILINE)
    _BASE64 = re.compile(r"[A-Za-z0-9+/]")

    def validate_result(self, pattern_text: str) -> bool | None:
        """Return True (score 1.0) when real key material follows the header."""
        body = self._HEADER_LINE.sub("", pattern_text)
        return True if len(self._BASE64.findall(body)) >= 64 else None
