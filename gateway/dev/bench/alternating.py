"""Two scanners on the same texts, timed alternately in one process: a Markdown table.

Other jobs share the machine, so a number from another run says little; alternating
rounds of the two in one process, and the median of each, do. Time is process CPU.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence

__all__ = ["Scan", "compare_scans"]

Scan = Callable[[str], object]


def _cpu(scan: Scan, text: str, repeat: int) -> float:
    began = time.process_time()
    for _ in range(repeat):
        scan(text)
    return (time.process_time() - began) / repeat


def compare_scans(
    title: str,
    labels: tuple[str, str, str],
    before: Scan,
    after: Scan,
    texts: Iterable[tuple[str, str]],
    rounds: int,
    note: Callable[[str], str],
) -> list[str]:
    """Print a table, one row per (label, text): median ms of each, ratio, ``note(text)``.

    ``labels``: the headings of the two timed columns and of the note. Each scan runs
    once on the text before timing (warm-up). Returns the rows.
    """
    rows: list[str] = []
    for label, text in texts:
        repeat = max(1, 20_000 // len(text))
        before(text)
        after(text)
        old_times: list[float] = []
        new_times: list[float] = []
        for _ in range(rounds):
            old_times.append(_cpu(before, text, repeat))
            new_times.append(_cpu(after, text, repeat))
        old, new = statistics.median(old_times), statistics.median(new_times)
        rows.append(
            f"| {label} | {len(text):,} | {old * 1e3:.3f} | {new * 1e3:.3f} | ×{new / old:.2f} "
            f"| {note(text)} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    _print_table(title, rounds, labels, rows)
    return rows


def _print_table(
    title: str, rounds: int, labels: tuple[str, str, str], rows: Sequence[str]
) -> None:
    first, second, note = labels
    print(
        "\n".join(
            [
                f"{title} — {time.strftime('%Y-%m-%d %H:%M')} — median process CPU of "
                f"{rounds} alternating rounds",
                "",
                f"| text | characters | {first} ms | {second} ms | ratio | {note} |",
                "|---|---|---|---|---|---|",
                *rows,
            ]
        )
    )
