"""Payments, commerce, observability and productivity SaaS keys."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.secrets.common import after_keyword, prefixed, variants
from gateway.detect.recognizers.secrets.tokens import SecretRecognizer

__all__ = [
    "DatadogKeyRecognizer",
    "LinearKeyRecognizer",
    "NewRelicKeyRecognizer",
    "NotionTokenRecognizer",
    "OktaTokenRecognizer",
    "ShopifyTokenRecognizer",
    "StripeKeyRecognizer",
]


class StripeKeyRecognizer(SecretRecognizer):
    """Stripe secret / restricted keys and webhook signing secrets.

    Test-mode keys (``sk_test_``) cannot move money but still expose the account's data,
    so they are reported, a little lower. Publishable keys (``pk_``) are public by design.
    """

    ENTITY = "SECRET_STRIPE_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Stripe live key", prefixed("sk_live_|rk_live_", "[A-Za-z0-9]{20,247}"), 0.95),
        Pattern("Stripe test key", prefixed("sk_test_|rk_test_", "[A-Za-z0-9]{20,247}"), 0.8),
        Pattern("Stripe webhook secret", prefixed("whsec_", "[A-Za-z0-9]{32,}"), 0.9),
    ]
    MARKERS = ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_")
    SPACE_FREE = True


class ShopifyTokenRecognizer(SecretRecognizer):
    """Shopify admin, custom-app, private-app tokens and shared secrets."""

    ENTITY = "SECRET_SHOPIFY_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Shopify token", prefixed("shpat_|shpca_|shppa_|shpss_", "[a-fA-F0-9]{32}"), 0.95)
    ]
    MARKERS = ("shpat_", "shpca_", "shppa_", "shpss_")
    SPACE_FREE = True


class DatadogKeyRecognizer(SecretRecognizer):
    """Datadog API (32 hex) or application (40 hex) key shortly after the vendor/env name."""

    ENTITY = "SECRET_DATADOG_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Datadog key",
            after_keyword(
                r"datadog|dd[_-]?(?:api|app|application)[_-]?key", r"[0-9a-f]{40}|[0-9a-f]{32}"
            ),
            0.8,
        )
    ]
    KEYWORDS = variants("datadog", "dd_api", "dd_app", "ddapi", "ddapp", "dd-api", "dd-app")
    WINDOW = 200


class NewRelicKeyRecognizer(SecretRecognizer):
    """New Relic user (``NRAK-``), ingest (``NRII-``) and query (``NRIQ-``) keys."""

    ENTITY = "SECRET_NEW_RELIC_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("New Relic user key", prefixed("NRAK-", "[A-Z0-9]{27}"), 0.95),
        Pattern("New Relic ingest/query key", prefixed("NRII-|NRIQ-", "[A-Za-z0-9_-]{32}"), 0.9),
    ]
    MARKERS = ("NRAK-", "NRII-", "NRIQ-")
    SPACE_FREE = True


class LinearKeyRecognizer(SecretRecognizer):
    """Linear personal API key (``lin_api_`` + 40) and OAuth token (``lin_oauth_``)."""

    ENTITY = "SECRET_LINEAR_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Linear key", prefixed("lin_api_|lin_oauth_", "[A-Za-z0-9]{40,64}"), 0.95)
    ]
    MARKERS = ("lin_api_", "lin_oauth_")
    SPACE_FREE = True


class NotionTokenRecognizer(SecretRecognizer):
    """Notion integration token: legacy ``secret_`` + 43, current ``ntn_`` + 46."""

    ENTITY = "SECRET_NOTION_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Notion token",
            prefixed("secret_", "(?=[A-Za-z0-9]{0,42}[0-9])[A-Za-z0-9]{43}")
            + "|"
            + prefixed("ntn_", "[0-9]{11}[A-Za-z0-9]{35}"),
            0.9,
        )
    ]
    MARKERS = ("secret_", "ntn_")
    SPACE_FREE = True


class OktaTokenRecognizer(SecretRecognizer):
    """Okta API token (``00`` + 40) after "okta" or the ``SSWS`` auth scheme."""

    ENTITY = "SECRET_OKTA_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Okta API token",
            after_keyword("okta|ssws", r"00[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])", gap=30),
            0.85,
        )
    ]
    KEYWORDS = (*variants("okta"), "SSWS")
    WINDOW = 200
