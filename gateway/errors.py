"""Haetae's exceptions.

    HaetaeError
    ├── ConfigError            settings, catalog or policy file invalid (start-up, CLI)
    └── Refusal                a request is answered by the gateway, not the upstream
        ├── BadRequest         400  malformed JSON, uninspectable content, request trailers
        ├── NotFound           404  unknown provider prefix
        ├── PayloadTooLarge    413  body over the configured limit
        ├── UnsupportedMedia   415  Content-Encoding the gateway cannot inspect
        ├── RateLimited        429  a limit on requests, tokens or spend is reached
        ├── PolicyBlock        403  a policy rule refused the request, or the path is
        │                           outside the inspected APIs (builtin.uninspected-endpoint)
        │   └── AnswerBlocked  403  a rule judging answers withheld the provider's answer
        ├── AnswerUninspectable 502 an answer over the scan budget, withheld unread
        ├── InspectionFailed   500  scanning or policy evaluation raised (fail closed)
        ├── AuditUnavailable   503  the audit store cannot record (fail closed)
        ├── LimitsUnavailable  503  the shared limit counters cannot be read (fail closed)
        ├── InspectionBusy     503  every scan slot is taken and the scan queue is full
        ├── ProviderNotReady   503  provider has no base URL or credential configured
        ├── UpstreamUnreachable 502 connecting to the provider failed
        ├── UpstreamProtocolError 502 the provider's answer broke the limits the gateway
        │                           relays under (an event too large, a stalled event,
        │                           an encoding that was not asked for)
        └── UpstreamTimeout    504  the provider did not answer in time

Every ``Refusal`` carries what the client is told: a status, a stable ``code``
and a message for people. Messages name rules, entity types and providers, and
some quote back what the caller sent for them to correct it (an unknown provider
prefix, a path that is not forwarded, a field's location): so a message goes to
the caller only, and logs, spans and records keep the ``code``.
"""

from __future__ import annotations

__all__ = [
    "AuditUnavailable",
    "BadRequest",
    "ConfigError",
    "HaetaeError",
    "InspectionBusy",
    "InspectionFailed",
    "LimitsUnavailable",
    "NotFound",
    "PayloadTooLarge",
    "PolicyBlock",
    "ProviderNotReady",
    "RateLimited",
    "Refusal",
    "UnsupportedMedia",
    "UpstreamProtocolError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
]


class HaetaeError(Exception):
    """Base of every error Haetae raises on purpose."""


class ConfigError(HaetaeError):
    """A configuration, catalog or policy file is invalid; the message says where."""


class Refusal(HaetaeError):
    """The gateway answers this request itself, in the provider's error format."""

    status: int = 400
    code: str = "bad_request"
    decision: str = "error"  # what the audit record calls it
    #: the rules (or limits) that refused, for the record; none for other refusals
    rule_ids: list[str]

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule_ids = []
        if code is not None:
            self.code = code

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """Response headers this refusal adds to the gateway's own."""
        return []


class BadRequest(Refusal):
    status = 400
    code = "invalid_request"


class NotFound(Refusal):
    status = 404
    code = "not_found"


class PayloadTooLarge(Refusal):
    status = 413
    code = "request_too_large"


class UnsupportedMedia(Refusal):
    status = 415
    code = "unsupported_content_encoding"


class PolicyBlock(Refusal):
    status = 403
    code = "blocked_by_policy"
    decision = "block"

    def __init__(self, message: str, *, rule_ids: list[str], code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.rule_ids = rule_ids


class AnswerBlocked(PolicyBlock):
    """A rule judging answers blocks this one: 403 like a blocked request, so the SDKs
    raise their usual permission error; the provider did answer (and bill), but the
    policy forbids showing it. Mid-stream it is the provider's own error event."""

    code = "answer_blocked"


class AnswerUninspectable(Refusal):
    """An answer too large to judge within the scan budget: withheld, never relayed unread."""

    status = 502
    code = "uninspectable_answer"


class RateLimited(Refusal):
    """Over a limit: 429 with ``retry-after``, so the SDKs back off (or, for a budget
    that frees up only in hours, are told not to retry: ``x-should-retry: false``)."""

    status = 429
    code = "rate_limited"
    decision = "limited"

    def __init__(
        self, message: str, *, rule_ids: list[str], retry_after: int, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.rule_ids = rule_ids
        self.retry_after = retry_after

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(b"retry-after", str(self.retry_after).encode())]
        if self.retry_after > 60:  # past what SDKs wait for: a retry would be refused too
            headers.append((b"x-should-retry", b"false"))
        return headers


class LimitsUnavailable(Refusal):
    status = 503
    code = "limits_unavailable"


class InspectionFailed(Refusal):
    status = 500
    code = "inspection_failed"


class AuditUnavailable(Refusal):
    status = 503
    code = "audit_unavailable"


class InspectionBusy(Refusal):
    status = 503
    code = "inspection_busy"


class ProviderNotReady(Refusal):
    status = 503
    code = "provider_not_configured"


class UpstreamUnreachable(Refusal):
    status = 502
    code = "upstream_unreachable"


class UpstreamTimeout(Refusal):
    status = 504
    code = "upstream_timeout"


class UpstreamProtocolError(Refusal):
    """The answer cannot be relayed safely; ``reason`` names the broken limit, not content."""

    status = 502
    code = "upstream_protocol_error"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
