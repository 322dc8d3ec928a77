"""The store contract, for the local store (memory and directory) and the real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from gateway.rollout.redis_store import RedisPolicyStore, redact_url
from gateway.rollout.store import (
    ChangeRecord,
    LocalPolicyStore,
    PolicyStore,
    StoredVersion,
    StoreUnavailable,
)
from tests.support.services import closed_port


def version(name: str, at: float) -> StoredVersion:
    return StoredVersion(name, f"policy-{name}", f"policy: {name}\n", "alice", at, "upload", 1)


def change(old: str | None, new: str, by: str = "alice") -> ChangeRecord:
    return ChangeRecord(time.time(), by, "activate", old, new, {"rules": []})


async def exercise(store: PolicyStore) -> None:
    assert await store.active_version() is None
    assert await store.put_version(version("aaaa", 1.0)) is True
    assert await store.put_version(version("bbbb", 2.0)) is True
    # Same content hash again: kept as first stored (who uploaded it first stays).
    again = StoredVersion("aaaa", "x", "x", "mallory", 3.0, "upload")
    assert await store.put_version(again) is False
    assert (await store.get_version("aaaa")) == version("aaaa", 1.0)
    assert await store.get_version("zzzz") is None
    assert [v.version for v in await store.list_versions()] == ["aaaa", "bbbb"]

    await store.set_active(change(None, "aaaa"))
    await store.set_active(change("aaaa", "bbbb", by="bob"))
    assert await store.active_version() == "bbbb"
    history = await store.history()
    assert [(c.by, c.from_version, c.to_version) for c in history] == [
        ("bob", "aaaa", "bbbb"),
        ("alice", None, "aaaa"),
    ]
    assert await store.claim_file_version("f1") is True
    assert await store.claim_file_version("f1") is False
    assert await store.claim_file_version("f2") is True


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def test_memory_store() -> None:
    run(lambda: exercise(LocalPolicyStore()))


def test_directory_store_is_shared_by_processes_and_survives_restarts(tmp_path: Path) -> None:
    async def go() -> None:
        await exercise(LocalPolicyStore(tmp_path))
        # A fresh instance (another worker, or after a restart) sees the same state.
        other = LocalPolicyStore(tmp_path)
        assert await other.active_version() == "bbbb"
        assert [v.version for v in await other.list_versions()] == ["aaaa", "bbbb"]
        assert len(await other.history()) == 2
        assert await other.claim_file_version("f2") is False

    run(go)


def test_redis_store(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        store = RedisPolicyStore(redis_url, key_prefix)
        try:
            await exercise(store)
        finally:
            await store.aclose()

    run(go)


def test_redis_activation_is_pushed_to_a_waiting_replica(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        listener, writer = (
            RedisPolicyStore(redis_url, key_prefix),
            RedisPolicyStore(redis_url, key_prefix),
        )
        try:
            await listener.wait_for_change(5)  # subscribes, then returns at once
            waiting = asyncio.create_task(listener.wait_for_change(30))
            await asyncio.sleep(0.05)
            await writer.set_active(change(None, "cccc"))
            await asyncio.wait_for(waiting, 5)  # a bound: without the push it waits 30 s
            assert await listener.active_version() == "cccc"
        finally:
            await listener.aclose()
            await writer.aclose()

    run(go)


def test_unreachable_redis_raises_store_unavailable_without_the_password() -> None:
    async def go() -> None:
        store = RedisPolicyStore(f"redis://:hunter2@127.0.0.1:{closed_port()}/0", "p:")
        try:
            with pytest.raises(StoreUnavailable) as caught:
                await store.active_version()
            assert "hunter2" not in str(caught.value)
            assert "ConnectionError" in str(caught.value)
            with pytest.raises(StoreUnavailable):
                await store.wait_for_change(0.1)
        finally:
            await store.aclose()

    run(go)
    assert redact_url("redis://u:pw@h:1/0") == "redis://***@h:1/0"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"
