"""How a phone number is written: its digit groups, and the prefixes that dial abroad.

A phone number is written in its plan's own groups (``020 7946 0958``, ``(212) 555-0199``,
``03-1234-5678``, ``138 0013 8000``); an order number, an amount or a barcode that happens
to be a valid number almost never is. ``cuts`` reads where the separators fall, and
``national_layout`` asks libphonenumber where its national format puts them, counted in
digits of the national significant number (after the trunk prefix).

International access codes (``00``, Korea's carrier codes ``001``/``002``/``005``/``006``/
``008``/``00700``…, ``011`` from North America, ``010`` from Japan) are libphonenumber's
per-region ``international_prefix`` patterns; ``00`` (the ITU's recommendation, used by
most of the world) is always read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers
from phonenumbers import PhoneNumberFormat

__all__ = ["DialPrefixes", "cuts", "national_layout"]


def cuts(raw: str) -> tuple[str, frozenset[int]]:
    """The digits of ``raw`` and the digit offsets where a separator stands between two.

    ``(212) 555-0199`` → (``2125550199``, {3, 6}); a run of several separators is one cut.
    """
    digits: list[str] = []
    at: set[int] = set()
    for ch in raw:
        if ch.isdecimal():
            digits.append(ch)
        elif digits:
            at.add(len(digits))
    return "".join(digits), frozenset(at - {len(digits)})


def national_layout(number: phonenumbers.PhoneNumber) -> tuple[int, frozenset[int]] | None:
    """Digits the national format writes before the significant number (the trunk
    prefix), and where it cuts the significant number."""
    nsn = phonenumbers.national_significant_number(number)
    digits, at = cuts(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
    if not digits.endswith(nsn):
        return None
    lead = len(digits) - len(nsn)
    return lead, frozenset(c - lead for c in at if c > lead)


class DialPrefixes:
    """The international access codes dialled from the configured regions, and ``00``."""

    def __init__(self, regions: Sequence[str]) -> None:
        patterns = ["00"]
        for region in regions:
            metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
            prefix = metadata.international_prefix if metadata is not None else None
            if prefix and prefix not in patterns:
                patterns.append(prefix)
        self._patterns = tuple(re.compile(f"(?:{pattern})") for pattern in patterns)

    def lengths(self, digits: str) -> list[int]:
        """Lengths of the access codes ``digits`` may start with, longest first."""
        found = {m.end() for p in self._patterns if (m := p.match(digits)) is not None}
        return sorted(found, reverse=True)
