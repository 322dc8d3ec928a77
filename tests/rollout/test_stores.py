"""The store contract, for the local store (memory and directory) and the real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from gateway.rollout.redis_connect import RedisTarget, redact_url
from gateway.rollout.redis_store import RedisPolicyStore
from gateway.rollout.signing import (
    RolloutKeys,
    UntrustedState,
    generate_key_pair,
    load_rollout_keys,
)
from gateway.rollout.store import (
    Approval,
    ChangeRecord,
    LocalPolicyStore,
    PointerTaken,
    PolicyStore,
    StoredVersion,
    StoreUnavailable,
)
from gateway.settings import RolloutSettings
from tests.support.rollout import rollout_keys
from tests.support.services import closed_port


def keys() -> RolloutKeys:
    config = RolloutSettings(signing_key_file=rollout_keys()[0])
    loaded = load_rollout_keys(config, {}, required=True)
    assert loaded is not None
    return loaded


def redis_store(url: str, prefix: str) -> RedisPolicyStore:
    return RedisPolicyStore(RedisTarget.plain(url), prefix, keys())


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

    first = await store.set_active(change(None, "aaaa"))
    second = await store.set_active(change("aaaa", "bbbb", by="bob"))
    assert second.seq == first.seq + 1  # numbered by the store, always upwards
    assert await store.active_version() == "bbbb"
    history = await store.history()
    assert [(c.by, c.from_version, c.to_version, c.seq) for c in history] == [
        ("bob", "aaaa", "bbbb", second.seq),
        ("alice", None, "aaaa", first.seq),
    ]
    assert await store.claim_file_version("f1") is True
    assert await store.claim_file_version("f1") is False
    assert await store.claim_file_version("f2") is True

    # Approvals are per exact version, one per approver (a repeat replaces it).
    await store.add_approval(Approval("aaaa", "bob", "policy_approver", 4.0))
    await store.add_approval(Approval("aaaa", "bob", "policy_approver", 5.0))
    await store.add_approval(Approval("aaaa", "carol", "admin", 6.0))
    assert sorted((a.by, a.at) for a in await store.approvals("aaaa")) == [
        ("bob", 5.0),
        ("carol", 6.0),
    ]
    assert await store.approvals("bbbb") == []


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
        assert {a.by for a in await other.approvals("aaaa")} == {"bob", "carol"}

    run(go)


def test_redis_store(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        store = redis_store(redis_url, key_prefix)
        try:
            await exercise(store)
        finally:
            await store.aclose()

    run(go)


def test_redis_activation_is_pushed_to_a_waiting_replica(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        listener, writer = (
            redis_store(redis_url, key_prefix),
            redis_store(redis_url, key_prefix),
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
        store = redis_store(f"redis://:hunter2@127.0.0.1:{closed_port()}/0", "p:")
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
    assert redact_url("rediss://h:1/0?password=pw") == "rediss://h:1/0"
    assert redact_url("unix://:pw@/run/redis.sock?db=0") == "unix://***@/run/redis.sock"
    assert redact_url("unix:///run/redis.sock?db=0") == "unix:///run/redis.sock"


def test_a_key_rotation_keeps_what_was_signed_again(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    """docs/rollout.md's rotation without a restart of the shared state, step by step."""
    old_signing, old_verify = generate_key_pair(tmp_path / "old")
    new_signing, new_verify = generate_key_pair(tmp_path / "new")
    bundle = tmp_path / "both.pem"
    bundle.write_text(old_verify.read_text() + new_verify.read_text())

    def store(signing: Path, verify: Path | None = None) -> RedisPolicyStore:
        config = RolloutSettings(signing_key_file=signing, verify_key_file=verify)
        loaded = load_rollout_keys(config, {}, required=True)
        assert loaded is not None
        return RedisPolicyStore(RedisTarget.plain(redis_url), key_prefix, loaded)

    async def go() -> None:
        before = store(old_signing)
        await before.put_version(version("aaaa", 1.0))
        await before.put_version(version("bbbb", 2.0))
        await before.set_active(change(None, "aaaa"))
        await before.aclose()

        during = store(new_signing, bundle)  # steps 1 and 2: both trusted, new signs
        assert await during.active_version() == "aaaa"
        assert await during.put_version(version("aaaa", 5.0)) is False  # re-signed, kept
        await during.set_active(change("aaaa", "aaaa"))
        await during.aclose()

        after = store(new_signing, new_verify)  # step 4: the old key is gone
        try:
            assert await after.active_version() == "aaaa"
            assert await after.get_version("aaaa") == version("aaaa", 1.0)  # who, when kept
            with pytest.raises(UntrustedState, match="does not trust"):
                await after.get_version("bbbb")  # not signed again: refused
            assert [c.seq for c in await after.history()] == [2]
        finally:
            await after.aclose()

    run(go)


def test_of_two_replicas_seeding_an_empty_store_only_one_records_a_seed(
    redis_url: str, key_prefix: str
) -> None:
    async def go() -> None:
        first, second = redis_store(redis_url, key_prefix), redis_store(redis_url, key_prefix)
        try:
            await first.set_active(change(None, "aaaa"), only_if_unset=True)
            with pytest.raises(PointerTaken):
                await second.set_active(change(None, "aaaa"), only_if_unset=True)
            # A pointer that does not verify does not count as set: a seed replaces it.
            await first._redis.set(f"{key_prefix}active", b"forged")
            await second.set_active(change(None, "bbbb"), only_if_unset=True)
            assert await first.active_version() == "bbbb"
            assert [c.to_version for c in await first.history()] == ["bbbb", "aaaa"]
        finally:
            await first.aclose()
            await second.aclose()

    run(go)
    with pytest.raises(PointerTaken):
        run(lambda: _seed_twice(LocalPolicyStore()))


async def _seed_twice(store: PolicyStore) -> None:
    await store.set_active(change(None, "aaaa"), only_if_unset=True)
    await store.set_active(change(None, "aaaa"), only_if_unset=True)


def test_a_forged_entry_is_left_out_and_reported_without_its_name_or_value(
    redis_url: str, key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The hash field's name is a writer's choice too: only a version id is ever shown."""

    async def go() -> None:
        store = redis_store(redis_url, key_prefix)
        try:
            await store.put_version(version("aaaa", 1.0))
            await store._redis.hset(f"{key_prefix}versions", "900101-1234567", b"{}")
            assert [v.version for v in await store.list_versions()] == ["aaaa"]
            assert store.rejections.status() == {
                "count": 1,
                "at": (store.rejections.last or {})["at"],
                "where": f"{key_prefix}versions[<not a version id>]",
                "reason": "unsigned (no signature envelope)",
            }
        finally:
            await store.aclose()

    run(go)
    assert "900101-1234567" not in caplog.text
    assert "refused shared rollout state" in caplog.text


def test_a_signed_approval_copied_to_another_version_is_refused(
    redis_url: str, key_prefix: str
) -> None:
    """Four eyes binds an approval to its version: moving it in Redis does not carry it."""
    import redis

    async def go() -> None:
        store = redis_store(redis_url, key_prefix)
        try:
            await store.add_approval(Approval("aaaa", "bob", "policy_approver", 1.0))
            client = redis.Redis.from_url(redis_url)
            sealed = client.hget(f"{key_prefix}approvals:aaaa", "bob")
            assert sealed is not None
            client.hset(f"{key_prefix}approvals:bbbb", "bob", sealed)
            client.hset(f"{key_prefix}approvals:bbbb", "mallory", b'{"version": "bbbb"}')
            client.close()
            assert await store.approvals("bbbb") == []
            assert [a.by for a in await store.approvals("aaaa")] == ["bob"]
            assert store.rejections.count == 2
        finally:
            await store.aclose()

    run(go)
