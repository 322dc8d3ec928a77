"""The scan's first look: could any registered recognizer find anything in this text?

Most texts hold nothing to find (a 1 KB prompt in prose, a short answer), yet a Presidio
call runs every recognizer, its context pass, de-duplication and thresholds. A recognizer
that declares ``may_match(text)`` promises: when it returns False, ``analyze(text)``
returns no result and notes no rejection (``detect/rejections.py``). When every
registered recognizer says so, the engine skips the call; when any says yes, or one
declares nothing, Presidio runs as before, every recognizer included. So a finding, a
score, an explanation or a ``not_reported`` note never changes: only calls that could
only return nothing are skipped.

The look is taken on the exact text Presidio would read: the normalized view (digits of
every script folded, spelled-out digits written as digits, escapes decoded), the
digit-group views and decoded base64 each get their own, since each is its own call.

A ``may_match`` speaks only for the ``analyze`` of its own class or of a class above it:
a subclass that overrides ``analyze`` without declaring its own ``may_match`` is never
gated (``gate_of``).

Digit runs are looked for with the ``regex`` module, which Presidio's patterns use: its
``\\d`` knows about a hundred digits that ``re``'s does not (newer Unicode), and the
normalized view folds only those ``unicodedata`` knows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import regex
from presidio_analyzer import EntityRecognizer

__all__ = ["Gate", "ScanGate", "digit_run", "gate_of"]

Gate = Callable[[str], bool]

_ANY_DIGIT = regex.compile(r"\d")


def digit_run(pattern: str) -> Gate:
    """A gate true when ``pattern`` (digits, in the ``regex`` module's sense) occurs.

    Ten substring tests rule out most prose before any regex runs; a text that is not
    ASCII is still searched for the other scripts' digits.
    """
    compiled = regex.compile(pattern)

    def gate(text: str) -> bool:
        if (
            "0" not in text
            and "1" not in text
            and "2" not in text
            and "3" not in text
            and "4" not in text
            and "5" not in text
            and "6" not in text
            and "7" not in text
            and "8" not in text
            and "9" not in text
            and (text.isascii() or _ANY_DIGIT.search(text) is None)
        ):
            return False
        return compiled.search(text) is not None

    return gate


def gate_of(recognizer: EntityRecognizer) -> Gate | None:
    """``recognizer.may_match`` when it speaks for the ``analyze`` that runs, else None."""
    mro = type(recognizer).__mro__
    gated = next((cls for cls in mro if "may_match" in vars(cls)), None)
    analyzing = next((cls for cls in mro if "analyze" in vars(cls)), None)
    if gated is None or analyzing is None or mro.index(analyzing) < mro.index(gated):
        return None
    may_match: Gate = recognizer.may_match  # type: ignore[attr-defined]  # checked above
    return may_match


class ScanGate:
    """Whether a Presidio call over ``recognizers`` could return anything for a text.

    ``may_match`` is always True when some recognizer declares no gate (a policy's
    dictionary, a name recognizer): such a set is never skipped.
    """

    def __init__(self, recognizers: Sequence[EntityRecognizer]) -> None:
        gates = [gate_of(recognizer) for recognizer in recognizers]
        self.gates: tuple[Gate, ...] | None = (
            None if any(gate is None for gate in gates) else tuple(g for g in gates if g)
        )

    def may_match(self, text: str) -> bool:
        gates = self.gates
        if gates is None:
            return True
        return any(gate(text) for gate in gates)
