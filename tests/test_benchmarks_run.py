"""Each benchmark the docs quote runs end to end at its smallest size and prints its
table: a benchmark that crashes or prints nothing is found here, not by the next
person who needs its numbers. (The numbers themselves are never asserted.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real servers, real stores, several seconds each


def _table_rows(text: str) -> list[str]:
    """Markdown table rows that hold measurements (not the header or its rule)."""
    return [
        line
        for line in text.splitlines()
        if line.startswith("|") and not re.fullmatch(r"[|\s:-]+", line) and re.search(r"\d", line)
    ]


def test_the_joined_view_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.joined import REQUESTS, run_joined_benchmark

    assert run_joined_benchmark(rounds=1, names=list(REQUESTS)[:2]) == 0
    rows = _table_rows(capsys.readouterr().out)
    assert len(rows) >= 2 and all("×" in row for row in rows)


def test_the_bare_token_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.bare_tokens import run_bare_token_benchmark

    assert run_bare_token_benchmark(rounds=1, names=["prompt"]) == 0
    rows = _table_rows(capsys.readouterr().out)
    assert len(rows) == 1 and "×" in rows[0]


def test_the_secret_kinds_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.secret_kinds import run_secret_kinds_benchmark

    assert run_secret_kinds_benchmark(rounds=1, names=["keys"]) == 0
    rows = _table_rows(capsys.readouterr().out)
    assert len(rows) == 1 and "×" in rows[0] and rows[0].endswith("| yes |")


def test_the_upload_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.uploads import run_upload_benchmark

    assert run_upload_benchmark(quick=True) == 0
    out = capsys.readouterr().out
    assert "CP949" in out and "batch file" in out
    assert _table_rows(out)


def test_the_forward_proxy_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.forward_proxy import run_forward_proxy_benchmark

    assert run_forward_proxy_benchmark(quick=True) == 0
    assert len(_table_rows(capsys.readouterr().out)) >= 2


def test_the_audit_search_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.audit import run_search_benchmark

    url = f"sqlite:///{tmp_path / 'bench.db'}"
    assert run_search_benchmark(url, records=2000, repeat=2) == 0
    out = capsys.readouterr().out
    assert "user + 1 day" in out and _table_rows(out)


def test_the_telemetry_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.telemetry import main

    assert main(["--requests", "5", "--rounds", "2"]) == 0
    rows = _table_rows(capsys.readouterr().out)
    assert rows and rows[0].startswith("| off ")


def test_the_durable_openings_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.durable import run_durable_benchmark

    assert run_durable_benchmark(rounds=1, quick=True) == 0
    out = capsys.readouterr().out
    for mode in ("baseline", "journal", "commit"):
        assert f"| 1 | {mode} |" in out
    assert "| c32: gateway rps |" in out and "journal (shipped)" in out


def test_the_limits_bench(redis_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.limits import run_limits_benchmark

    assert run_limits_benchmark(rounds=5, redis_url=redis_url) == 0
    out = capsys.readouterr().out
    assert "counted in Redis (loopback)" in out and "PING" in out
    assert len(_table_rows(out)) >= 4  # none, memory, Redis, the PING reference


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_the_console_bench(
    store: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    from gateway.dev.bench.console import run_console_benchmark

    url = request.getfixturevalue("postgres_server") if store == "postgresql" else "sqlite"
    assert run_console_benchmark(records=500, repeat=1, url=url) == 0
    out = capsys.readouterr().out
    rows = [row for row in _table_rows(out) if "×" in row]
    assert [row.split("|")[1].strip() for row in rows] == [
        "overview (7 days)", "audit, newest 50, with total", "audit, second page (cursor)",
        "audit, entity=KR_RRN, 1 day", "audit, one user, 90 days",
        "cross-tab user × provider, 7 days", "cross-tab rule × day, 7 days",
        "export CSV, first rows", "policies",
    ]  # fmt: skip
    assert ("PostgreSQL" if store == "postgresql" else "SQLite") in out
    assert re.search(r"verify the chain .*: [\d,]+ ms, [1-9][\d,]* records a second", out)


@pytest.mark.timeout(600)  # two gateways and three Squids start, on a busy machine slowly
def test_the_icap_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.icap import run_icap_benchmark
    from gateway.dev.testing.squid import find_squid
    from tests.support.services import unavailable

    if find_squid() is None:
        unavailable("squid (Debian package squid-openssl) is not installed")
    assert run_icap_benchmark(quick=True) == 0
    rows = [row for row in _table_rows(capsys.readouterr().out) if row.startswith("| REQMOD")]
    assert len(rows) == 4 and all(row.endswith("| 0 |") for row in rows)  # no request failed


def test_the_company_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.cli import main

    assert main(["bench", "--company", "--quick"]) == 0
    report = capsys.readouterr().out
    assert "20,000 rows" in report and "200 documents" in report
    rows = _table_rows(report)
    assert len(rows) == 3 and all("×" in row for row in rows)


def test_the_attack_bench_measures_the_loops_cpu_per_callback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gateway.dev.bench.attacks import run_attack_benchmark

    assert run_attack_benchmark(("nested",), megabytes=0.1, seconds=0.5, timeout=30) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("| input"))
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    cpu = columns.index("loop CPU per callback max / p99 ms")
    rows = [row for row in _table_rows(out) if row != header]
    assert len(rows) == 2  # the baseline and the attack
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == len(columns)
        # measured, on the stdlib loop: numbers, never "nan" (nothing timed)
        assert re.fullmatch(r"\d+\.\d / \d+\.\d\d", cells[cpu]), cells[cpu]
        assert re.fullmatch(r"\d+", cells[columns.index("callbacks > 10 ms CPU")])


def test_the_writer_cpu_bench(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.dev.bench.writer_cpu import parse_trees, run_writer_cpu_benchmark

    assert run_writer_cpu_benchmark(parse_trees([]), rounds=1, requests=20) == 0
    rows = _table_rows(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0].startswith("| this |") and "×" in rows[0]


def test_the_instruction_count_bench(capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from gateway.dev.bench.instructions import run_instruction_benchmark
    from gateway.dev.bench.writer_cpu import parse_trees

    status = run_instruction_benchmark(parse_trees([]), requests=10)
    captured = capsys.readouterr()
    if shutil.which("valgrind") is None:  # says what it needs instead of a table
        assert status == 2 and "apt-get install valgrind" in captured.err
        return
    assert status == 0
    (row,) = _table_rows(captured.out)
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[0] == "this" and cells[-1] == "×1.00"
    loop, other = (int(cell.replace(",", "")) for cell in cells[1:3])
    assert loop > 500 and other > 50  # a request runs on the loop; its records on the writer


def test_a_failing_workload_ends_and_stops_its_provider(tmp_path: Path) -> None:
    """The echo provider shares the workload's stdout: a failed run must not leave it
    holding the reader's pipe open (the reader would wait for ever)."""
    import os
    import subprocess
    import sys

    import gateway.dev.bench.writer_cpu_workload as workload

    root = Path(workload.__file__).resolve().parents[3]
    environment = {**os.environ, "HAETAE_BENCH_UPSTREAM": "aiohttp", "PYTHONPATH": str(root)}
    unreachable = "nosuch://audit"  # the app cannot be built: the run fails
    done = subprocess.run(
        [sys.executable, workload.__file__, "1", unreachable],
        cwd=root,
        env=environment,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert b"nosuch" in done.stderr
