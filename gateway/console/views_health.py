"""Every replica's health for the overview, as the replicas report it through Redis.

Not a call of the admin API: like ``/readyz`` it says how the service is, not
what anyone did, and every role sees it. Each row is what that process last
published about itself (``gateway/rollout/replicas.py``); a replica that stops
publishing drops off after three intervals.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.console.services import Console

__all__ = ["replica_report"]


async def replica_report(console: Console) -> dict[str, Any] | None:
    """None when the console was built without replica reports (tests of the pages alone)."""
    if console.replicas is None:
        return None
    report = await console.replicas()
    now = time.time()
    versions = {r.get("policy_version") for r in report["replicas"]}
    for replica in report["replicas"]:
        replica["age"] = max(0, round(now - float(replica.get("seen") or now)))
        replica["healthy"] = replica.get("status") == "ready" and replica.get("audit") == "ok"
    return report | {"mixed_versions": len(versions) > 1}
