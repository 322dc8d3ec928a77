"""Notes on dropped candidates: collected only when asked, at the text's own offsets."""

from __future__ import annotations

import base64

from gateway.detect import DetectionEngine
from gateway.detect.rejections import collecting, is_collecting, muted, note_rejected, remapped


def test_nothing_is_collected_unless_a_scan_is_explained() -> None:
    assert not is_collecting()
    note_rejected("X", 0, 1, "why", "r")  # no listener: nothing happens
    with collecting() as notes:
        assert is_collecting()
        note_rejected("X", 0, 1, "why", "r")
        with muted():
            note_rejected("X", 5, 6, "decoded text", "r")
        with remapped(lambda start, end: (start + 10, end + 10)):
            note_rejected("X", 1, 2, "in a view", "r")
        with remapped(None):
            note_rejected("X", 3, 4, "unchanged view", "r")
    assert [(n.start, n.end, n.reason) for n in notes] == [
        (0, 1, "why"),
        (11, 12, "in a view"),
        (3, 4, "unchanged view"),
    ]
    with muted(), remapped(lambda start, end: (0, 0)):
        note_rejected("X", 0, 1, "nobody listens", "r")


def test_offsets_of_a_normalized_text_map_back_to_the_original() -> None:
    engine = DetectionEngine(["GENERIC_SECRET"])
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    text = f"\u200b\u200bsha {digest}"  # zero-width characters shift the view
    (note,) = engine.not_reported(text)
    assert text[note.start : note.end] == digest


def test_what_only_a_decoded_blob_holds_is_not_listed() -> None:
    engine = DetectionEngine(["GENERIC_SECRET"])
    inner = "placeholder xxxxxxxxxxxxxxxxxxxxxxxx1 inside"
    blob = base64.b64encode(inner.encode()).decode()
    notes = engine.not_reported(f"data {blob}")
    assert all(n.start >= 5 and n.end <= 5 + len(blob) for n in notes)
    assert all(n.reason != "placeholder" for n in notes)
