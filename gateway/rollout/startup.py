"""Which policy a replica starts with.

Normally its own policy file. But in a fleet sharing Redis, a replica whose
file is broken (a bad edit in a config map, a missing dictionary, a provider
credential this host lacks) would otherwise refuse to start while every other
replica serves a good shared version. So when the file cannot be used and
``rollout.redis_url`` is set, the replica starts with the shared active
version instead, logs the file's error, and ``/readyz`` keeps showing it
(``policy_reload_error``) until the file is fixed. Without Redis, or when
Redis is unreachable, empty, or its version cannot be used here either, the
replica refuses to start with the file's own error: there is nothing safe to
serve.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gateway.detect import SUPPORTED_ENTITIES
from gateway.errors import ConfigError
from gateway.extras import require
from gateway.policy.active import ProviderBuilder
from gateway.policy.evaluate import CompiledPolicy
from gateway.policy.loader import load_policy
from gateway.rollout.redis_connect import RedisAccess
from gateway.rollout.signing import UntrustedState
from gateway.rollout.store import StoreUnavailable
from gateway.rollout.versions import compile_stored
from gateway.settings import Settings

__all__ = ["StartingPolicy", "starting_policy"]

log = logging.getLogger("haetae.rollout")


@dataclass(frozen=True, slots=True)
class StartingPolicy:
    policy: CompiledPolicy
    source: str  # file | redis
    file_error: str | None = None  # why the file's policy was not used


def starting_policy(
    settings: Settings, providers: ProviderBuilder, redis: RedisAccess | None = None
) -> StartingPolicy:
    """The policy file's policy, else Redis's active one; blocking (start-up only).

    Redis's version must verify like any shared one (``redis_store``), and is
    checked like an upload: its file references stay inside the policy directory.
    """
    try:
        policy = load_policy(settings.policy, SUPPORTED_ENTITIES)
        providers(policy)
    except ConfigError as exc:
        file_error = str(exc)
    else:
        return StartingPolicy(policy, "file")
    if redis is None:
        raise ConfigError(file_error)
    shared = _shared_policy(redis, settings, providers, file_error)
    log.error(
        "policy file %s cannot be used, so this replica starts with the shared active version "
        "%s from Redis: %s",
        settings.policy,
        shared.version,
        file_error,
    )
    return StartingPolicy(shared, "redis", file_error)


def _shared_policy(
    redis: RedisAccess, settings: Settings, providers: ProviderBuilder, file_error: str
) -> CompiledPolicy:
    require("redis", "rollout.redis_url")
    from gateway.rollout.redis_store import read_active_blocking

    try:
        stored = read_active_blocking(redis.target, settings.rollout.key_prefix, redis.keys)
    except StoreUnavailable as exc:
        raise ConfigError(
            f"{file_error}\n(and no shared policy to start with instead: {exc})"
        ) from None
    except UntrustedState as exc:
        log.error("refused shared rollout state %s: %s", exc.where, exc.reason)
        raise ConfigError(
            f"{file_error}\n(and Redis's active version was refused: {exc})"
        ) from None
    if stored is None:
        raise ConfigError(
            f"{file_error}\n(and no shared policy to start with instead: Redis holds no active "
            "version)"
        )
    try:
        policy = compile_stored(stored, settings.policy)
        providers(policy)
    except ConfigError as exc:
        raise ConfigError(
            f"{file_error}\n(and the shared active version {stored.version} cannot be used "
            f"here either: {exc})"
        ) from None
    return policy
