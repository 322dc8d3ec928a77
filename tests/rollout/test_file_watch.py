"""The policy file's watcher compiles when a file the policy read changed, and only then."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from gateway.detect import SUPPORTED_ENTITIES
from gateway.policy import load_policy
from gateway.policy.active import PolicyHolder
from gateway.policy.evaluate import CompiledPolicy
from gateway.rollout import Rollout
from gateway.rollout.file_watch import SourceWatch
from gateway.rollout.store import LocalPolicyStore
from tests.support.polling import wait_for_async

POLICY = (
    "policy: watched\ninclude: [shared.yaml]\ndetection:\n  dictionaries:\n"
    "    - { entity: CODENAME, file: names.txt }\n"
    "rules:\n  - { id: names, when: { entities: [CODENAME] }, action: block }\n"
)
SHARED = "rules:\n  - { id: rrn, when: { entities: [KR_RRN] }, action: block }\n"


def _layout(folder: Path) -> Path:
    (folder / "shared.yaml").write_text(SHARED)
    (folder / "names.txt").write_text("Phoenix\n")
    policy = folder / "policy.yaml"
    policy.write_text(POLICY)
    return policy


def _replace(path: Path, text: str) -> None:
    aside = path.with_name(path.name + ".new")
    aside.write_text(text)
    os.replace(aside, path)


def _counted_rollout(folder: Path) -> tuple[Rollout, list[str]]:
    """A rollout of ``_layout``'s policy polling every 10 ms, and the list of its compiles."""
    policy_file = _layout(folder)
    holder = PolicyHolder.from_policy(load_policy(policy_file, SUPPORTED_ENTITIES))
    rollout = Rollout(holder, LocalPolicyStore(), policy_file, file_poll_interval=0.01)
    compiles: list[str] = []
    compile_once = rollout.compile

    def counted(raw: bytes, source: str = "<upload>", *, confined: bool = True) -> CompiledPolicy:
        compiles.append(source)
        return compile_once(raw, source, confined=confined)

    rollout.compile = counted  # type: ignore[method-assign]
    return rollout, compiles


def _run(rollout: Rollout, scenario: Callable[[], Awaitable[None]]) -> None:
    async def started() -> None:
        await rollout.start()
        try:
            await scenario()
        finally:
            await rollout.stop()

    asyncio.run(started())


def test_the_loader_lists_every_file_it_read_with_the_hash_of_what_it_read(
    tmp_path: Path,
) -> None:
    policy = load_policy(_layout(tmp_path), SUPPORTED_ENTITIES)
    assert {path.name for path, _ in policy.read} == {"policy.yaml", "shared.yaml", "names.txt"}
    watch = SourceWatch.of(policy.read, {})
    assert not watch.moved() and not watch.rewritten()


def test_a_rewrite_that_keeps_size_and_times_is_caught_by_the_hash(tmp_path: Path) -> None:
    policy = load_policy(_layout(tmp_path), SUPPORTED_ENTITIES)
    watch = SourceWatch.of(policy.read, {})
    names = tmp_path / "names.txt"
    kept = os.stat(names)
    names.write_text("Heron!\n")  # same size, in place
    os.utime(names, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert watch.rewritten()
    _replace(names, "Phoenix\nHeron\n")
    assert watch.moved()


def test_an_unchanged_policy_is_not_compiled_again_and_a_changed_include_is(
    tmp_path: Path,
) -> None:
    rollout, compiles = _counted_rollout(tmp_path)

    async def go() -> None:
        assert len(compiles) == 1  # the start-up read
        await asyncio.sleep(0.4)  # about 40 polls, four of them re-reading the files
        assert len(compiles) == 1
        first = rollout.holder.active.version
        _replace(tmp_path / "shared.yaml", SHARED.replace("block", "warn"))
        await wait_for_async(lambda: rollout.holder.active.version != first)
        assert len(compiles) == 2
        second = rollout.holder.active.version
        _replace(tmp_path / "names.txt", "Phoenix\nHeron\n")  # a term file of it
        await wait_for_async(lambda: rollout.holder.active.version != second)

    _run(rollout, go)


def test_a_broken_file_is_compiled_again_when_it_changes_not_at_every_poll(
    tmp_path: Path,
) -> None:
    rollout, compiles = _counted_rollout(tmp_path)

    async def go() -> None:
        good = rollout.holder.active.version
        _replace(tmp_path / "shared.yaml", "rules: [ {id: x, action: nonsense} ]\n")
        await wait_for_async(lambda: rollout.status().get("policy_reload_error") is not None)
        after_failure = len(compiles)
        await asyncio.sleep(0.25)  # 25 polls: at most the periodic re-reads compile
        assert len(compiles) - after_failure <= 3
        assert rollout.holder.active.version == good
        _replace(tmp_path / "shared.yaml", SHARED.replace("block", "warn"))
        await wait_for_async(lambda: rollout.holder.active.version != good)
        assert rollout.status().get("policy_reload_error") is None

    _run(rollout, go)
