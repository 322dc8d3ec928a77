"""Credential recognizers (API keys, tokens, private keys)."""

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
