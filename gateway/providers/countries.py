"""Which country codes exist: ISO 3166-1 alpha-2, from pycountry's maintained table.

A policy that says ``provider.jurisdiction: [KOR]`` or a catalog entry with
``regions: [kr]`` used to pass every check and then match nothing (or, on a
deny-unless list, everything). Every place a country code is written checks it
here, and the message says what was probably meant.

``EU`` is accepted besides the table: ISO 3166 reserves it "exceptionally" for
the European Union, and operators state EU-only hosting that way.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import AfterValidator

__all__ = [
    "EXCEPTIONALLY_RESERVED",
    "Country",
    "Region",
    "check_country",
    "check_region",
    "country_codes",
    "country_problem",
]

#: ISO 3166-1 exceptional reservations the catalog may use (not in pycountry's table)
EXCEPTIONALLY_RESERVED = frozenset({"EU"})


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code, plus ``EXCEPTIONALLY_RESERVED``."""
    import pycountry  # loads its JSON table on first use: here, not at import

    return frozenset(c.alpha_2 for c in pycountry.countries) | EXCEPTIONALLY_RESERVED


def country_problem(code: str) -> str | None:
    """None for a known code; otherwise why ``code`` is not one, with a suggestion."""
    if code in country_codes():
        return None
    upper = code.upper()
    if upper in country_codes():
        return f"'{code}' must be written in capitals: '{upper}'"
    if len(code) == 3:
        import pycountry

        match = pycountry.countries.get(alpha_3=upper)
        if match is not None:
            return f"'{code}' is a three-letter code; write the two-letter '{match.alpha_2}'"
    if upper == "UK":
        return "'UK' is not an ISO 3166-1 code; the United Kingdom is 'GB'"
    return f"'{code}' is not an ISO 3166-1 alpha-2 country code (such as KR, US, CN)"


def check_country(code: str) -> str:
    if (problem := country_problem(code)) is not None:
        raise ValueError(problem)
    return code


def check_region(code: str) -> str:
    if (problem := country_problem(code)) is not None:
        raise ValueError(f"region {problem}")
    return code


#: a pydantic field holding a known country code (a jurisdiction)
Country = Annotated[str, AfterValidator(check_country)]
#: a country where a provider says it processes data
Region = Annotated[str, AfterValidator(check_region)]
