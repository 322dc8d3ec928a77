"""The test suite's shared support layer (like mitmproxy's ``test/tflow.py``).

* ``stack``: ``gateway_stack(folder, policy_text=..., settings=..., environ=...)``, a
  real gateway in front of a fake provider on loopback, as a context manager
  yielding a ``GatewayStack`` (``url()``, ``fake``, ``app``, ``audit_tail()``,
  ``record(request_id)``);
* ``polling``: ``wait_for(predicate, timeout)``, the one deadline-bounded wait
  (``wait_for_async`` inside an event loop);
* ``services``: the ``redis_url``, ``key_prefix`` and ``postgres_url`` fixtures
  (registered in ``tests/conftest.py``), each test in a namespace of its own;
* ``values``: synthetic personal data and secrets for prompts;
* presets on top of the stack: ``identity`` (an OIDC issuer, a JWKS server,
  ``identity_gateway``), ``rollout`` (policies, ``rollout_gateway``, ``chat``,
  ``ready``, ``rollout_keys``), ``redis_server`` (``private_redis``: a
  ``redis-server`` of a test's own, with a password and optionally TLS),
  ``telemetry`` (``traced_stack`` with in-memory exporters).

The most used names are importable from here: ``from tests.support import
gateway_stack, wait_for``. They load on first use, so importing this package
costs nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "DEFAULT_POLICY",
    "ROOT",
    "RUN_ID",
    "UNREACHABLE",
    "GatewayStack",
    "closed_port",
    "fake_provider_settings",
    "gateway_stack",
    "unavailable",
    "wait_for",
    "wait_for_async",
]

_HOME = {
    "DEFAULT_POLICY": "stack",
    "ROOT": "stack",
    "UNREACHABLE": "stack",
    "GatewayStack": "stack",
    "fake_provider_settings": "stack",
    "gateway_stack": "stack",
    "RUN_ID": "services",
    "closed_port": "services",
    "unavailable": "services",
    "wait_for": "polling",
    "wait_for_async": "polling",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
