"""``haetae audit …`` against a store found by --config or --url."""

from __future__ import annotations

import asyncio
import csv
import getpass
import io
import socket
import sqlite3
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit import AuditRecord
from gateway.audit.admin_event import cli_actor
from gateway.audit.setup import configured_store
from gateway.cli import main
from gateway.settings import load_settings

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def make(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{i}", time=T0 + i * 3600.0, request_id=f"req-{i}", client_address=None,
        user="alice" if i % 2 else "bob", provider="openai", api="chat",
        model="=HYPERLINK(\"http://x\")" if i == 3 else "gpt-4o", method="POST", path="/",
        decision="block" if i % 3 == 0 else "allow", groups=["eng"],
    )  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config as serve reads it, with a signing key; 48 hourly records written through it."""
    key = tmp_path / "signing.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    file = tmp_path / "haetae.yaml"
    file.write_text(
        f"audit:\n  url: 'sqlite:///{tmp_path}/audit.db'\n  signing_key_file: '{key}'\n"
        "  checkpoint_every: 10\n"
    )
    store = configured_store(load_settings(file, environ={}).audit)
    store.start()

    async def fill() -> None:
        for i in range(48):
            store.append(make(i))
            if i % 10 == 9:
                await store.flush()
        await store.flush()

    asyncio.run(fill())
    store.close()
    return file


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_pages_and_says_how_to_continue(config, capsys) -> None:
    code, out, err = run(capsys, "audit", "search", "--config", str(config), "--user", "alice",
                         "--since", "2026-01-01T10:00:00Z", "--limit", "3", "--json")  # fmt: skip
    assert code == 0
    assert [orjson.loads(line)["record_id"] for line in out.splitlines()] == [
        "rec-47", "rec-45", "rec-43",
    ]  # fmt: skip
    cursor = err.split("--cursor ")[1].strip()
    code, out, _ = run(capsys, "audit", "search", "--config", str(config), "--user", "alice",
                       "--limit", "2", "--cursor", cursor)  # fmt: skip
    assert "rec-41" in out.splitlines()[0] or "req-41" in out.splitlines()[0]


def test_stats_by_decision_per_day(config, capsys) -> None:
    _, out, _ = run(capsys, "audit", "stats", "--config", str(config), "--json")
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert {(r["start"], r["key"]): r["count"] for r in rows} == {
        ("2026-01-01T00:00:00.000Z", "allow"): 16, ("2026-01-01T00:00:00.000Z", "block"): 8,
        ("2026-01-02T00:00:00.000Z", "allow"): 16, ("2026-01-02T00:00:00.000Z", "block"): 8,
    }  # fmt: skip


def test_export_jsonl_and_csv(config, capsys, tmp_path) -> None:
    _, out, err = run(capsys, "audit", "export", "--config", str(config), "--decision", "block")
    records = [orjson.loads(line) for line in out.splitlines()]
    assert [r["record_id"] for r in records] == [f"rec-{i}" for i in range(0, 48, 3)]
    assert "exported 16 records" in err
    target = tmp_path / "out.csv"
    run(
        capsys,
        "audit",
        "export",
        "--config",
        str(config),
        "--format",
        "csv",
        "--output",
        str(target),
    )
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 48 and rows[0]["time"] == "2026-01-01 00:00:00"
    assert rows[0]["utc_offset"] == "UTC+00:00"
    assert rows[3]["model"].startswith("'=")  # a spreadsheet will not run it as a formula


def test_verify_passes_then_names_the_tampered_record(config, capsys, tmp_path) -> None:
    code, out, _ = run(capsys, "audit", "verify", "--config", str(config))
    assert code == 0 and "OK: the chain is intact" in out
    assert "48 records (seq 1–48)" in out
    assert int(out.split("), ")[1].split()[0]) >= 3  # signed checkpoints verified
    conn = sqlite3.connect(tmp_path / "audit.db")
    with conn:
        conn.execute("UPDATE audit_records SET decision = 'allow' WHERE seq = 13")
    conn.close()
    code, out, _ = run(capsys, "audit", "verify", "--config", str(config))
    assert code == 1 and "TAMPERED  seq 13: modified" in out


def test_verify_by_url_without_a_key_says_checkpoints_were_not_checked(
    config, capsys, tmp_path
) -> None:
    code, out, _ = run(capsys, "audit", "verify", "--url", f"sqlite:///{tmp_path}/audit.db")
    assert code == 0 and "checkpoints not checked: no public key (--public-key" in out


def test_purge_is_a_dry_run_until_yes_and_is_recorded(config, capsys) -> None:
    code, out, _ = run(capsys, "audit", "purge", "--config", str(config), "--before", "2026-01-02")
    assert "would delete up to 24 records" in out
    code, out, _ = run(
        capsys, "audit", "purge", "--config", str(config), "--before", "2026-01-02", "--yes"
    )
    assert code == 0 and "deleted 24 records (through seq 24); recorded as seq 49" in out
    code, out, _ = run(capsys, "audit", "verify", "--config", str(config))
    assert code == 0, out
    code, out, _ = run(capsys, "audit", "tail", "--config", str(config), "-n", "2", "--json")
    purge, verify = (orjson.loads(line) for line in out.splitlines())
    assert purge["decision"] == "purge" and purge["user"] == cli_actor()
    assert verify["details"]["action"] == "audit.verify"  # the verification after it


def _admin_records(tmp_path: Path) -> list[AuditRecord]:
    from gateway.audit.open import open_audit_store

    store = open_audit_store(f"sqlite:///{tmp_path}/audit.db")
    try:
        return [r for r in store.iter_chain() if r.decision == "admin"]
    finally:
        store.close()


def test_every_cli_read_is_an_admin_record_naming_user_host_and_query(
    config, capsys, tmp_path
) -> None:
    where = ("--config", str(config))
    assert run(capsys, "audit", "search", *where, "--user", "alice", "--since", "7d")[0] == 0
    assert run(capsys, "audit", "stats", *where, "--by", "user,provider")[0] == 0
    assert run(capsys, "audit", "export", *where, "--format", "csv", "--decision", "block")[0] == 0
    assert run(capsys, "audit", "tail", *where, "-n", "3")[0] == 0
    assert run(capsys, "usage", *where, "--by", "user,day")[0] == 0  # a usage report reads too
    assert run(capsys, "audit", "verify", *where)[0] == 0
    records = _admin_records(tmp_path)
    assert [(r.details or {})["action"] for r in records] == [
        "audit.read", "audit.stats", "audit.read", "audit.read", "audit.stats", "audit.verify",
    ]  # fmt: skip
    assert [r.path for r in records] == [
        "haetae audit search", "haetae audit stats", "haetae audit export", "haetae audit tail",
        "haetae usage", "haetae audit verify",
    ]  # fmt: skip
    host = socket.gethostname()
    for record in records:
        assert record.user == f"{getpass.getuser()}@{host}" and record.method == "CLI"
        assert record.details is not None and record.details["host"] == host
        assert record.details["role"] == "local"
    search, stats, export, _tail, usage, verify = (r.details or {} for r in records)
    assert usage["query"]["by"] == "user,day"
    assert search["query"] == {"user": "alice", "since": "7d", "limit": "50", "order": "desc"}
    assert stats["query"]["by"] == "user,provider"
    assert export["query"] | {"encoding": "-"} == {
        "decision": "block", "format": "csv", "encoding": "-",
    }  # fmt: skip
    assert verify["result"] == {"ok": True, "problems": 0}
    # the chain still verifies with the reads on it
    assert run(capsys, "audit", "verify", *where)[0] == 0


def test_a_read_that_cannot_be_recorded_shows_nothing(config, capsys, tmp_path) -> None:
    conn = sqlite3.connect(tmp_path / "audit.db")
    with conn:  # the records may be read, but nothing may be added: a read-only copy
        conn.execute(
            "CREATE TRIGGER no_more BEFORE INSERT ON audit_records "
            "BEGIN SELECT RAISE(ABORT, 'read only'); END"
        )
    conn.close()
    code, out, err = run(capsys, "audit", "search", "--config", str(config), "--json")
    assert code == 2 and out == ""
    assert "could not be put on record" in err and "조회를 거부했습니다" in err


def test_a_bad_time_is_a_clear_error(config, capsys) -> None:
    code, _, err = run(capsys, "audit", "search", "--config", str(config), "--since", "soon")
    assert code == 2 and "not a time" in err


@pytest.mark.slow
def test_an_unreachable_store_is_one_line_without_the_password(capsys) -> None:
    code = main(["audit", "tail", "--url", "postgresql://postgres:hunter2@127.0.0.1:9/test"])
    err = capsys.readouterr().err
    assert code == 1 and "cannot use audit store postgresql 127.0.0.1:9/test" in err
    assert "hunter2" not in err and "Traceback" not in err


def test_verify_names_a_tail_deleted_with_its_checkpoints(config, capsys, tmp_path) -> None:
    conn = sqlite3.connect(tmp_path / "audit.db")
    with conn:
        conn.execute("DELETE FROM audit_records WHERE seq > 25")
        conn.execute("DELETE FROM audit_checkpoints WHERE seq > 25")
    conn.close()
    code, out, _ = run(capsys, "audit", "verify", "--config", str(config))
    assert code == 1
    assert "TAMPERED  seq 26: tail_deleted: records 26–" in out and "FAILED" in out
    code, out, _ = run(capsys, "audit", "verify", "--config", str(config), "--witness", "off")
    assert code == 0 and "no witness checked" in out


def test_an_auditor_follows_one_value_by_its_fingerprint(tmp_path, capsys, monkeypatch) -> None:
    from gateway.audit import FindingSummary
    from gateway.audit.build import Fingerprinter

    key = "fingerprint-key-for-the-cli-test-0123"
    config = tmp_path / "haetae.yaml"
    config.write_text(f"audit:\n  url: 'sqlite:///{tmp_path}/audit.db'\n")
    monkeypatch.setenv("HAETAE_AUDIT_KEY", key)
    fingerprint = Fingerprinter(key.encode())
    store = configured_store(load_settings(config, environ={}).audit)
    store.start()

    async def fill() -> None:
        for i, value in enumerate(["900101-1234568", "900101 1234568", "850505-2345678"]):
            record = make(i)
            found = [fingerprint(value, "KR_RRN")]
            record.findings = [FindingSummary("KR_RRN", "messages[0].content", 1, 0.9, found)]
            store.append(record)
        await store.flush()

    asyncio.run(fill())
    store.close()
    code, out, _ = run(capsys, "audit", "fingerprint", "--config", str(config),
                       "--entity", "KR_RRN", "9001011234568")  # fmt: skip
    assert code == 0 and out.splitlines() == [fingerprint("9001011234568")]
    code, out, _ = run(capsys, "audit", "fingerprint", "--config", str(config),
                       "--entity", "KR_RRN", "900101-1234568")  # fmt: skip
    canonical, written = out.splitlines()
    assert canonical == fingerprint("9001011234568") and written.startswith(
        fingerprint("900101-1234568") + "  (as written"
    )
    code, out, _ = run(capsys, "audit", "search", "--config", str(config), "--json",
                       "--fingerprint", canonical.upper())  # fmt: skip
    assert code == 0
    assert sorted(orjson.loads(line)["record_id"] for line in out.splitlines()) == [
        "rec-0",
        "rec-1",
    ]
    code, _, err = run(capsys, "audit", "search", "--config", str(config), "--fingerprint", "1%")
    assert code != 0 and "a fingerprint is 32 hex digits" in err


def test_times_follow_the_zone_asked_for_or_configured(config, capsys) -> None:
    _, out, _ = run(capsys, "audit", "search", "--config", str(config), "--tz", "Asia/Seoul",
                    "--since", "2026-01-01T10:00", "--until", "2026-01-01T12:00",
                    "--order", "asc")  # fmt: skip
    # 10:00 in Seoul is 01:00 UTC: records 1 and 2, shown in Seoul time
    assert [line.split()[0] for line in out.splitlines()] == [
        "2026-01-01T10:00:00.000+09:00",
        "2026-01-01T11:00:00.000+09:00",
    ]
    config.write_text(config.read_text() + "  timezone: Asia/Seoul\n")
    _, out, err = run(capsys, "audit", "stats", "--config", str(config), "--json")
    days = {}
    for line in out.splitlines():
        row = orjson.loads(line)
        days[row["start"]] = days.get(row["start"], 0) + row["count"]
    # Seoul days: the first 15 hours of UTC Jan 1 are Jan 1 there; the last 9 of Jan 2 are Jan 3
    assert days == {
        "2026-01-01T00:00:00.000+09:00": 15,
        "2026-01-02T00:00:00.000+09:00": 24,
        "2026-01-03T00:00:00.000+09:00": 9,
    }
    assert "total: 48 records" in err
    code, _, err = run(capsys, "audit", "stats", "--config", str(config), "--tz", "Seoul")
    assert code != 0 and "Asia/Seoul" in err


def test_relative_times_count_back_from_now(config, capsys, monkeypatch) -> None:
    import gateway.audit.timezone as timezone

    monkeypatch.setattr(timezone.time, "time", lambda: T0 + 48 * 3600.0)
    _, out, _ = run(capsys, "audit", "search", "--config", str(config), "--since", "12h", "--json")
    assert len(out.splitlines()) == 12
    _, out, _ = run(capsys, "audit", "search", "--config", str(config), "--since", "1d",
                    "--until", "12h", "--json")  # fmt: skip
    assert len(out.splitlines()) == 12


def test_a_cross_tab_counts_each_combination_with_totals(config, capsys) -> None:
    code, out, err = run(capsys, "audit", "stats", "--config", str(config),
                         "--by", "user,decision", "--per", "all")  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert lines[:4] == [
        "all        16  alice  allow",
        "all        16  bob  allow",
        "all         8  alice  block",
        "all         8  bob  block",
    ]
    assert "totals:" in lines and "total: 48 records" in err
    code, _, err = run(capsys, "audit", "stats", "--config", str(config), "--by", "rule,entity")
    assert code != 0 and "only one of rule, monitored_rule and entity" in err


@pytest.mark.parametrize(("encoding", "codec"), [("utf-8-sig", "utf-8-sig"), ("cp949", "cp949")])
def test_csv_opens_in_excel_with_korean_text(tmp_path, capsys, encoding, codec) -> None:
    config = tmp_path / "haetae.yaml"
    config.write_text(f"audit:\n  url: 'sqlite:///{tmp_path}/audit.db'\n  timezone: Asia/Seoul\n")
    store = configured_store(load_settings(config, environ={}).audit)
    store.start()

    async def fill() -> None:
        record = make(1)
        record.user, record.groups = "김민수", ["보안팀"]
        store.append(record)
        await store.flush()

    asyncio.run(fill())
    store.close()
    target = tmp_path / "out.csv"
    run(capsys, "audit", "export", "--config", str(config), "--format", "csv",
        "--encoding", encoding, "--output", str(target))  # fmt: skip
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(raw.decode(codec)))
    assert (row["user"], row["groups"]) == ("김민수", "보안팀")
    assert (row["time"], row["utc_offset"]) == ("2026-01-01 10:00:00", "UTC+09:00")


def test_an_emptied_witness_is_a_warning(config, capsys, tmp_path) -> None:
    (tmp_path / "witness" / "audit.db.witness").write_bytes(b"")
    code, out, _ = run(capsys, "audit", "verify", "--config", str(config))
    assert code == 0 and "warning: the witness holds none of the store's checkpoints" in out
    assert "warning: 48 records are newer than the last witnessed checkpoint" in out
