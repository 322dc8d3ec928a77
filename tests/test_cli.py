"""The ``haetae`` command as a newcomer uses it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gateway.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_demo_shows_allowed_redacted_and_blocked_then_audit_tail_lists_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    policy = str(ROOT / "policies" / "default.yaml")
    assert main(["demo", "--port", "0", "--policy", policy, "--exit"]) == 0
    shown = capsys.readouterr().out
    assert "HTTP 200, decision allow" in shown
    assert "HTTP 200, decision redact" in shown
    assert "provider received: Draft a reply to <EMAIL_ADDRESS>" in shown
    assert shown.count("HTTP 403, decision block") == 2
    assert "pipa-resident-number" in shown and "no-cn-jurisdiction" in shown
    assert "900101-1234568" in shown  # the demo prints its own prompt...
    assert main(["audit", "tail", "--url", "sqlite:///var/demo-audit.db"]) == 0
    tail = capsys.readouterr().out.splitlines()
    # a forwarded request: its opening, then its completion; a refusal: one record
    decisions = [line.split()[1] for line in tail]
    assert decisions == ["allow", "complete", "redact", "complete", "block", "block"]
    assert "900101-1234568" not in "\n".join(tail)  # ...but the audit log never does


def test_audit_tail_json_reads_the_store_named_by_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "haetae.yaml"
    config.write_text(f"audit: {{url: 'sqlite:///{tmp_path}/none.db'}}\n")
    assert main(["audit", "tail", "--config", str(config), "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_serve_with_an_invalid_config_exits_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "haetae.yaml"
    config.write_text("listen: {port: not-a-port}\n")
    assert main(["serve", "--config", str(config)]) == 2
    assert "listen.port" in capsys.readouterr().err


def test_serve_with_a_broken_policy_exits_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("policy: p\nrules: [{id: a, when: {entities: [KR_RNN]}, action: block}]\n")
    assert main(["serve", "--policy", str(policy), "--port", "0"]) == 2
    assert "KR_RNN" in capsys.readouterr().err


def test_scan_prints_findings_with_offsets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "메일은 kim@example.co.kr 이고 주민번호는 900101-1234568 입니다"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["scan"]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert {(f["entity_type"], text[f["start"] : f["end"]]) for f in findings} >= {
        ("EMAIL_ADDRESS", "kim@example.co.kr"),
        ("KR_RRN", "900101-1234568"),
    }


@pytest.mark.slow
def test_bench_prints_the_comparison_table_without_errors(tmp_path: Path) -> None:
    output = tmp_path / "bench.md"
    assert main(["bench", "--quick", "--transport", "aiohttp", "--output", str(output)]) == 0
    rows = [line for line in output.read_text().splitlines() if line.startswith("| aiohttp |")]
    assert [row.split("|")[2:4] for row in rows[:4]] == [
        [" 1 KB ", " 1 "],
        [" 1 KB ", " 32 "],
        [" 32 KB ", " 1 "],
        [" 32 KB ", " 32 "],
    ]
    for row in rows[:4]:
        cells = [cell.strip() for cell in row.split("|")]
        assert float(cells[5]) > 0  # gateway requests/s
        assert cells[-2] == "0"  # errors
    assert len(rows) == 5  # plus the time-to-first-byte row


@pytest.mark.slow
def test_the_answers_bench_compares_inspection_on_and_off(tmp_path: Path) -> None:
    output = tmp_path / "answers.md"
    assert main(["bench", "--answers", "--quick", "--output", str(output)]) == 0
    rows = [line.split("|") for line in output.read_text().splitlines() if line.startswith("| ")]
    measures = [row[1].strip() for row in rows[2:]]
    assert measures == [
        "time to first byte, clean stream",
        "delay per event, clean stream",
        "non-streamed 2 KB answer, whole request",
    ]
    for row in rows[2:]:
        assert float(row[2].split()[0]) > 0 and float(row[3].split()[0]) > 0


def test_scan_jsonl_reads_a_corpus_line_by_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = '{"id": "a", "text": "mail kim@example.com"}\n\n{"id": 7, "text": "nothing"}\n'
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["scan", "--jsonl", "--entities", "EMAIL_ADDRESS"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [item["id"] for item in out] == ["a", 7]
    assert out[0]["findings"][0]["entity_type"] == "EMAIL_ADDRESS"
    assert out[1]["findings"] == []


def test_scan_explain_shows_how_the_score_was_reached(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("id 900101-1234568"))
    assert main(["scan", "--explain", "--entities", "KR_RRN"]) == 0
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["explanation"]["validation_result"] is True
    assert finding["explanation"]["original_score"] < finding["score"]


def test_scan_explain_says_why_candidates_were_not_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    invented = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"  # GitHub's docs: CRC32 fails
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    text = (
        f"k3j9x0q2m7z5w8p1r4t6\nAWS docs: AKIAIOSFODNN7EXAMPLE\nsha256 {digest}\n"
        "postgres://app:${DB_PASSWORD}@db/app\n"
        f"{invented}\nkey Xk9fQ2LmT7vR3pW8sZ1nB4cD6hJ0aE5y\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["scan", "--explain"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    reasons = {(n["entity_type"], n["reason"]) for n in report["not_reported"]}
    assert ("SECRET_AWS_ACCESS_KEY", "documented example (AWS (access key id))") in reasons
    assert ("GENERIC_SECRET", "hex: a hash, digest, commit or id") in reasons
    assert ("SECRET_DB_URL", "placeholder") in reasons
    assert any(e == "SECRET_GITHUB_TOKEN" and "checksum invalid" in r for e, r in reasons)
    reported = {text[f["start"] : f["end"]]: f for f in report["findings"]}
    assert reported["Xk9fQ2LmT7vR3pW8sZ1nB4cD6hJ0aE5y"]["entity_type"] == "GENERIC_SECRET"
    assert "informational" in reported["k3j9x0q2m7z5w8p1r4t6"]["note"]
    # what was not reported is shown masked, never in full
    for raw in ("AKIAIOSFODNN7EXAMPLE", digest, invented):
        assert raw not in out
    assert all(n["value"].count("*") >= len(n["value"]) // 2 for n in report["not_reported"])


def test_scan_rejects_bad_input_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("not json\n"))
    assert main(["scan", "--jsonl"]) == 2
    assert "line 1" in capsys.readouterr().err
    assert main(["scan", "--entities", "NOPE"]) == 2
    assert "NOPE" in capsys.readouterr().err
