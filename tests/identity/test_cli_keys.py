"""``haetae keys``: the key is printed once, the file holds only its digest."""

from __future__ import annotations

import orjson

from gateway.cli import main
from gateway.identity.api_keys import key_digest


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
    config.write_text(f"identity:\n  api_keys:\n    file: {path}\n")
    assert main(["keys", "create", "--config", str(config), "--user", "bob"]) == 0
    assert path.exists()


def test_without_a_key_file_the_error_says_what_to_set(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("HAETAE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["keys", "list"]) == 2
    assert "identity.api_keys.file" in capsys.readouterr().err
