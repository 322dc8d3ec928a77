"""The rollout manager against a store that can fail, without any server."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from gateway.detect import SUPPORTED_ENTITIES
from gateway.policy import load_policy
from gateway.policy.active import PolicyHolder
from gateway.rollout import Rollout, RolloutConflict
from gateway.rollout.store import LocalPolicyStore, StoreUnavailable
from tests.support.polling import wait_for_async
from tests.support.rollout import BASE_POLICY, STRICT_POLICY


class FlakyStore(LocalPolicyStore):
    """A local store whose every call fails while ``down`` is set, like a lost Redis."""

    kind = "redis"

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name in {
            "put_version",
            "get_version",
            "list_versions",
            "active_version",
            "set_active",
            "history",
            "claim_file_version",
            "wait_for_change",
        }:

            async def guarded(*args: Any, **kwargs: Any) -> Any:
                if self.down:
                    raise StoreUnavailable("redis test: ConnectionError")
                return await attribute(*args, **kwargs)

            return guarded
        return attribute


def rollout_for(tmp_path: Path, store: LocalPolicyStore) -> Rollout:
    policy = tmp_path / "policy.yaml"
    if not policy.exists():
        policy.write_text(BASE_POLICY)
    holder = PolicyHolder.from_policy(load_policy(policy, SUPPORTED_ENTITIES))
    return Rollout(holder, store, policy, poll_interval=0.02, file_poll_interval=0.02)


def test_a_file_change_made_while_the_store_is_down_is_published_when_it_returns(
    tmp_path: Path,
) -> None:
    async def go() -> None:
        store = FlakyStore()
        store.down = True
        rollout = rollout_for(tmp_path, store)
        await rollout.start()
        try:
            assert rollout.status()["redis"] == "unreachable"
            first = rollout.holder.active.version
            os.replace(_written(tmp_path / "new.yaml", STRICT_POLICY), tmp_path / "policy.yaml")
            await wait_for_async(lambda: rollout.holder.active.version != first)
            assert rollout.status()["policy_source"] == "file"

            store.down = False
            new = rollout.holder.active.version
            await wait_for_async(lambda: store._active == new and rollout.status()["redis"] == "ok")
            assert rollout.status()["policy_source"] == "redis"
            (change,) = [c for c in await store.history() if c.to_version == new]
            assert change.action == "reload" and change.by.startswith("file:")
        finally:
            await rollout.stop()

    asyncio.run(go())


def test_activation_while_the_store_is_down_changes_nothing(tmp_path: Path) -> None:
    async def go() -> None:
        store = FlakyStore()
        rollout = rollout_for(tmp_path, store)
        await rollout.start()
        try:
            stored, _compiled, _ = await rollout.upload(STRICT_POLICY.encode(), "alice")
            before = rollout.holder.active.version
            store.down = True
            with pytest.raises(StoreUnavailable):
                await rollout.activate(stored.version, "alice")
            assert rollout.holder.active.version == before
        finally:
            await rollout.stop()

    asyncio.run(go())


def test_rolling_back_twice_returns_to_where_it_started(tmp_path: Path) -> None:
    async def go() -> None:
        rollout = rollout_for(tmp_path, LocalPolicyStore())
        await rollout.start()
        try:
            first = rollout.holder.active.version
            stored, _compiled, _ = await rollout.upload(STRICT_POLICY.encode(), "alice")
            await rollout.activate(stored.version, "alice")
            back = await rollout.rollback("bob")
            assert (back.from_version, back.to_version, back.by) == (stored.version, first, "bob")
            again = await rollout.rollback("bob")
            assert again.to_version == stored.version
            with pytest.raises(RolloutConflict):
                await rollout.activate(stored.version, "alice")
        finally:
            await rollout.stop()

    asyncio.run(go())


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
