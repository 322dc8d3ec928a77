"""The attachment benchmark and the OCR evaluation print the tables the docs quote."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.dev.bench.attachments import run_attachment_benchmark
from gateway.dev.evaluation.ocr import SAMPLES, char_accuracy, run_ocr_evaluation
from gateway.dev.testing import documents


@pytest.mark.parametrize(
    ("reference", "read", "accuracy"),
    [
        ("주민 번호", "주민번호", 1.0),
        ("abcd", "abXd", 0.75),
        ("ab", "", 0.0),
        ("ab", "abcdef", 0.0),
    ],
)
def test_character_accuracy_is_one_minus_the_edit_distance_share(
    reference: str, read: str, accuracy: float
) -> None:
    assert char_accuracy(reference, read) == pytest.approx(accuracy)


@pytest.mark.slow
def test_the_ocr_evaluation_scores_each_script_and_size(tmp_path: Path) -> None:
    output = tmp_path / "ocr.md"
    samples = (SAMPLES[0], SAMPLES[6])  # a Korean and an English line with a resident number
    assert run_ocr_evaluation(output, sizes=(24,), samples=samples) == 0
    rows = output.read_text(encoding="utf-8").splitlines()[2:]
    assert [row.split("|")[1:3] for row in rows] == [[" ko ", " 24 "], [" en ", " 24 "]]
    assert all("1/1 (100%)" in row for row in rows)  # the planted number is found


@pytest.mark.slow
def test_the_benchmark_prints_a_row_per_file(tmp_path: Path) -> None:
    output = tmp_path / "bench.md"
    files = {
        "small PDF": documents.pdf(["Customer 900101-1234568"]),
        "small screenshot": documents.text_image(["hello"]),
    }
    assert run_attachment_benchmark(repeat=1, output=output, files=files) == 0
    rows = output.read_text(encoding="utf-8").splitlines()[2:]
    assert [row.split("|")[1].strip() for row in rows] == ["small PDF", "small screenshot"]
    assert all(row.count(" ms") == 5 for row in rows)
