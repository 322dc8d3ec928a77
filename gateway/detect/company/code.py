"""Source code read as tokens that survive renaming and reformatting.

Every identifier that is not a keyword becomes one placeholder, every string literal and
number theirs, comments are dropped (unless kept), and ``,`` ``;`` and whitespace are not
tokens: a function with its variables renamed, re-indented or re-wrapped reads the same.
"""

from __future__ import annotations

import re
from typing import Final

from gateway.detect.company.tokens import Tokens, Words, compiled

__all__ = [
    "CODE_KEYWORDS",
    "SORTED_KEYWORDS",
    "code_tokens",
    "code_words",
    "looks_like_code",
    "reads_to_a_closer",
]

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
# _CODE's alternatives but the long ones, without groups: findall gives strings, not tuples.
# Names and numbers first: most tokens are, and no other alternative starts with a word
# character, so the order changes no match (1.5× faster on 50 KB of code and logs)
_FLAT: Final = re.compile(
    r"[^\W\d]\w*"
    r"|\d[\w.]*"
    r'|"(?:[^"\\\n]|\\.){0,2000}"'
    r"|'(?:[^'\\\n]|\\.){0,2000}'"
    r"|//[^\n]*|\#[^\n]*|--[ \t][^\n]*"
    r"|[^\s\w,;]{1,3}?"
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
_CODE_MARKS: Final = "{}();="


def looks_like_code(text: str) -> bool:
    """Whether ``text`` has the punctuation density of code (at least 1 in 60 characters
    among ``{}();=``): prose is not read a second time as code."""
    if compiled is not None:  # one pass instead of one per mark
        return compiled.code_marks(text) * 60 >= len(text) > 0
    return sum(map(text.count, _CODE_MARKS)) * 60 >= len(text) > 0


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
                for word in Words.of(value).folded.split():
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


#: CODE_KEYWORDS as the compiled tokenizer reads them (``_scan.code_cut``)
SORTED_KEYWORDS: Final = tuple(sorted(word.encode() for word in CODE_KEYWORDS))


def reads_to_a_closer(text: str, keep_comments: bool = False) -> bool:
    """Whether ``text`` needs ``code_tokens`` (a long string or block comment to read to
    its closer, or comments kept) rather than one pass of ``_FLAT``."""
    return keep_comments or '"""' in text or "'''" in text or "/*" in text


def code_words(text: str, keep_comments: bool = False) -> list[str]:
    """``code_tokens(text).words``, ~3× cheaper, when nothing needs reading to a closer
    (no long string, no block comment, no kept comment): one ``findall`` of the same
    alternatives without groups cuts the tokens as strings, and only each *distinct*
    token is classified (operators and keywords repeat); spans are then computed only
    for what matched."""
    if reads_to_a_closer(text, keep_comments):
        return code_tokens(text, keep_comments).words
    tokens = _FLAT.findall(text)
    words = dict.fromkeys(tokens, "")
    for token in words:
        words[token] = _word_of(token)
    return list(filter(None, map(words.__getitem__, tokens)))


def _word_of(token: str) -> str:
    """The word a token cut by ``_FLAT`` reads as ("" for a comment), told by its first
    character as ``_CODE``'s alternatives are: ``\\d`` is ``isdecimal``, ``\\w`` is
    ``isalnum`` or ``_``, and only strings and comments are longer than one character
    among tokens that start with a quote, ``#``, ``/`` or ``-``."""
    first = token[0]
    if first.isdecimal():
        return _NUMBER
    if first.isalnum() or first == "_":
        lowered = token.lower()
        return lowered if lowered in CODE_KEYWORDS else _NAME
    if len(token) > 1 and first in "\"'":
        return _STRING
    if first == "#" or (len(token) > 1 and first in "/-"):
        return ""
    return token
