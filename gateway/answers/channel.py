"""One streamed text, judged as it grows, holding back only what could still become a value.

A model writes ``900101-1234568`` as ``"9001"``, ``"01-12"``, ``"34568"``: no
single event holds the value. Each piece is judged together with what is held
and the last characters already sent (their context words, and the start of a
value that began there), and only the trailing characters that could still be
the start of a value are held back:

* a run of value characters at the very end: ASCII letters and digits, the
  separators identifiers and keys use (``- _ . / + = : @ ~ %``), and a space
  between digit groups (``4111 1111``);
* unless that run is a plain word — lower-case or capitalised letters only,
  perhaps ending a sentence with ``.`` or ``:`` — which no identifier or key is
  and which reveals nothing on its own: English prose streams without delay,
  and Hangul is never held;
* and at most ``MAX_HOLD`` characters, the longest identifier the policies
  name (a card number with separators is 23, an AWS secret key 40).

A finding that began in text already sent (a value longer than the hold, or one
whose first piece was a plain word: ``kim`` + ``@example.com``) is edited from
where the caller has not seen it yet; a block ends the stream whatever was sent.
"""

from __future__ import annotations

from gateway.answers.judge import AnswerJudge, Piece
from gateway.detect.findings import Finding

__all__ = ["CONTEXT_CHARS", "MAX_HOLD", "TextChannel", "hold_from"]

#: the most characters one text holds back
MAX_HOLD = 64
#: characters already sent that are scanned again with each piece: context words
#: ("주민번호", "card") and the start of a value begun there
CONTEXT_CHARS = 64

_VALUE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+=:@~%")
_DIGITS = frozenset("0123456789")
#: what may end a plain word at the end of a sentence or clause
_PUNCTUATION = frozenset(".:")


def hold_from(text: str) -> int:
    """Where the tail that could still be the start of a value begins (``len(text)``: none)."""
    end = len(text)
    start = end
    floor = max(end - MAX_HOLD, 0)
    while start > floor:
        char = text[start - 1]
        if char in _VALUE:
            start -= 1
        elif char == " " and start >= 2 and text[start - 2] in _DIGITS:
            start -= 1  # a space after a digit: card and phone groups continue
        else:
            break
    run = text[start:]
    word = run[:-1] if run[-1:] in _PUNCTUATION else run
    if not word or (word.isalpha() and word.isascii() and (word[1:].islower() or len(word) == 1)):
        return end  # a plain word (or nothing), perhaps ending a sentence: nothing to hold
    return start


class TextChannel:
    """One streamed text: ``window(piece)`` to scan, then ``release(found)`` to send.

    At its end, ``window("")`` and ``release(found, final=True)`` send what is held.
    """

    __slots__ = ("_context", "_counted", "_held", "_location", "_sent")

    def __init__(self, location: str) -> None:
        self._location = location
        self._context = ""  # the last CONTEXT_CHARS characters sent, as the model wrote them
        self._held = ""
        self._sent = 0  # characters of the text sent so far
        #: (entity type, absolute start) of the values already counted for the record
        self._counted: set[tuple[str, int]] = set()

    @property
    def held(self) -> str:
        return self._held

    def window(self, piece: str) -> str:
        """What to scan for ``piece``: the context already sent, what is held, the piece.

        The caller scans it (on a worker thread when it is large) and hands the
        findings to :meth:`release`.
        """
        self._held += piece
        return self._context + self._held

    def release(self, found: list[Finding], judge: AnswerJudge, *, final: bool = False) -> str:
        """What may be sent now, edited; ``final``: the text ends, nothing is held.

        ``found`` are the findings in :meth:`window`'s text. Raises ``AnswerBlocked``.
        """
        text = self._held
        base = len(self._context)
        window_end = base + len(text)
        cut = len(text) if final else hold_from(text)
        if not final:
            for finding in found:  # a value reaching the end may still grow: hold it whole
                if finding.end == window_end and window_end - finding.start <= MAX_HOLD:
                    cut = min(cut, max(finding.start - base, 0))
        window = self._context + text
        release, self._held = text[:cut], text[cut:]
        # what the release shows: findings reaching into it, clipped to it
        shown: list[Finding] = []
        new: list[Finding] = []
        origin = self._sent - base  # the window's first character in the whole text
        for finding in found:
            start, end = max(finding.start - base, 0), min(finding.end - base, cut)
            if start >= end:
                continue
            part = finding.start < base or finding.end - base > cut
            shown.append(
                Finding(finding.entity_type, start, end, finding.score, finding.recognizer,
                        1 if part else 0)
            )  # fmt: skip
            key = (finding.entity_type, origin + finding.start)
            if key not in self._counted:  # counted once, when first shown
                self._counted.add(key)
                new.append(finding)
        edited = release
        if shown:
            counted = [(window, f) for f in new]
            edited = judge.judge_piece(Piece(release, shown, counted, self._location))
        self._sent += len(release)
        self._context = (self._context + release)[-CONTEXT_CHARS:]
        if len(self._counted) > 64:  # only values that may reach the window still matter
            oldest = self._sent - len(self._context) - MAX_HOLD
            self._counted = {key for key in self._counted if key[1] >= oldest}
        return edited
