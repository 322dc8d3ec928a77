"""A string that a regex matches, drawn with a seeded RNG: enough of ``re``'s syntax for
credentials.yaml (literals, classes, repeats, groups, alternation, escapes)."""

from __future__ import annotations

import random
import re._constants as const  # type: ignore[import-not-found]
import re._parser as parser  # type: ignore[import-not-found]
import string

_CATEGORIES = {
    const.CATEGORY_DIGIT: string.digits,
    const.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    const.CATEGORY_SPACE: " ",
    const.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits,
}
_PRINTABLE = [chr(c) for c in range(33, 127)]


def _class(items: list[tuple[object, object]]) -> list[str]:
    negate = any(op is const.NEGATE for op, _ in items)
    chosen: list[str] = []
    for op, value in items:
        if op is const.LITERAL:
            chosen.append(chr(value))  # type: ignore[arg-type]
        elif op is const.RANGE:
            low, high = value  # type: ignore[misc]
            chosen.extend(chr(c) for c in range(low, high + 1))
        elif op is const.CATEGORY:
            chosen.extend(_CATEGORIES[value])
    if negate:
        return [c for c in _PRINTABLE if c not in chosen and c not in "\"'<&;"]
    return chosen


def _emit(tokens: parser.SubPattern, rng: random.Random, out: list[str]) -> None:
    for op, value in tokens:
        if op is const.LITERAL:
            out.append(chr(value))
        elif op is const.IN:
            out.append(rng.choice(_class(value)))
        elif op is const.ANY:
            out.append(rng.choice(string.ascii_letters))
        elif op in (const.MAX_REPEAT, const.MIN_REPEAT, const.POSSESSIVE_REPEAT):
            low, high, item = value
            high = low + 24 if high is const.MAXREPEAT else high
            for _ in range(rng.randint(low, min(high, low + 24))):
                _emit(item, rng, out)
        elif op is const.SUBPATTERN:
            _emit(value[-1], rng, out)
        elif op is const.BRANCH:
            _emit(rng.choice(value[1]), rng, out)
        elif op is const.CATEGORY:
            out.append(rng.choice(_CATEGORIES[value]))
        elif op in (const.AT, const.ASSERT, const.ASSERT_NOT):
            continue
        else:
            raise ValueError(f"regex_sample: unsupported {op}")


def sample(pattern: str, seed: int) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    _emit(parser.parse(pattern), rng, out)
    return "".join(out)
