"""``haetae policy bench`` prints its table (speed itself is the table's business)."""

from __future__ import annotations

import pytest

from gateway.dev.bench.policy import run_policy_bench


@pytest.mark.slow
def test_bench_prints_every_case_against_the_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    status = run_policy_bench(quick=True)
    out = capsys.readouterr().out
    for case in ("baseline: empty policy", "default: allow", "synthetic, 100 rules (scale)"):
        assert f"| {case}" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "µs/call" not in line]
    assert len(rows) == 9
    assert status == (1 if any(row.rstrip().endswith("OVER |") for row in rows) else 0)
