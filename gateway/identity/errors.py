"""Refusals of the identify stage, answered in the provider's error format."""

from __future__ import annotations

from gateway.errors import Refusal

__all__ = ["IdentityUnavailable", "Unauthenticated"]


class Unauthenticated(Refusal):
    """401: a credential was presented and is not valid, or one is required.

    Messages say what is wrong with the credential, never the credential itself.
    """

    status = 401
    code = "invalid_credentials"


class IdentityUnavailable(Refusal):
    """503: a token cannot be checked now (the identity provider's keys are unreachable)."""

    status = 503
    code = "identity_unavailable"
