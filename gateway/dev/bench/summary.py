"""What the benches print: percentiles of their samples, and the table to stdout or a file."""

from __future__ import annotations

from pathlib import Path

__all__ = ["emit", "p90"]


def p90(values: list[float]) -> float:
    """The 90th percentile (nearest rank below), of samples in any order."""
    ordered = sorted(values)
    return ordered[int(0.9 * (len(ordered) - 1))]


def emit(text: str, output: Path | None) -> int:
    """Print the table and, when asked, write it to ``output``; the bench's exit status."""
    print(text)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
    return 0
