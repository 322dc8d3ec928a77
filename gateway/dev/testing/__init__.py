"""Test doubles and helpers shared by the test suite, the demo and the benchmark."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.dev.testing.fake_upstream import FakeUpstream, ReceivedRequest
    from gateway.dev.testing.server import ServerThread

__all__ = ["FakeUpstream", "ReceivedRequest", "ServerThread"]

__getattr__ = lazy_exports(
    __name__,
    {
        "FakeUpstream": "gateway.dev.testing.fake_upstream",
        "ReceivedRequest": "gateway.dev.testing.fake_upstream",
        "ServerThread": "gateway.dev.testing.server",
    },
)
