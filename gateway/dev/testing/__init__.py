"""Test doubles and helpers shared by the test suite, the demo and the benchmark."""

from gateway.dev.testing.fake_upstream import FakeUpstream, ReceivedRequest
from gateway.dev.testing.server import ServerThread

__all__ = ["FakeUpstream", "ReceivedRequest", "ServerThread"]
