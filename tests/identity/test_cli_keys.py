"""``haetae keys``: the key is printed once, the file holds only its digest."""

from __future__ import annotations

import getpass
import socket
import time
from pathlib import Path

import orjson

from gateway.audit import AuditRecord, SQLiteAuditStore
from gateway.audit.verify import verify_chain
from gateway.cli import main
from gateway.identity.api_keys import KeyFile, key_digest


def test_create_list_revoke(tmp_path, capsys) -> None:
    path = tmp_path / "keys.jsonl"
    assert main(["keys", "create", "--file", str(path), "--user", "alice", "--group", "eng"]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert key.startswith("hk_") and "shown only this once" in err
    assert key not in path.read_text() and key_digest(key) in path.read_text()

    assert main(["keys", "list", "--file", str(path), "--json"]) == 0
    (listed,) = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed["user"] == "alice" and listed["groups"] == ["eng"]
    assert "digest" not in listed

    assert main(["keys", "revoke", "--file", str(path), listed["id"]]) == 0
    capsys.readouterr()
    assert main(["keys", "list", "--file", str(path)]) == 0
    table = capsys.readouterr().out
    assert listed["id"] in table and "revoked" in table and key not in table


def test_the_key_file_comes_from_the_config(tmp_path, capsys) -> None:
    path = tmp_path / "from-config.jsonl"
    config = tmp_path / "haetae.yaml"
    audit = f"sqlite:///{tmp_path / 'audit.db'}"
    config.write_text(f"identity:\n  api_keys:\n    file: {path}\naudit:\n  url: {audit}\n")
    assert main(["keys", "create", "--config", str(config), "--user", "bob"]) == 0
    assert path.exists()
    (record,) = admin_records(tmp_path / "audit.db")
    assert record.details is not None and record.details["action"] == "keys.create"


def admin_records(db: Path) -> list[AuditRecord]:
    store = SQLiteAuditStore(db)
    try:
        return [r for r in store.records_between(0, time.time() + 1) if r.decision == "admin"]
    finally:
        store.close()


def test_issuing_and_revoking_are_chained_admin_records(tmp_path, capsys) -> None:
    keys, db = tmp_path / "keys.jsonl", tmp_path / "audit.db"
    where = ["--file", str(keys), "--audit-url", f"sqlite:///{db}"]
    assert main(["keys", "create", *where, "--user", "alice"]) == 0
    key = capsys.readouterr().out.strip()
    (entry,) = KeyFile(keys).read()
    assert main(["keys", "revoke", *where, entry.id]) == 0

    records = admin_records(db)
    assert [r.details["action"] for r in records if r.details] == ["keys.create", "keys.revoke"]
    for record in records:
        assert record.user == f"{getpass.getuser()}@{socket.gethostname()}"
        assert record.method == "CLI" and record.details is not None
        assert record.details | {"action": "-"} == {
            "action": "-",
            "role": "local",
            "target": {"key_id": entry.id, "user": "alice"},
            "outcome": "ok",
            "host": socket.gethostname(),
        }
    assert key not in str([r.to_dict() for r in records])
    assert verify_chain(records).problems == []


def test_an_unusable_audit_store_leaves_the_key_file_alone(tmp_path, capsys) -> None:
    keys = tmp_path / "keys.jsonl"
    bad = ["--file", str(keys), "--audit-url", "mysql://nowhere/x"]
    assert main(["keys", "create", *bad, "--user", "alice"]) == 2
    assert not keys.exists() or KeyFile(keys).read() == []


def test_without_a_key_file_the_error_says_what_to_set(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("HAETAE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["keys", "list"]) == 2
    assert "identity.api_keys.file" in capsys.readouterr().err
