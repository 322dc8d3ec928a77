"""Credential recognizers (API keys, tokens, private keys, passwords), one class per entity.

``FACTORIES`` maps each entity to its recognizer class. Modules are grouped by theme:
``tokens`` (the base class and the first eight kinds), ``ai``, ``cloud``, ``vcs``,
``saas``, ``messaging``, ``generic`` and ``urls``;
``bare`` guesses from shape alone; ``prefilter`` holds the Aho–Corasick gate they share.
The long tail of vendor formats is data (``credentials.yaml``, read by ``table``).
"""

from gateway.detect.recognizers.secrets.ai import (
    CohereKeyRecognizer,
    DeepSeekKeyRecognizer,
    GroqKeyRecognizer,
    HuggingFaceTokenRecognizer,
    MistralKeyRecognizer,
    PerplexityKeyRecognizer,
    ReplicateTokenRecognizer,
    XaiKeyRecognizer,
)
from gateway.detect.recognizers.secrets.bare import BareTokenRecognizer
from gateway.detect.recognizers.secrets.cloud import (
    AlibabaAccessKeyRecognizer,
    AzureAdClientSecretRecognizer,
    AzureConnectionStringRecognizer,
    CloudflareTokenRecognizer,
    DigitalOceanTokenRecognizer,
    GcpServiceAccountRecognizer,
    HerokuKeyRecognizer,
    NaverCloudKeyRecognizer,
    TencentSecretIdRecognizer,
    VaultTokenRecognizer,
)
from gateway.detect.recognizers.secrets.generic import (
    GenericApiKeyRecognizer,
    JwtRecognizer,
    PasswordRecognizer,
)
from gateway.detect.recognizers.secrets.messaging import (
    DiscordBotTokenRecognizer,
    DiscordWebhookRecognizer,
    KakaoRestKeyRecognizer,
    MailgunKeyRecognizer,
    SendGridKeyRecognizer,
    SlackWebhookRecognizer,
    TelegramBotTokenRecognizer,
    TwilioKeyRecognizer,
)
from gateway.detect.recognizers.secrets.saas import (
    DatadogKeyRecognizer,
    LinearKeyRecognizer,
    NewRelicKeyRecognizer,
    NotionTokenRecognizer,
    OktaTokenRecognizer,
    ShopifyTokenRecognizer,
    StripeKeyRecognizer,
)
from gateway.detect.recognizers.secrets.table import (
    REPORTED_ENTITIES,
    TABLE_ENTITIES,
    CredentialTableRecognizer,
)
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
from gateway.detect.recognizers.secrets.urls import DatabaseUrlRecognizer, UrlCredentialRecognizer
from gateway.detect.recognizers.secrets.vcs import (
    AtlassianTokenRecognizer,
    DockerHubTokenRecognizer,
    GitLabTokenRecognizer,
    NpmTokenRecognizer,
    PyPiTokenRecognizer,
)

_CLASSES: dict[str, type[SecretRecognizer]] = {
    "SECRET_AWS_ACCESS_KEY": AwsAccessKeyRecognizer,
    "SECRET_AWS_SECRET_KEY": AwsSecretKeyRecognizer,
    "SECRET_OPENAI_KEY": OpenAiKeyRecognizer,
    "SECRET_ANTHROPIC_KEY": AnthropicKeyRecognizer,
    "SECRET_GITHUB_TOKEN": GitHubTokenRecognizer,
    "SECRET_GOOGLE_API_KEY": GoogleApiKeyRecognizer,
    "SECRET_SLACK_TOKEN": SlackTokenRecognizer,
    "SECRET_PRIVATE_KEY": PrivateKeyRecognizer,
    # vcs
    "SECRET_GITLAB_TOKEN": GitLabTokenRecognizer,
    "SECRET_NPM_TOKEN": NpmTokenRecognizer,
    "SECRET_PYPI_TOKEN": PyPiTokenRecognizer,
    "SECRET_DOCKERHUB_TOKEN": DockerHubTokenRecognizer,
    "SECRET_ATLASSIAN_TOKEN": AtlassianTokenRecognizer,
    # ai
    "SECRET_HF_TOKEN": HuggingFaceTokenRecognizer,
    "SECRET_GROQ_KEY": GroqKeyRecognizer,
    "SECRET_XAI_KEY": XaiKeyRecognizer,
    "SECRET_PERPLEXITY_KEY": PerplexityKeyRecognizer,
    "SECRET_REPLICATE_TOKEN": ReplicateTokenRecognizer,
    "SECRET_DEEPSEEK_KEY": DeepSeekKeyRecognizer,
    "SECRET_MISTRAL_KEY": MistralKeyRecognizer,
    "SECRET_COHERE_KEY": CohereKeyRecognizer,
    # cloud
    "SECRET_AZURE_CONNECTION_STRING": AzureConnectionStringRecognizer,
    "SECRET_AZURE_AD_CLIENT_SECRET": AzureAdClientSecretRecognizer,
    "SECRET_GCP_SERVICE_ACCOUNT": GcpServiceAccountRecognizer,
    "SECRET_ALIBABA_ACCESS_KEY": AlibabaAccessKeyRecognizer,
    "SECRET_TENCENT_SECRET_ID": TencentSecretIdRecognizer,
    "SECRET_NAVER_CLOUD_KEY": NaverCloudKeyRecognizer,
    "SECRET_DIGITALOCEAN_TOKEN": DigitalOceanTokenRecognizer,
    "SECRET_HEROKU_KEY": HerokuKeyRecognizer,
    "SECRET_CLOUDFLARE_TOKEN": CloudflareTokenRecognizer,
    "SECRET_VAULT_TOKEN": VaultTokenRecognizer,
    # saas
    "SECRET_STRIPE_KEY": StripeKeyRecognizer,
    "SECRET_SHOPIFY_TOKEN": ShopifyTokenRecognizer,
    "SECRET_DATADOG_KEY": DatadogKeyRecognizer,
    "SECRET_NEW_RELIC_KEY": NewRelicKeyRecognizer,
    "SECRET_LINEAR_KEY": LinearKeyRecognizer,
    "SECRET_NOTION_TOKEN": NotionTokenRecognizer,
    "SECRET_OKTA_TOKEN": OktaTokenRecognizer,
    # messaging
    "SECRET_SLACK_WEBHOOK": SlackWebhookRecognizer,
    "SECRET_DISCORD_WEBHOOK": DiscordWebhookRecognizer,
    "SECRET_DISCORD_BOT_TOKEN": DiscordBotTokenRecognizer,
    "SECRET_TELEGRAM_BOT_TOKEN": TelegramBotTokenRecognizer,
    "SECRET_TWILIO_KEY": TwilioKeyRecognizer,
    "SECRET_SENDGRID_KEY": SendGridKeyRecognizer,
    "SECRET_MAILGUN_KEY": MailgunKeyRecognizer,
    "SECRET_KAKAO_REST_KEY": KakaoRestKeyRecognizer,
    # generic (loose kinds last: they defer to the vendor kinds above)
    "SECRET_JWT": JwtRecognizer,
    "SECRET_DB_URL": DatabaseUrlRecognizer,
    "SECRET_URL_CREDENTIALS": UrlCredentialRecognizer,
    "SECRET_PASSWORD": PasswordRecognizer,
    "SECRET_GENERIC_API_KEY": GenericApiKeyRecognizer,
}

_CLAIMED_TWICE = TABLE_ENTITIES & set(_CLASSES)
if _CLAIMED_TWICE:
    raise ValueError(f"credentials.yaml: mark rows for {sorted(_CLAIMED_TWICE)} 'extends: true'")
_ORPHANS = (REPORTED_ENTITIES - TABLE_ENTITIES) - set(_CLASSES)
if _ORPHANS:
    raise ValueError(f"credentials.yaml: 'extends' names no hand-written entity: {_ORPHANS}")

#: The long tail of vendor formats comes from credentials.yaml: one recognizer for all of
#: them (``MULTI_ENTITY``), listed before the loose generic kinds.
_GENERIC = (
    "SECRET_JWT",
    "SECRET_DB_URL",
    "SECRET_URL_CREDENTIALS",
    "SECRET_PASSWORD",
    "SECRET_GENERIC_API_KEY",
)
FACTORIES: dict[str, type[SecretRecognizer] | type[CredentialTableRecognizer]] = {
    **{entity: cls for entity, cls in _CLASSES.items() if entity not in _GENERIC},
    **{entity: CredentialTableRecognizer for entity in sorted(TABLE_ENTITIES)},
    **{entity: _CLASSES[entity] for entity in _GENERIC},
}

#: Bare tokens are not a ``SECRET_*`` kind: a guess from shape alone, which policies treat
#: apart from the vendor kinds (docs/detection.md, "Bare tokens").
BARE_FACTORIES: dict[str, type[BareTokenRecognizer]] = {"GENERIC_SECRET": BareTokenRecognizer}

__all__ = [
    "BARE_FACTORIES",
    "FACTORIES",
    "BareTokenRecognizer",
    "TABLE_ENTITIES",
    "SecretRecognizer",
    *sorted({cls.__name__ for cls in FACTORIES.values()}),
]
