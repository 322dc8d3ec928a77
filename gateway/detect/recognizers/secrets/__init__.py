"""Credential recognizers (API keys, tokens, private keys).

``FACTORIES`` maps each entity to its recognizer class.
"""

from gateway.detect.recognizers.secrets.tokens import (
    AnthropicKeyRecognizer,
    AwsAccessKeyRecognizer,
    AwsSecretKeyRecognizer,
    GitHubTokenRecognizer,
    GoogleApiKeyRecognizer,
    OpenAiKeyRecognizer,
    PrivateKeyRecognizer,
    SecretRecognizer,
    SlackTokenRecognizer,
)

__all__ = [
    "FACTORIES",
    "AnthropicKeyRecognizer",
    "AwsAccessKeyRecognizer",
    "AwsSecretKeyRecognizer",
    "GitHubTokenRecognizer",
    "GoogleApiKeyRecognizer",
    "OpenAiKeyRecognizer",
    "PrivateKeyRecognizer",
    "SecretRecognizer",
    "SlackTokenRecognizer",
]

FACTORIES = {
    "SECRET_AWS_ACCESS_KEY": AwsAccessKeyRecognizer,
    "SECRET_AWS_SECRET_KEY": AwsSecretKeyRecognizer,
    "SECRET_OPENAI_KEY": OpenAiKeyRecognizer,
    "SECRET_ANTHROPIC_KEY": AnthropicKeyRecognizer,
    "SECRET_GITHUB_TOKEN": GitHubTokenRecognizer,
    "SECRET_GOOGLE_API_KEY": GoogleApiKeyRecognizer,
    "SECRET_SLACK_TOKEN": SlackTokenRecognizer,
    "SECRET_PRIVATE_KEY": PrivateKeyRecognizer,
}
