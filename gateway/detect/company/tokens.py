"""Words and code tokens, and their keyed 64-bit hashes: the one vocabulary of company matching.

Both the exact-data index (names, free text) and the document fingerprints hash what they
keep through ``TokenHasher``: a keyed BLAKE2b of each normalised token, so an index holds
nothing a reader without the key can test a guess against. Sequences of tokens (a
two-word name, a k-gram of a document) are combined from the token hashes with a
polynomial over 64-bit integers and one mixing step (``combine``), in numpy, so a
1 KB prompt costs one keyed hash per distinct word, not one per n-gram.

Prose is read as words (``\\w+``, NFKC, case-folded): punctuation, spacing and line breaks
do not change it. Code is read as tokens with every identifier that is not a keyword
replaced by one placeholder, literals by theirs and comments dropped, so renaming
variables or reformatting does not change it either.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CODE_KEYWORDS",
    "TokenHasher",
    "Tokens",
    "code_tokens",
    "combine",
    "key_check",
    "word_tokens",
]

U64 = npt.NDArray[np.uint64]

_WORD: Final = re.compile(r"\w+")
# Strings first, so that a '#' or '//' inside a string is not a comment; a backtick is an
# operator, so that a Markdown fence (```python) never turns the code in it into a string.
# Long strings and block comments are found by their opener only and their end with
# ``str.find``: an unclosed one runs to the end of the text, so no opener is read twice.
_CODE: Final = re.compile(
    r"(?P<long>\"\"\"|'''|/\*)"
    r'|(?P<str>"(?:[^"\\\n]|\\.){0,2000}"'
    r"|'(?:[^'\\\n]|\\.){0,2000}')"
    r"|(?P<comment>//[^\n]*|\#[^\n]*|--[ \t][^\n]*)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<num>\d[\w.]*)"
    r"|(?P<op>[^\s\w,;]{1,3}?)"
)
_CLOSER: Final = {'"""': '"""', "'''": "'''", "/*": "*/"}

#: Kept as themselves in code: the structure of a function is its keywords and operators.
CODE_KEYWORDS: Final = frozenset(
    [
        "abstract",
        "and",
        "as",
        "assert",
        "async",
        "await",
        "begin",
        "break",
        "case",
        "catch",
        "char",
        "chan",
        "class",
        "const",
        "continue",
        "def",
        "default",
        "defer",
        "del",
        "delete",
        "do",
        "double",
        "elif",
        "else",
        "end",
        "enum",
        "except",
        "export",
        "extends",
        "extern",
        "false",
        "final",
        "finally",
        "float",
        "fn",
        "for",
        "foreach",
        "from",
        "func",
        "function",
        "go",
        "goto",
        "if",
        "impl",
        "implements",
        "import",
        "in",
        "instanceof",
        "int",
        "interface",
        "is",
        "lambda",
        "let",
        "long",
        "loop",
        "match",
        "mod",
        "module",
        "mut",
        "namespace",
        "new",
        "nil",
        "none",
        "not",
        "null",
        "or",
        "package",
        "pass",
        "private",
        "protected",
        "pub",
        "public",
        "raise",
        "return",
        "select",
        "self",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "super",
        "switch",
        "this",
        "throw",
        "throws",
        "trait",
        "true",
        "try",
        "type",
        "typedef",
        "typeof",
        "union",
        "unsafe",
        "unsigned",
        "use",
        "using",
        "var",
        "void",
        "volatile",
        "where",
        "while",
        "with",
        "yield",
    ]
)
_NAME: Final = "\x01id"
_STRING: Final = "\x01str"
_NUMBER: Final = "\x01num"

# polynomial base (odd) and the split-mix finaliser's constants
_BASE: Final = np.uint64(0x9E3779B97F4A7C15)
_MIX1: Final = np.uint64(0xBF58476D1CE4E5B9)
_MIX2: Final = np.uint64(0x94D049BB133111EB)


@dataclass(frozen=True, slots=True)
class Tokens:
    """Normalised tokens of a text and each token's span in that text."""

    words: list[str]
    starts: list[int]
    ends: list[int]

    def __len__(self) -> int:
        return len(self.words)


def word_tokens(text: str) -> Tokens:
    """Words of ``text``, NFKC and case-folded; spans index ``text``."""
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for match in _WORD.finditer(text):
        word = match.group()
        if not word.isascii():
            word = unicodedata.normalize("NFKC", word)
        words.append(word.casefold())
        starts.append(match.start())
        ends.append(match.end())
    return Tokens(words, starts, ends)


def code_tokens(text: str, keep_comments: bool = False) -> Tokens:
    """Code tokens of ``text``: keywords and operators as written, identifiers, strings
    and numbers as placeholders; comments dropped unless ``keep_comments``."""
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    while (match := _CODE.search(text, position)) is not None:
        kind = match.lastgroup
        start, end = match.span()
        value = match.group()
        if kind == "long":
            closer = _CLOSER[value]
            found = text.find(closer, end)
            end = len(text) if found < 0 else found + len(closer)
            kind = "comment" if value == "/*" else "str"
            value = text[start:end]
        position = end
        if kind == "comment":
            if keep_comments:
                for word in word_tokens(value).words:
                    words.append(word)
                    starts.append(start)
                    ends.append(end)
            continue
        if kind == "name":
            lowered = value.lower()
            token = lowered if lowered in CODE_KEYWORDS else _NAME
        elif kind == "str":
            token = _STRING
        elif kind == "num":
            token = _NUMBER
        else:
            token = value
        words.append(token)
        starts.append(start)
        ends.append(end)
    return Tokens(words, starts, ends)


class TokenHasher:
    """Keyed 64-bit hashes of tokens and of tagged values (``"tel:821012345678"``).

    Thread-safe: each call copies the keyed state. Not picklable on purpose: whoever
    needs one in another process builds it from the key.
    """

    __slots__ = ("_keyed",)

    def __init__(self, key: bytes) -> None:
        self._keyed = hashlib.blake2b(key=key[:64], digest_size=8, person=b"haetae-co")

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a TokenHasher holds the company key; rebuild it from the key")

    def value(self, data: str) -> int:
        state = self._keyed.copy()
        state.update(data.encode("utf-8", "surrogatepass"))
        return int.from_bytes(state.digest(), "little")

    def tokens(self, words: Sequence[str]) -> U64:
        """The keyed hash of each word (each distinct word hashed once)."""
        seen: dict[str, int] = {}
        out = np.empty(len(words), dtype=np.uint64)
        keyed = self._keyed
        for index, word in enumerate(words):
            hashed = seen.get(word)
            if hashed is None:
                state = keyed.copy()
                state.update(b"w" + word.encode("utf-8", "surrogatepass"))
                hashed = seen[word] = int.from_bytes(state.digest(), "little")
            out[index] = hashed
        return out

    def many(self, values: Iterable[str]) -> list[int]:
        return [self.value(v) for v in values]


def mix(values: U64) -> U64:
    """SplitMix64's finaliser, in place on a copy: spreads the polynomial's bits."""
    out = values ^ (values >> np.uint64(30))
    out *= _MIX1
    out ^= out >> np.uint64(27)
    out *= _MIX2
    out ^= out >> np.uint64(31)
    return out


def combine(token_hashes: U64, length: int) -> U64:
    """The hash of every run of ``length`` consecutive tokens (``len - length + 1`` values).

    A run of one token hashes to ``mix(token)``, so a one-word cell and a one-word
    candidate agree.
    """
    count = len(token_hashes) - length + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        acc = token_hashes[:count].copy()
        for shift in range(1, length):
            acc *= _BASE
            acc += token_hashes[shift : shift + count]
        return mix(acc)


def key_check(key: bytes) -> str:
    """A value that tells whether an index was built with ``key`` and reveals nothing of it."""
    return hashlib.blake2b(b"haetae company key check", key=key[:64], digest_size=8).hexdigest()
