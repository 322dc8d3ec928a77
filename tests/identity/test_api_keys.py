"""Gateway-issued keys: only digests on disk, lookups by key, reload without restart."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from gateway.errors import ConfigError
from gateway.identity.api_keys import KeyFile, KeyStore, key_digest, new_key


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def lookup(store: KeyStore, key: str):
    return asyncio.run(store.lookup(key))


def test_keys_are_prefixed_random_and_never_written(tmp_path) -> None:
    key_file = KeyFile(tmp_path / "keys.jsonl")
    key, entry = key_file.create("alice", ["eng", "legal", "eng"], note="laptop")
    assert re.fullmatch(r"hk_[A-Za-z0-9]{43}", key)
    assert new_key() != new_key()
    text = (tmp_path / "keys.jsonl").read_text()
    assert key not in text and key[3:] not in text
    assert entry.digest == key_digest(key) and entry.digest in text
    assert (entry.user, entry.groups, entry.note) == ("alice", ("eng", "legal"), "laptop")
    assert oct((tmp_path / "keys.jsonl").stat().st_mode & 0o777) == "0o600"
    assert key_file.read() == [entry]


def test_a_store_finds_the_user_and_groups_of_a_key(tmp_path) -> None:
    key_file = KeyFile(tmp_path / "keys.jsonl")
    alice, _ = key_file.create("alice", ["eng"])
    bob, _ = key_file.create("bob", [])
    store = KeyStore(key_file.path)
    assert (lookup(store, alice).user, lookup(store, alice).groups) == ("alice", ("eng",))
    assert lookup(store, bob).user == "bob"
    assert lookup(store, "hk_" + "x" * 43) is None
    assert lookup(store, alice[:-1]) is None


def test_a_store_remembers_when_it_last_accepted_a_key(tmp_path) -> None:
    key_file = KeyFile(tmp_path / "keys.jsonl")
    alice, used = key_file.create("alice", [])
    bob, unused = key_file.create("bob", [])
    store = KeyStore(key_file.path)
    assert store.last_used(used.id) is None
    before = time.time()
    lookup(store, alice)
    assert before <= (store.last_used(used.id) or 0) <= time.time()
    assert store.last_used(unused.id) is None
    key_file.revoke(unused.id)
    reloaded = KeyStore(key_file.path)
    assert lookup(reloaded, bob).revoked is not None  # refused by the stage: not "used"
    assert reloaded.last_used(unused.id) is None


def test_new_and_revoked_keys_take_effect_after_the_reload_interval(tmp_path) -> None:
    clock = Clock()
    key_file = KeyFile(tmp_path / "keys.jsonl")
    alice, entry = key_file.create("alice", [])
    store = KeyStore(key_file.path, reload_seconds=2, clock=clock)
    carol, _ = key_file.create("carol", [])
    key_file.revoke(entry.id)
    assert lookup(store, carol) is None  # not yet re-read
    assert lookup(store, alice).revoked is None
    clock.now = 2.5
    assert lookup(store, carol).user == "carol"
    assert lookup(store, alice).revoked is not None


def test_a_broken_file_keeps_the_previous_keys(tmp_path, caplog) -> None:
    clock = Clock()
    key_file = KeyFile(tmp_path / "keys.jsonl")
    alice, _ = key_file.create("alice", [])
    store = KeyStore(key_file.path, reload_seconds=1, clock=clock)
    with key_file.path.open("a") as handle:
        handle.write("{not json\n")
    clock.now = 5
    assert lookup(store, alice).user == "alice"
    assert "previous keys stay in force" in caplog.text
    assert alice not in caplog.text


def test_a_broken_file_at_start_up_names_the_line(tmp_path) -> None:
    path = tmp_path / "keys.jsonl"
    KeyFile(path).create("alice", [])
    with path.open("a") as handle:
        handle.write('{"id": "k_1", "user": "bob"}\n')
    with pytest.raises(ConfigError, match=r"line 2: 'digest' must be a non-empty string"):
        KeyStore(path)


def test_a_line_still_being_written_is_not_read(tmp_path) -> None:
    path = tmp_path / "keys.jsonl"
    _alice, _ = KeyFile(path).create("alice", [])
    with path.open("a") as handle:
        handle.write('{"id": "k_half", "dig')
    assert [e.user for e in KeyFile(path).read()] == ["alice"]


def test_a_missing_file_means_no_valid_key(tmp_path) -> None:
    store = KeyStore(tmp_path / "absent.jsonl")
    assert len(store) == 0
    assert lookup(store, new_key()) is None


@pytest.mark.parametrize("user", ["", "   ", "a\nb", "x" * 201])
def test_unusable_user_names_are_refused(tmp_path, user) -> None:
    with pytest.raises(ConfigError, match="user must be"):
        KeyFile(tmp_path / "keys.jsonl").create(user, [])


def test_revoking_an_unknown_id_says_so(tmp_path) -> None:
    key_file = KeyFile(tmp_path / "keys.jsonl")
    key_file.create("alice", [])
    with pytest.raises(ConfigError, match="no key with id 'k_nope'"):
        key_file.revoke("k_nope")
