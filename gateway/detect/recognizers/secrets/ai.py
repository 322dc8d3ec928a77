"""Model-provider API keys other than OpenAI, Anthropic and Google (see ``tokens``).

DeepSeek (and Moonshot, DashScope...) issue ``sk-`` + 32 lowercase hex: that shape says
nothing about the vendor and the OpenAI pattern does not take it (it wants 40+ mixed-case
characters), so it is reported as ``SECRET_DEEPSEEK_KEY`` only near the word "deepseek".
Mistral and Cohere keys have no prefix at all and need their vendor name nearby too.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.secrets.common import after_keyword, prefixed, variants
from gateway.detect.recognizers.secrets.tokens import SecretRecognizer

__all__ = [
    "CohereKeyRecognizer",
    "DeepSeekKeyRecognizer",
    "GroqKeyRecognizer",
    "HuggingFaceTokenRecognizer",
    "MistralKeyRecognizer",
    "PerplexityKeyRecognizer",
    "ReplicateTokenRecognizer",
    "XaiKeyRecognizer",
]

# Random 30+ character keys contain both cases; camelCase identifiers rarely reach that.
# The look-aheads read at most the 40 characters a key here can have: unbounded, each try
# in a long run of letters read the whole run again (quadratic after a repeated keyword).
_MIXED = r"(?=[A-Za-z0-9]{0,39}[a-z])(?=[A-Za-z0-9]{0,39}[A-Z])"


class HuggingFaceTokenRecognizer(SecretRecognizer):
    """Hugging Face user access token (``hf_`` + 34 letters/digits)."""

    ENTITY = "SECRET_HF_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Hugging Face token", prefixed("hf_", _MIXED + "[A-Za-z0-9]{34,40}"), 0.9)
    ]
    MARKERS = ("hf_",)
    SPACE_FREE = True


class GroqKeyRecognizer(SecretRecognizer):
    """Groq API key (``gsk_`` + 52)."""

    ENTITY = "SECRET_GROQ_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Groq API key", prefixed("gsk_", "[A-Za-z0-9]{52}"), 0.95)
    ]
    MARKERS = ("gsk_",)
    SPACE_FREE = True


class XaiKeyRecognizer(SecretRecognizer):
    """xAI (Grok) API key (``xai-`` + 80)."""

    ENTITY = "SECRET_XAI_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("xAI API key", prefixed("xai-", "[A-Za-z0-9]{70,90}"), 0.95)
    ]
    MARKERS = ("xai-",)
    SPACE_FREE = True


class PerplexityKeyRecognizer(SecretRecognizer):
    """Perplexity API key (``pplx-`` + 48)."""

    ENTITY = "SECRET_PERPLEXITY_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Perplexity API key", prefixed("pplx-", "[A-Za-z0-9]{40,56}"), 0.95)
    ]
    MARKERS = ("pplx-",)
    SPACE_FREE = True


class ReplicateTokenRecognizer(SecretRecognizer):
    """Replicate API token (``r8_`` + 37)."""

    ENTITY = "SECRET_REPLICATE_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Replicate token", prefixed("r8_", _MIXED + "[A-Za-z0-9]{37}"), 0.9)
    ]
    MARKERS = ("r8_",)
    SPACE_FREE = True


class DeepSeekKeyRecognizer(SecretRecognizer):
    """DeepSeek API key: ``sk-`` + 32 hex within 40 characters after "deepseek"."""

    ENTITY = "SECRET_DEEPSEEK_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("DeepSeek API key", after_keyword("deepseek", r"sk-[0-9a-f]{32}"), 0.85)
    ]
    KEYWORDS = variants("deepseek")
    WINDOW = 200


class MistralKeyRecognizer(SecretRecognizer):
    """Mistral API key: 32 alphanumerics shortly after "mistral"."""

    ENTITY = "SECRET_MISTRAL_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Mistral API key", after_keyword("mistral", _MIXED + "[A-Za-z0-9]{32}"), 0.8)
    ]
    KEYWORDS = variants("mistral")
    WINDOW = 200


class CohereKeyRecognizer(SecretRecognizer):
    """Cohere API key: 40 alphanumerics shortly after "cohere" / ``CO_API_KEY``."""

    ENTITY = "SECRET_COHERE_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Cohere API key",
            after_keyword(r"cohere|co_api_key", _MIXED + "[A-Za-z0-9]{40}"),
            0.8,
        )
    ]
    KEYWORDS = variants("cohere", "co_api_key")
    WINDOW = 200
