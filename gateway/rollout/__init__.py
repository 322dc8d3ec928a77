"""Rolling policies out: versions, the shared active pointer, hot reload, dry runs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.policy.active import PolicyHolder
    from gateway.rollout.manager import Rollout, RolloutConflict, UnknownVersion
    from gateway.rollout.redis_connect import RedisAccess
    from gateway.rollout.store import ChangeRecord, LocalPolicyStore, PolicyStore, StoredVersion
    from gateway.settings import Settings

__all__ = [
    "ChangeRecord",
    "LocalPolicyStore",
    "PolicyStore",
    "Rollout",
    "RolloutConflict",
    "StoredVersion",
    "UnknownVersion",
    "build_rollout",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "Rollout": "gateway.rollout.manager",
        "RolloutConflict": "gateway.rollout.manager",
        "UnknownVersion": "gateway.rollout.manager",
        "ChangeRecord": "gateway.rollout.store",
        "LocalPolicyStore": "gateway.rollout.store",
        "PolicyStore": "gateway.rollout.store",
        "StoredVersion": "gateway.rollout.store",
    },
)

log = logging.getLogger("haetae.rollout")


def build_rollout(
    settings: Settings, holder: PolicyHolder, redis: RedisAccess | None = None
) -> Rollout:
    """Redis when ``redis`` is given (``redis_connect.redis_access``), else this host's store.

    Nothing connects yet. Only the Redis store is signed: a local directory sits
    on the host next to the policy file, and whoever can write it can write that.
    """
    from gateway.rollout.manager import Rollout
    from gateway.rollout.store import LocalPolicyStore

    config = settings.rollout
    store: PolicyStore
    can_sign = True
    if redis is not None:
        from gateway.rollout.redis_store import RedisPolicyStore

        store = RedisPolicyStore(redis.target, config.key_prefix, redis.keys)
        can_sign = redis.keys.can_sign
    else:
        if settings.listen.workers > 1 and config.local_dir is None:
            log.warning(
                "%d workers without rollout.redis_url or rollout.local_dir: an activation "
                "through the admin API reaches only the worker that served it",
                settings.listen.workers,
            )
        store = LocalPolicyStore(config.local_dir)
    return Rollout(
        holder,
        store,
        settings.policy,
        poll_interval=config.poll_interval,
        file_poll_interval=config.file_poll_interval,
        unready_when_unreachable=config.unready_when_unreachable,
        can_sign=can_sign,
        four_eyes=settings.admin.four_eyes,
    )
