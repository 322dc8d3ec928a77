"""Old home of the identity tests' helpers; they live in ``tests.support.identity`` now."""

from __future__ import annotations

from tests.support.identity import (
    AUDIENCE,
    INJECTED,
    ISSUER,
    Issuer,
    JwksServer,
    exchange,
    identity_gateway,
)
from tests.support.stack import ROOT
from tests.support.stack import GatewayStack as GatewayUnderTest

__all__ = [
    "AUDIENCE",
    "INJECTED",
    "ISSUER",
    "ROOT",
    "GatewayUnderTest",
    "Issuer",
    "JwksServer",
    "exchange",
    "identity_gateway",
]
