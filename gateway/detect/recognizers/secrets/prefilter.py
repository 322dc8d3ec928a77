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

The automaton pass itself is ~13 µs per KB of Hangul text (~12 ns/char); ``in`` costs ~100 µs
because each ASCII needle is searched in a UCS-2 string separately. The rest of the 1 KB
cost was Presidio's per-recognizer loop, since cut by ``dispatch`` (its docstring has the
numbers). Keyword kinds whose word is frequent ("token")
additionally match only at the automaton's hit offsets (``SecretRecognizer.WINDOW``).

Markers (token prefixes such as ``AKIA``, ``sk-``) are matched in their exact case; keywords
(key and vendor names) in any case, so ``aCCess key`` opens the same gate as ``access key``.
One pass serves both: the automaton runs over the lower-cased text and a marker hit is
confirmed against the original characters.

The cache is a single slot holding the last text *object* (compared with ``is``; holding it
keeps its id from being reused). Threads scanning different texts at once only cost each
other a recomputation, never a wrong answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import ahocorasick

__all__ = ["Hits", "find_words", "is_marker", "register", "words_present"]

#: word → start offsets of its occurrences in the text
Hits = Mapping[str, list[int]]

_words: dict[str, bool] = {}  # every registered word → whether its case must match
_lock = threading.Lock()
_automaton: Any = None
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


def _build() -> Any:
    global _automaton
    with _lock:
        if _automaton is None:
            spellings: dict[str, list[tuple[str, bool]]] = {}
            for word, case_sensitive in _words.items():
                spellings.setdefault(word.lower(), []).append((word, case_sensitive))
            automaton = ahocorasick.Automaton()
            for lowered, words in spellings.items():
                automaton.add_word(lowered, (len(lowered), tuple(words)))
            automaton.make_automaton()
            _automaton = automaton
        return _automaton


def _lower(text: str) -> str:
    """``text`` in lower case, the same length (İ is the one letter whose lower case grows)."""
    return (text.replace("\u0130", "i") if "\u0130" in text else text).lower()


def _hits(text: str) -> Iterable[tuple[str, int]]:
    """(registered word, start) of each occurrence in ``text``."""
    automaton = _automaton if _automaton is not None else _build()
    for end, (size, words) in automaton.iter(_lower(text)):
        start = end - size + 1
        for word, case_sensitive in words:
            if not case_sensitive or text.startswith(word, start):
                yield word, start


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
