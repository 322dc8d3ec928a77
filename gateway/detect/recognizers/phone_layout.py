"""How a phone number is written: its digit groups, and the prefixes that dial abroad.

A phone number is written in its plan's own groups (``020 7946 0958``, ``(212) 555-0199``,
``03-1234-5678``, ``138 0013 8000``); an order number, an amount or a barcode that happens
to be a valid number almost never is. ``cuts`` reads where the separators fall, and
``format_cuts`` asks libphonenumber where its national and international formats put them,
both counted in digits of the national significant number (after the country code and
the trunk prefix), so that ``0044 20 7946 0958`` and ``020 7946 0958`` compare alike.

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

__all__ = ["DialPrefixes", "cuts", "fits", "format_cuts", "national_layout"]


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


def format_cuts(number: phonenumbers.PhoneNumber) -> tuple[frozenset[int], ...]:
    """Where the plan's international and national formats cut the significant number."""
    found = (
        _layout(number, PhoneNumberFormat.INTERNATIONAL),
        _layout(number, PhoneNumberFormat.NATIONAL),
    )
    return tuple(at for _, at in filter(None, found))


def national_layout(number: phonenumbers.PhoneNumber) -> tuple[int, frozenset[int]] | None:
    """Digits the national format writes before the significant number (the trunk
    prefix), and where it cuts the significant number."""
    return _layout(number, PhoneNumberFormat.NATIONAL)


def _layout(number: phonenumbers.PhoneNumber, style: int) -> tuple[int, frozenset[int]] | None:
    nsn = phonenumbers.national_significant_number(number)
    digits, at = cuts(phonenumbers.format_number(number, style))
    if not digits.endswith(nsn):
        return None
    lead = len(digits) - len(nsn)  # country code, or trunk prefix
    return lead, frozenset(c - lead for c in at if c > lead)


def fits(written: frozenset[int], formats: Sequence[frozenset[int]], exact: bool) -> bool:
    """Whether the written cuts are a format's (``exact``) or some of them (merged groups).

    Closed up (no cut) never fits: a bare digit run is more often an id than a phone.
    """
    if not written:
        return False
    if exact:
        return written in formats
    return any(written <= expected for expected in formats)


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
