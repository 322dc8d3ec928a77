"""Entity → recognizer table: adding a recognizer is one module plus one line here."""

from __future__ import annotations

from collections.abc import Callable, Collection

from presidio_analyzer import EntityRecognizer

from gateway.detect.recognizers.generic import CreditCardNumberRecognizer, EmailAddressRecognizer
from gateway.detect.recognizers.kr import KrRrnRecognizer
from gateway.detect.recognizers.secrets import (
    AnthropicKeyRecognizer,
    AwsAccessKeyRecognizer,
    AwsSecretKeyRecognizer,
    GitHubTokenRecognizer,
    GoogleApiKeyRecognizer,
    OpenAiKeyRecognizer,
    PrivateKeyRecognizer,
    SlackTokenRecognizer,
)

__all__ = ["RECOGNIZER_FACTORIES", "SUPPORTED_ENTITIES", "build_recognizers"]

#: Called with the Presidio language code to register the recognizer under.
RecognizerFactory = Callable[..., EntityRecognizer]

RECOGNIZER_FACTORIES: dict[str, RecognizerFactory] = {
    "EMAIL_ADDRESS": EmailAddressRecognizer,
    "CREDIT_CARD": CreditCardNumberRecognizer,
    "KR_RRN": KrRrnRecognizer,
    "SECRET_AWS_ACCESS_KEY": AwsAccessKeyRecognizer,
    "SECRET_AWS_SECRET_KEY": AwsSecretKeyRecognizer,
    "SECRET_OPENAI_KEY": OpenAiKeyRecognizer,
    "SECRET_ANTHROPIC_KEY": AnthropicKeyRecognizer,
    "SECRET_GITHUB_TOKEN": GitHubTokenRecognizer,
    "SECRET_GOOGLE_API_KEY": GoogleApiKeyRecognizer,
    "SECRET_SLACK_TOKEN": SlackTokenRecognizer,
    "SECRET_PRIVATE_KEY": PrivateKeyRecognizer,
}

SUPPORTED_ENTITIES: frozenset[str] = frozenset(RECOGNIZER_FACTORIES)


def build_recognizers(
    entities: Collection[str] | None = None, language: str = "en"
) -> list[EntityRecognizer]:
    """Instantiate one recognizer per requested entity (None means all), in table order.

    Unknown names raise ``ValueError`` so a typo in a policy fails at startup instead of
    silently disabling a detector.
    """
    wanted = SUPPORTED_ENTITIES if entities is None else frozenset(entities)
    unknown = wanted - SUPPORTED_ENTITIES
    if unknown:
        raise ValueError(
            f"unsupported entities: {sorted(unknown)}; supported: {sorted(SUPPORTED_ENTITIES)}"
        )
    recognizers = []
    for entity, factory in RECOGNIZER_FACTORIES.items():
        if entity in wanted:
            recognizer = factory(supported_language=language)
            if entity not in recognizer.supported_entities:
                raise ValueError(f"{type(recognizer).__name__} does not report {entity}")
            recognizers.append(recognizer)
    return recognizers
