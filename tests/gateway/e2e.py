"""What the end-to-end tests' shared gateway (the ``stack`` fixture) is configured with."""

__all__ = ["INJECTED_KEY", "READ_TIMEOUT"]

READ_TIMEOUT = 2.0  # seconds the gateway waits for the fake provider
INJECTED_KEY = "gateway-held-key-123"  # the key the gateway injects for upstage and gemini
