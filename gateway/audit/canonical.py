"""One value, one fingerprint: the canonical form of a matched value, per entity type.

People write the same value many ways: ``900101-1234568``, ``9001011234568`` and
``900101 1234568`` are one resident number; ``Kim@Example.COM`` and
``kim@example.com`` one mailbox; ``010-1234-5678`` and ``+82 10 1234 5678`` one
phone. A fingerprint of the value as written would give an auditor three
people where there is one, so the value is first put in its canonical form,
by a table of small functions keyed by entity type (a new type is one row).
Every form starts from NFKC, which folds full-width digits and letters
(``９００１０１``) into ASCII, and trims surrounding space. A type not in the
table keeps its value as written: a secret or a name has no spelling to undo.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Callable, Mapping

__all__ = ["CANONICAL_FORMS", "canonical_value"]

#: the region a phone number without a country code is read in
PHONE_REGION = "KR"


def _text(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _digits(value: str) -> str:
    """Separators and spacing dropped: only the digits identify the number."""
    digits = "".join(ch for ch in _text(value) if ch.isdigit())
    return digits or _text(value)


def _letters_and_digits(value: str) -> str:
    """Upper-case, separators dropped (passports, IBANs)."""
    kept = "".join(ch for ch in _text(value) if ch.isalnum()).upper()
    return kept or _text(value)


def _email(value: str) -> str:
    """Case-folded (mail systems treat addresses case-blind in practice), ``mailto:`` dropped."""
    text = _text(value)
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.strip("<>").casefold()


def _phone(value: str) -> str:
    """E.164 (``+821012345678``); a number it can't read keeps its digits and a leading ``+``."""
    import phonenumbers

    text = _text(value)
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = "".join(ch for ch in text if ch.isdigit())
    return ("+" if text.startswith("+") else "") + digits if digits else text


def _ip(value: str) -> str:
    """The address's compressed form (``::1``, no leading zeros in IPv6 groups)."""
    text = _text(value).strip("[]")
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text.lower()


CANONICAL_FORMS: Mapping[str, Callable[[str], str]] = {
    "KR_RRN": _digits,
    "KR_FRN": _digits,
    "KR_BRN": _digits,
    "KR_CRN": _digits,
    "KR_BANK_ACCOUNT": _digits,
    "KR_DRIVER_LICENSE": _digits,
    "KR_PASSPORT": _letters_and_digits,
    "KR_PHONE_SHAPE": _phone,
    "PHONE_NUMBER": _phone,
    "CREDIT_CARD": _digits,
    "US_SSN": _digits,
    "IBAN_CODE": _letters_and_digits,
    "EMAIL_ADDRESS": _email,
    "IP_ADDRESS": _ip,
}


def canonical_value(entity_type: str, value: str) -> str:
    """``value`` as its entity type's canonical form; unchanged for a type without one."""
    form = CANONICAL_FORMS.get(entity_type)
    return value if form is None else form(value)
