"""Check-digit rules of the identifiers the corpus generates.

The corpus computes real check digits rather than faking them, so a recognizer that validates
them is scored fairly; the tests use these same functions to prove the generators right.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "brn_is_valid",
    "crn_is_valid",
    "frn_is_valid",
    "iban_is_valid",
    "luhn_is_valid",
    "rrn_is_valid",
    "with_check_digit",
]

_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def _digits(text: str) -> list[int]:
    return [int(ch) for ch in text if ch.isdecimal()]


def _rrn_sum(digits: list[int]) -> int:
    return sum(d * w for d, w in zip(digits, _RRN_WEIGHTS, strict=False))


def rrn_is_valid(number: str) -> bool:
    """Pre-October-2020 RRN check digit (mod 11)."""
    d = _digits(number)
    return len(d) == 13 and (11 - _rrn_sum(d) % 11) % 10 == d[12]


def frn_is_valid(number: str) -> bool:
    """Pre-October-2020 foreigner registration number check digit."""
    d = _digits(number)
    return len(d) == 13 and d[6] in (5, 6, 7, 8) and (13 - _rrn_sum(d) % 11) % 10 == d[12]


def brn_is_valid(number: str) -> bool:
    """Business registration number (사업자등록번호) check digit."""
    d = _digits(number)
    if len(d) != 10:
        return False
    total = sum(x * w for x, w in zip(d, (1, 3, 7, 1, 3, 7, 1, 3, 5), strict=False))
    total += d[8] * 5 // 10
    return (10 - total % 10) % 10 == d[9]


def crn_is_valid(number: str) -> bool:
    """Corporation registration number (법인등록번호) check digit."""
    d = _digits(number)
    if len(d) != 13:
        return False
    total = sum(x * (1 if i % 2 == 0 else 2) for i, x in enumerate(d[:12]))
    return (10 - total % 10) % 10 == d[12]


def luhn_is_valid(number: str) -> bool:
    d = _digits(number)
    total = 0
    for i, x in enumerate(reversed(d)):
        x = x * 2 if i % 2 else x
        total += x - 9 if x > 9 else x
    return len(d) >= 12 and total % 10 == 0


def with_check_digit(body: str, valid: Callable[[str], bool]) -> str:
    """Append the one digit that makes ``valid`` accept ``body``."""
    for digit in "0123456789":
        if valid(body + digit):
            return body + digit
    raise ValueError(f"no check digit makes {body!r} valid")


def iban_is_valid(iban: str) -> bool:
    compact = "".join(ch for ch in iban if ch.isalnum())
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1
