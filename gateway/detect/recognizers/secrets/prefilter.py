"""One Aho–Corasick automaton over every secret recognizer's literal markers and keywords.

Most prompts contain no credential at all, so the common case must cost one pass over the
text, not one substring search per marker per recognizer. The engine registers the secret
kinds as one recognizer (``dispatch.SecretKinds``): it runs the automaton once, caches where
each word occurs, and calls only the kinds whose words occurred (each checks its own words
against the cache again, ``frozenset.isdisjoint``, ~0.1 µs).

Measured (2 vCPU, p50 of ``DetectionEngine.scan``, best of 3 runs; a 1 KB Korean/English
prompt and a 50 KB code/log text, neither holding a secret; the log says "token" ~600 times):

======================================  ===========  =========
gate (50 secret kinds)                  1 KB prompt  50 KB log
======================================  ===========  =========
``in`` per word, per kind (~190 words)  0.176 ms     5.41 ms
shared automaton (chosen)               0.070 ms     0.93 ms
======================================  ===========  =========

The automaton is a DFA over UTF-8 bytes (``ahocorasick_rs``, Rust's ``aho-corasick``)
since the table grew to ~560 words: counted with callgrind on the bench's 1 KB Korean and
English prompt, ``words_present`` took 203 k instructions with ``pyahocorasick``'s trie over
``str.lower(text)`` and takes 83 k (a 228-character English answer: 74 k → 44 k); lowering
Korean text as a string alone was 41 k. ``in`` per needle costs far more still: each
ASCII needle is searched in a UCS-2 string separately. The rest of the 1 KB
cost was Presidio's per-recognizer loop, since cut by ``dispatch`` (its docstring has the
numbers). Keyword kinds whose word is frequent ("token")
additionally match only at the automaton's hit offsets (``SecretRecognizer.WINDOW``).

Markers (token prefixes such as ``AKIA``, ``sk-``) are matched in their exact case; keywords
(key and vendor names) in any case, so ``aCCess key`` opens the same gate as ``access key``.
One pass serves both: the automaton runs over the lower-cased text and a marker hit is
confirmed against the original bytes (``_hits``).

The cache is a single slot holding the last text *object* (compared with ``is``; holding it
keeps its id from being reused). Threads scanning different texts at once only cost each
other a recomputation, never a wrong answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

import ahocorasick_rs

__all__ = ["Hits", "find_words", "is_marker", "register", "words_present"]

#: word → start offsets of its occurrences in the text
Hits = Mapping[str, list[int]]

_words: dict[str, bool] = {}  # every registered word → whether its case must match
_lock = threading.Lock()
_automaton: _Automaton | None = None
_EMPTY: frozenset[str] = frozenset()
_NO_HITS: Hits = {}
_last: tuple[str | None, Hits] = (None, _NO_HITS)


def register(words: Iterable[str], case_sensitive: bool = True) -> None:
    """Add a recognizer's gate words; the automaton is rebuilt on next use.

    A word registered both ways is matched in any case: a wider gate only runs a pattern
    that then decides.
    """
    global _automaton
    # New words, and case-sensitive ones now also wanted in any case.
    new = [w for w in words if w and _words.get(w, not case_sensitive) and not case_sensitive]
    new += [w for w in words if w and w not in _words and case_sensitive]
    if not new:
        return
    with _lock:
        for word in new:
            _words[word] = case_sensitive
        _automaton = None


#: a registered spelling: the word, whether its case must match, and its UTF-8 bytes
_Spelling = tuple[str, bool, bytes]


class _Automaton:
    """The registered words, lower-cased, in one DFA over UTF-8 bytes, and for each the
    registered spellings it stands for."""

    def __init__(self, words: Mapping[str, bool]) -> None:
        spellings: dict[str, list[_Spelling]] = {}
        for word, case_sensitive in words.items():
            spelling = (word, case_sensitive, word.encode("utf-8", "surrogatepass"))
            spellings.setdefault(word.lower(), []).append(spelling)
        lowered = list(spellings)
        self.spellings = [tuple(spellings[word]) for word in lowered]
        # Lowering ASCII letters alone (``bytes.lower``) reads like ``str.lower`` for words
        # whose every other character is caseless (Hangul, digits, punctuation); a word
        # with another cased letter needs the full lower case of the text.
        self.ascii_case = all(_caseless_beyond_ascii(word) for word in lowered)
        self.search = ahocorasick_rs.BytesAhoCorasick(
            [word.encode("utf-8", "surrogatepass") for word in lowered],
            implementation=ahocorasick_rs.Implementation.DFA,
        ).find_matches_as_indexes


def _caseless_beyond_ascii(word: str) -> bool:
    return all(char.isascii() or char.lower() == char.upper() for char in word)


def _build() -> _Automaton:
    global _automaton
    with _lock:
        if _automaton is None:
            _automaton = _Automaton(_words)
        return _automaton


def _lower(text: str) -> str:
    """``text`` in lower case, the same length (İ is the one letter whose lower case grows)."""
    return (text.replace("\u0130", "i") if "\u0130" in text else text).lower()


#: the two characters beyond ASCII whose lower case is an ASCII letter (İ, the Kelvin sign)
_LOWERED_TO_ASCII = ("\u0130", "\u212a")
#: UTF-8 continuation bytes: a text's characters are its bytes less these
_CONTINUATION = bytes(range(0x80, 0xC0))


def _hits(text: str) -> list[tuple[str, int]]:
    """(registered word, start) of each occurrence in ``text``.

    The automaton reads the text's UTF-8 bytes with ASCII letters lowered (``str.lower``
    of Korean text costs ~60 instructions a character, ``bytes.lower`` one). A marker is
    confirmed against the bytes as written; a byte offset becomes a character offset only
    for what is kept. A text holding İ or the Kelvin sign, or words with other cased
    letters, take ``str.lower`` instead, so the same words are found.
    """
    automaton = _automaton if _automaton is not None else _build()
    out: list[tuple[str, int]] = []
    if text.isascii():
        data = text.encode("ascii")
        for index, start, _ in automaton.search(data.lower(), overlapping=True):
            for word, case_sensitive, _ in automaton.spellings[index]:
                if not case_sensitive or text.startswith(word, start):
                    out.append((word, start))
        return out
    if automaton.ascii_case and not any(char in text for char in _LOWERED_TO_ASCII):
        data = text.encode("utf-8", "surrogatepass")
        kept: list[tuple[str, int]] = []
        for index, start, _ in automaton.search(data.lower(), overlapping=True):
            for word, case_sensitive, encoded in automaton.spellings[index]:
                if not case_sensitive or data.startswith(encoded, start):
                    kept.append((word, start))
        if kept:
            kept.sort(key=_start)
            byte_at = char_at = 0
            for word, start in kept:
                char_at += len(data[byte_at:start].translate(None, _CONTINUATION))
                byte_at = start
                out.append((word, char_at))
        return out
    # the slow way: the text lowered as a string, each hit's offset in characters
    data = _lower(text).encode("utf-8", "surrogatepass")
    found = automaton.search(data, overlapping=True)
    found.sort(key=_start)
    byte_at = char_at = 0
    for index, start, _ in found:
        char_at += len(data[byte_at:start].translate(None, _CONTINUATION))
        byte_at = start
        for word, case_sensitive, _ in automaton.spellings[index]:
            if not case_sensitive or text.startswith(word, char_at):
                out.append((word, char_at))
    return out


def _start(hit: tuple[object, int, object] | tuple[object, int]) -> int:
    return hit[1]


def is_marker(word: str) -> bool:
    """Whether ``word`` is a token marker (matched in its exact case), not a keyword."""
    return _words.get(word, False)


def find_words(text: str) -> frozenset[str]:
    """Return the registered words occurring in ``text`` (uncached)."""
    if not text:
        return _EMPTY
    found = {word for word, _ in _hits(text)}
    return frozenset(found) if found else _EMPTY


def words_present(text: str) -> Hits:
    """Return where registered words occur in ``text``, computed once per text object."""
    global _last
    last = _last
    if last[0] is text:
        return last[1]
    hits: dict[str, list[int]] = {}
    for word, start in _hits(text):
        if word in hits:
            hits[word].append(start)
        else:
            hits[word] = [start]
    found: Hits = hits if hits else _NO_HITS
    _last = (text, found)
    return found
