"""Chat, e-mail and SMS credentials: webhooks, bot tokens and sender API keys."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from gateway.detect.recognizers.secrets.common import after_keyword, prefixed, variants
from gateway.detect.recognizers.secrets.tokens import SecretRecognizer

__all__ = [
    "DiscordBotTokenRecognizer",
    "DiscordWebhookRecognizer",
    "KakaoRestKeyRecognizer",
    "MailgunKeyRecognizer",
    "SendGridKeyRecognizer",
    "SlackWebhookRecognizer",
    "TelegramBotTokenRecognizer",
    "TwilioKeyRecognizer",
]


class SlackWebhookRecognizer(SecretRecognizer):
    """Slack incoming-webhook and workflow URLs: anyone holding one can post as the app."""

    ENTITY = "SECRET_SLACK_WEBHOOK"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Slack webhook",
            r"https?://hooks\.slack\.com/(?:services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}"
            r"|(?:workflows|triggers)/T[A-Z0-9]{6,12}/A[A-Z0-9]{6,12}/[0-9]+)"
            r"/[A-Za-z0-9]{20,}(?![A-Za-z0-9])",
            0.95,
        )
    ]
    MARKERS = ("hooks.slack.com",)
    SPACE_FREE = True


class DiscordWebhookRecognizer(SecretRecognizer):
    """Discord webhook URL (channel id + 68-character token)."""

    ENTITY = "SECRET_DISCORD_WEBHOOK"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Discord webhook",
            r"https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/"
            r"[0-9]{17,20}/[A-Za-z0-9_-]{60,68}(?![A-Za-z0-9_-])",
            0.95,
        )
    ]
    MARKERS = ("/webhooks/",)
    SPACE_FREE = True


class DiscordBotTokenRecognizer(SecretRecognizer):
    """Discord bot token: base64 user id, timestamp and HMAC joined by dots.

    The shape has no literal prefix, so the patterns run only when "discord" is in the text;
    a JWT cannot match (its parts start ``eyJ``, never ``M``/``N``/``O``).
    """

    ENTITY = "SECRET_DISCORD_BOT_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Discord bot token",
            r"(?<![A-Za-z0-9_.-])[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}"
            r"(?![A-Za-z0-9_.-])",
            0.85,
        )
    ]
    KEYWORDS = variants("discord")


class TelegramBotTokenRecognizer(SecretRecognizer):
    """Telegram bot token: numeric bot id, ``:``, then 35 characters starting ``AA``.

    The Bot API puts it straight after ``/bot`` in URLs, so that word may touch it.
    """

    ENTITY = "SECRET_TELEGRAM_BOT_TOKEN"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Telegram bot token",
            r"(?:(?<=bot)|(?<![A-Za-z0-9_:-]))[0-9]{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])",
            0.9,
        )
    ]
    MARKERS = (":AA",)
    SPACE_FREE = True


class TwilioKeyRecognizer(SecretRecognizer):
    """Twilio API key SID (``SK`` + 32 hex); its secret half has no shape of its own."""

    ENTITY = "SECRET_TWILIO_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Twilio API key", prefixed("SK", "[0-9a-f]{32}"), 0.85)
    ]
    MARKERS = ("SK",)
    SPACE_FREE = True


class SendGridKeyRecognizer(SecretRecognizer):
    """SendGrid API key ``SG.<22>.<43>``."""

    ENTITY = "SECRET_SENDGRID_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "SendGrid API key",
            prefixed(r"SG\.", r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
            0.95,
        )
    ]
    MARKERS = ("SG.",)
    SPACE_FREE = True


class MailgunKeyRecognizer(SecretRecognizer):
    """Mailgun private API key in the ``key-`` + 32 hex form (newer keys have no prefix)."""

    ENTITY = "SECRET_MAILGUN_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("Mailgun API key", prefixed("key-", "[0-9a-f]{32}"), 0.9)
    ]
    MARKERS = ("key-",)
    SPACE_FREE = True


class KakaoRestKeyRecognizer(SecretRecognizer):
    """Kakao Developers REST API / admin key: 32 hex shortly after "kakao"/"카카오"."""

    ENTITY = "SECRET_KAKAO_REST_KEY"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "Kakao REST API key",
            after_keyword(
                "kakao|카카오", r"(?=[0-9a-f]{0,31}[a-f])(?=[0-9a-f]{0,31}[0-9])[0-9a-f]{32}"
            ),
            0.85,
        )
    ]
    KEYWORDS = (*variants("kakao"), "카카오")
    WINDOW = 200
