"""The scan's first look: could any registered recognizer find anything in this text?

Most texts hold nothing to find (a 1 KB prompt in prose, a short answer), yet a Presidio
call runs every recognizer, its context pass, de-duplication and thresholds. A recognizer
that declares ``may_match(text)`` promises: when it returns False, ``analyze(text)``
returns no result and notes no rejection (``detect/rejections.py``). The engine's
analyzer (``FixedAnalyzerEngine.analyze_gated``) calls only the recognizers that may
match, and nothing at all when none may; a recognizer that declares nothing is always
called. Presidio's steps after the recognizers (context, thresholds, de-duplication) run
as in its ``analyze``. So a finding, a score, an explanation or a ``not_reported`` note
never changes: only calls that could only return nothing are skipped.

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

from collections.abc import Callable

import regex
from presidio_analyzer import EntityRecognizer

__all__ = ["Gate", "ascii_bytes", "digit_run", "gate_of", "has_digit"]

Gate = Callable[[str], bool]

_ANY_DIGIT = regex.compile(r"\d")


def digit_run(pattern: str) -> Gate:
    """A gate true when ``pattern`` (digits, in the ``regex`` module's sense) occurs."""
    compiled = regex.compile(pattern)

    def gate(text: str) -> bool:
        return has_digit(text) and compiled.search(text) is not None

    return gate


_last_digits: tuple[str | None, bool] = (None, False)


def has_digit(text: str) -> bool:
    """Whether ``text`` holds a digit; the last text's answer is kept (several gates ask).

    Ten substring tests rule out most prose before any regex runs; a text that is not
    ASCII is still searched for the other scripts' digits. The cache is one slot, the
    text object itself (compared with ``is``, and held so its id is not reused): threads
    scanning different texts only cost each other a recomputation.
    """
    global _last_digits
    last = _last_digits
    if last[0] is text:
        return last[1]
    found = (
        "0" in text
        or "1" in text
        or "2" in text
        or "3" in text
        or "4" in text
        or "5" in text
        or "6" in text
        or "7" in text
        or "8" in text
        or "9" in text
        or (not text.isascii() and _ANY_DIGIT.search(text) is not None)
    )
    _last_digits = (text, found)
    return found


_last_ascii: tuple[str | None, bytes] = (None, b"")
#: longer texts are encoded each time rather than held in the slot
_ASCII_SLOT_CHARS = 64 * 1024


def ascii_bytes(text: str) -> bytes:
    """``text.encode("ascii", "replace")``: one byte a character, ``?`` beyond ASCII.

    The disguise probes and the bare-token gate look at the same text in turn, and
    encoding Korean text costs ~10 instructions a character, so the last text's copy is
    kept (one slot, the text object itself, as ``has_digit`` keeps its answer).
    """
    global _last_ascii
    last = _last_ascii
    if last[0] is text:
        return last[1]
    data = text.encode("ascii", "replace")
    if len(text) <= _ASCII_SLOT_CHARS:
        _last_ascii = (text, data)
    return data


def gate_of(recognizer: EntityRecognizer) -> Gate | None:
    """``recognizer.may_match`` when it speaks for the ``analyze`` that runs, else None."""
    mro = type(recognizer).__mro__
    gated = next((cls for cls in mro if "may_match" in vars(cls)), None)
    analyzing = next((cls for cls in mro if "analyze" in vars(cls)), None)
    if gated is None or analyzing is None or mro.index(analyzing) < mro.index(gated):
        return None
    may_match: Gate = recognizer.may_match  # type: ignore[attr-defined]  # checked above
    return may_match
