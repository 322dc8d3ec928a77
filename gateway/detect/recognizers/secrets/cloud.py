"""Cloud-provider credentials: Azure, GCP, Alibaba, Tencent, NAVER Cloud, DigitalOcean,
Heroku, Cloudflare and HashiCorp Vault (AWS and Google API keys live in ``tokens``)."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.secrets.common import (
    after_keyword,
    prefixed,
    shannon_entropy,
    variants,
)
from gateway.detect.recognizers.secrets.tokens import SecretRecognizer

__all__ = [
    "AlibabaAccessKeyRecognizer",
    "AzureAdClientSecretRecognizer",
    "AzureConnectionStringRecognizer",
    "CloudflareTokenRecognizer",
    "DigitalOceanTokenRecognizer",
    "GcpServiceAccountRecognizer",
    "HerokuKeyRecognizer",
    "NaverCloudKeyRecognizer",
    "TencentSecretIdRecognizer",
    "VaultTokenRecognizer",
]

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# Bounded and possessive: a part is tried at most _PARTS times from one start, and no part
# gives characters back, so a text of many ``Endpoint=x;`` parts costs its length, not its
# length squared (16,000 characters once took 0.5 s, 32,000 took 5.5 s). Real strings
# have a handful of parts, URLs under 512 characters and keys of 44 or 88.
_KEY_VALUE = r"[A-Za-z0-9+/]{20,1024}+={0,2}+"
_VALUE = r"[^;\s\x00\"']{0,512}+"
_PART = rf"[A-Za-z]{{1,64}}+={_VALUE}"
_PARTS = 16


class AzureConnectionStringRecognizer(SecretRecognizer):
    """Storage / Service Bus / Event Hubs connection strings that embed a shared key.

    The whole string is reported when it starts with the usual first part, so redaction
    also hides the account name; a bare ``AccountKey=...`` reports the key alone.
    """

    ENTITY = "SECRET_AZURE_CONNECTION_STRING"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Azure connection string",
            r"(?:DefaultEndpointsProtocol|Endpoint|BlobEndpoint)=[^;\s\x00\"']{1,512}+;"
            rf"(?:\s?{_PART};){{0,{_PARTS}}}?\s?(?:AccountKey|SharedAccessKey)={_KEY_VALUE}"
            rf"(?:;\s?{_PART}){{0,{_PARTS}}}+;?",
            0.95,
        ),
        Pattern(
            "Azure shared key",
            r"(?<![A-Za-z])(?:AccountKey|SharedAccessKey)=\K[A-Za-z0-9+/]{20,}+={0,2}+"
            r"(?![A-Za-z0-9+/=])",
            0.9,
        ),
    ]
    MARKERS = ("AccountKey=", "SharedAccessKey=")


class AzureAdClientSecretRecognizer(SecretRecognizer):
    """Microsoft Entra ID (Azure AD) client secret: 40 characters with ``Q~`` at 4-5.

    The ``Q~`` infix is specific but short, so the base score is moderate; an entropy floor
    drops readable strings and the context words lift a nearby ``client_secret`` to 1.0.
    """

    ENTITY = "SECRET_AZURE_AD_CLIENT_SECRET"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Azure AD client secret",
            r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}"
            r"(?![A-Za-z0-9_~.-])",
            0.7,
        )
    ]
    MARKERS = ("Q~",)
    SPACE_FREE = True
    CONTEXT: ClassVar[list[str]] = ["client_secret", "clientsecret", "azure", "entra", "aad"]
    DROPPED_BECAUSE = "low entropy"

    def rescore(self, value: str, score: float) -> float | None:
        """Drop low-entropy look-alikes."""
        return score if shannon_entropy(value) >= 3.5 else None


class GcpServiceAccountRecognizer(SecretRecognizer):
    """GCP service-account key file: from ``"type": "service_account"`` to its private key.

    The span ends after the last ``private_key``/``private_key_id`` value, so a pasted key
    file is hidden up to and including the key material even when it is truncated.
    """

    ENTITY = "SECRET_GCP_SERVICE_ACCOUNT"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "GCP service account key",
            r"\"type\"\s*:\s*\"service_account\""
            r"(?:[^{}\x00]{0,2000}?\"private_key(?:_id)?\"\s*:\s*\"[^\"\x00]{8,}\")+",
            1.0,
        )
    ]
    MARKERS = ("service_account",)
    CHECK_PLACEHOLDER = False  # key bodies contain "AAAAA" runs


class AlibabaAccessKeyRecognizer(SecretRecognizer):
    """Alibaba Cloud AccessKey ID (``LTAI`` + 12-20)."""

    ENTITY = "SECRET_ALIBABA_ACCESS_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Alibaba AccessKey ID", prefixed("LTAI", "[A-Za-z0-9]{12,20}"), 0.9)
    ]
    MARKERS = ("LTAI",)
    SPACE_FREE = True


class TencentSecretIdRecognizer(SecretRecognizer):
    """Tencent Cloud SecretId (``AKID`` + 32)."""

    ENTITY = "SECRET_TENCENT_SECRET_ID"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Tencent SecretId", prefixed("AKID", "[A-Za-z0-9]{32}"), 0.9)
    ]
    MARKERS = ("AKID",)
    SPACE_FREE = True


class NaverCloudKeyRecognizer(SecretRecognizer):
    """NAVER Cloud Platform keys: ``ncp_iam_`` sub-account keys, or 20/40-character keys
    shortly after "ncloud"/"ncp"/"naver"/"네이버"."""

    ENTITY = "SECRET_NAVER_CLOUD_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("NCP IAM key", prefixed("ncp_iam_", "[A-Za-z0-9]{20,60}"), 0.95),
        Pattern(
            "NCP key near vendor name",
            # The ASCII names must start a word (or a camelCase part): "ncp" turns up inside
            # random base64 (about one 2 KB blob in 300: encrypted reasoning state, images),
            # and a 20-character run after it then read as a key.
            after_keyword(
                "(?<![A-Za-z0-9])(?:ncloud|ncp|naver)|(?<=[a-z])(?-i:Ncloud|Ncp|Naver)|네이버",
                r"(?=[A-Za-z0-9]{0,39}[0-9])(?=[A-Za-z0-9]{0,39}[A-Z])"
                r"(?:[A-Za-z0-9]{40}|[A-Za-z0-9]{20})",
            ),
            0.75,
        ),
    ]
    KEYWORDS = (*variants("ncloud", "ncp", "naver"), "네이버")
    WINDOW = 200


class DigitalOceanTokenRecognizer(SecretRecognizer):
    """DigitalOcean personal (``dop_v1_``), OAuth (``doo_v1_``) and refresh (``dor_v1_``)."""

    ENTITY = "SECRET_DIGITALOCEAN_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("DigitalOcean token", prefixed("dop_v1_|doo_v1_|dor_v1_", "[a-f0-9]{64}"), 0.95)
    ]
    MARKERS = ("dop_v1_", "doo_v1_", "dor_v1_")
    SPACE_FREE = True


class HerokuKeyRecognizer(SecretRecognizer):
    """Heroku API key: new ``HRKU-`` tokens, or the legacy UUID shortly after "heroku"."""

    ENTITY = "SECRET_HEROKU_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Heroku API key", prefixed("HRKU-", "[A-Za-z0-9_-]{40,}"), 0.95),
        Pattern("Heroku legacy key", after_keyword("heroku", _UUID), 0.8),
    ]
    KEYWORDS = ("HRKU-", *variants("heroku"))
    WINDOW = 200


class CloudflareTokenRecognizer(SecretRecognizer):
    """Cloudflare API token (40) or global API key (37 hex) shortly after the vendor name."""

    ENTITY = "SECRET_CLOUDFLARE_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Cloudflare token",
            after_keyword(
                r"cloudflare|cf_api_(?:token|key)|cf_(?:auth|account)_?key",
                # bounded look-ahead: the digit is one of the token's own 40 characters
                r"(?=[A-Za-z0-9_-]{0,39}[0-9])[A-Za-z0-9_-]{40}|[0-9a-f]{37}",
            ),
            0.8,
        )
    ]
    KEYWORDS = variants("cloudflare", "cf_api_", "cf_auth", "cf_account")
    WINDOW = 200


class VaultTokenRecognizer(SecretRecognizer):
    """HashiCorp Vault service/batch/recovery tokens; legacy ``s.`` tokens near "vault"."""

    ENTITY = "SECRET_VAULT_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Vault token", prefixed(r"hv[sbr]\.", "[A-Za-z0-9_-]{24,}"), 0.95),
        Pattern("Vault legacy token", after_keyword("vault", r"s\.[A-Za-z0-9]{24}"), 0.8),
    ]
    KEYWORDS = ("hvs.", "hvb.", "hvr.", *variants("vault"))
    WINDOW = 400
    _ALNUM = re.compile(r"[0-9]")

    def rescore(self, value: str, score: float) -> float | None:
        """Legacy tokens are random: require a digit and a high entropy."""
        if value.startswith("s.") and (
            not self._ALNUM.search(value) or shannon_entropy(value) < 3.5
        ):
            return None
        return score
