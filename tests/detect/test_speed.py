"""The speed comparison in ``haetae eval``: its texts, its table and the start-up probe.

No timing is asserted here (timings belong in the benchmark's own table); these tests
check that the benchmark measures what it says it measures.
"""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.dev.evaluation.speed import (
    code_and_logs,
    default_policy_entities,
    measure_speed,
    measure_startup,
    prompt_1kb,
    render_speed,
)


def test_texts_are_the_sizes_they_claim_and_stable() -> None:
    assert 1020 <= len(prompt_1kb().encode()) <= 1024
    logs = code_and_logs()
    assert 50 * 1024 - 4 <= len(logs.encode()) <= 50 * 1024
    assert logs == code_and_logs()
    assert logs.count("\n") > 300


def test_the_prompt_holds_personal_data_and_the_logs_none_the_policy_blocks() -> None:
    engine = DetectionEngine(default_policy_entities())
    assert {f.entity_type for f in engine.scan(prompt_1kb()) if f.score >= 0.5} == {
        "EMAIL_ADDRESS"  # the default policy does not scan phone numbers
    }
    assert [f for f in engine.scan(code_and_logs()) if f.score >= 0.5] == []


def test_default_policy_entities_exclude_names() -> None:
    entities = default_policy_entities()
    assert "KR_RRN" in entities and "SECRET_AWS_ACCESS_KEY" in entities
    assert "PERSON" not in entities


def test_table_has_every_detector_and_ratios_to_the_baseline() -> None:
    calls: list[str] = []

    def fake(name: str) -> object:
        return lambda text: calls.append(name)

    rows = measure_speed([("A", fake("A")), ("Base", fake("Base"))], runs_1kb=3, runs_50kb=2)
    assert [row.text for row in rows] == ["1 KB prompt", "50 KB logs and code"]
    assert calls.count("A") == calls.count("Base") == (1 + 3) + (1 + 2)  # warm-up + runs
    table = render_speed(rows, "Base", [])
    assert "| Base / A |" in table
    assert table.count("×") == 2


@pytest.mark.slow
@pytest.mark.parametrize(("entities", "presidio"), [({"KR_RRN"}, False), (None, True)])
def test_startup_is_measured_in_a_fresh_interpreter(
    entities: set[str] | None, presidio: bool
) -> None:
    row = measure_startup("probe", entities, presidio=presidio)
    assert row.entities == (1 if entities else 6)
    assert row.seconds > 0 and row.rss_mb > 20
