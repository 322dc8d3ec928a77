"""Why a candidate was considered and not reported, for ``haetae scan --explain``.

A recognizer that drops a candidate (a placeholder, a documented example, a failed
checksum, a hash) calls ``note_rejected``. On the request path nobody collects, and a
note costs one ``ContextVar.get``; ``collecting()`` turns collection on for one scan, in
one thread or task only, so concurrent scans never see each other's notes.

A note never holds the value itself: only its span, its entity and the reason. Whoever
prints it masks the text at that span (``detect/transforms.mask_value``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Rejection", "collecting", "is_collecting", "muted", "note_rejected", "remapped"]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A candidate that was not reported: where, as what, and why (in English)."""

    entity_type: str
    start: int
    end: int
    reason: str
    recognizer: str


_sink: ContextVar[list[Rejection] | None] = ContextVar("haetae_rejections", default=None)


def is_collecting() -> bool:
    """Whether someone listens: a recognizer may skip work that only explains."""
    return _sink.get() is not None


def note_rejected(entity_type: str, start: int, end: int, reason: str, recognizer: str) -> None:
    """Record a dropped candidate when a scan is being explained; otherwise nothing."""
    sink = _sink.get()
    if sink is not None:
        sink.append(Rejection(entity_type, start, end, reason, recognizer))


@contextmanager
def collecting() -> Iterator[list[Rejection]]:
    """Collect the notes of the scans run inside the block into the yielded list."""
    notes: list[Rejection] = []
    token = _sink.set(notes)
    try:
        yield notes
    finally:
        _sink.reset(token)


@contextmanager
def muted() -> Iterator[None]:
    """Drop the notes of the block: its offsets are not the caller's (decoded text)."""
    if _sink.get() is None:
        yield
        return
    token = _sink.set([])
    try:
        yield
    finally:
        _sink.reset(token)


@contextmanager
def remapped(span: Callable[[int, int], tuple[int, int]] | None) -> Iterator[None]:
    """Pass the block's notes on with offsets mapped by ``span`` (a view's to the text's)."""
    outer = _sink.get()
    if outer is None or span is None:
        yield
        return
    with collecting() as notes:
        yield
    for note in notes:
        start, end = span(note.start, note.end)
        outer.append(Rejection(note.entity_type, start, end, note.reason, note.recognizer))
