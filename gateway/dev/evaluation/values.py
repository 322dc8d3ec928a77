"""Value generators, one per entity.

Each generator takes the corpus' seeded ``random.Random`` and returns the value exactly as
it appears in the text, so the whole corpus is reproducible from the seed. Check digits are
computed (see ``checks``), never faked.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable

from gateway.dev.evaluation.checks import (
    brn_is_valid,
    crn_is_valid,
    frn_is_valid,
    luhn_is_valid,
    rrn_is_valid,
    with_check_digit,
)
from gateway.dev.evaluation.people import kr_address, person_name
from gateway.dev.evaluation.secret_values import SECRET_GENERATORS

__all__ = ["BANK_NAMES", "DRIVER_LICENSE_REGIONS", "GENERATORS", "Generator", "bank_name_for"]

Generator = Callable[[random.Random], str]


def _num(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _birth(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return dt.date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def rrn(rng: random.Random) -> str:
    """Checksum-valid RRN of someone born 1940-2019 (``YYMMDD-GNNNNNC``)."""
    born = _birth(rng, dt.date(1940, 1, 1), dt.date(2019, 12, 31))
    gender = rng.choice((1, 2) if born.year < 2000 else (3, 4))
    body = f"{born:%y%m%d}{gender}{_num(rng, 5)}"
    number = with_check_digit(body, rrn_is_valid)
    return f"{number[:6]}-{number[6:]}"


def rrn_post_2020(rng: random.Random) -> str:
    """RRN issued after October 2020: real date, random tail that fails the old checksum."""
    born = _birth(rng, dt.date(2020, 10, 1), dt.date(2024, 12, 31))
    while True:
        number = f"{born:%y%m%d}{rng.choice((3, 4))}{_num(rng, 6)}"
        if not rrn_is_valid(number):
            return f"{number[:6]}-{number[6:]}"


def _kr_rrn(rng: random.Random) -> str:
    value = rrn_post_2020(rng) if rng.random() < 0.25 else rrn(rng)
    return value.replace("-", "") if rng.random() < 0.2 else value


def frn(rng: random.Random) -> str:
    born = _birth(rng, dt.date(1950, 1, 1), dt.date(2019, 12, 31))
    gender = rng.choice((5, 6) if born.year < 2000 else (7, 8))
    number = with_check_digit(f"{born:%y%m%d}{gender}{_num(rng, 5)}", frn_is_valid)
    return f"{number[:6]}-{number[6:]}"


def _passport(rng: random.Random) -> str:
    kind = rng.choice("MMMMSRO")
    if rng.random() < 0.5:  # format issued since December 2021
        return f"{kind}{_num(rng, 3)}{rng.choice(string.ascii_uppercase)}{_num(rng, 4)}"
    return f"{kind}{_num(rng, 8)}"


#: Region codes printed on licences: 11 (Seoul) .. 26 (Ulsan) and 28 (northern Gyeonggi).
#: 27 has never been issued, so a number starting with it is not a licence.
DRIVER_LICENSE_REGIONS: tuple[int, ...] = (*range(11, 27), 28)


def driver_license(rng: random.Random) -> str:
    region = rng.choice(DRIVER_LICENSE_REGIONS)
    parts = (str(region), f"{rng.randint(0, 99):02d}", _num(rng, 6), _num(rng, 2))
    return "-".join(parts) if rng.random() < 0.85 else "".join(parts)


def brn(rng: random.Random) -> str:
    body = f"{rng.randint(101, 899)}{rng.choice((rng.randint(1, 79), rng.randint(81, 88))):02d}"
    number = with_check_digit(body + _num(rng, 4), brn_is_valid)
    return f"{number[:3]}-{number[3:5]}-{number[5:]}"


def crn(rng: random.Random) -> str:
    office = rng.choice(("1101", "1301", "1345", "1201", "1601", "2801", "1749"))
    body = office + rng.choice(("11", "14", "15", "71")) + _num(rng, 6)
    number = with_check_digit(body, crn_is_valid)
    return f"{number[:6]}-{number[6:]}"


_AREA_CODES = ("02", "031", "032", "033", "041", "042", "051", "052", "053", "055", "062", "064")


def _phone(rng: random.Random) -> str:
    form = rng.randrange(7)
    mid, last = _num(rng, 4), _num(rng, 4)
    if form == 0:
        return f"010-{mid}-{last}"
    if form == 1:
        return rng.choice((f"010{mid}{last}", f"010 {mid} {last}"))
    if form == 2:
        area = rng.choice(_AREA_CODES)
        return f"{area}-{_num(rng, rng.choice((3, 4)))}-{last}"
    if form == 3:
        return f"070-{mid}-{last}"
    if form == 4:
        return rng.choice((f"+82-10-{mid}-{last}", f"+82 10 {mid} {last}", f"+82 2 {mid} {last}"))
    if form == 5:  # virtual (050x) and closed-up landlines; 1588-xxxx is a company's
        area = rng.choice(_AREA_CODES)
        return rng.choice(
            (f"050{rng.randint(2, 8)}-{mid}-{last}", f"{area}{rng.randint(200, 999)}{last}")
        )
    return f"011-{_num(rng, 3)}-{last}"


#: Group lengths of each bank's account numbers, and the name written next to them.
_BANK_FORMATS: dict[tuple[int, ...], tuple[str, ...]] = {
    (6, 2, 6): ("국민은행", "KB국민"),
    (3, 3, 6): ("신한은행", "신한"),
    (4, 3, 6): ("우리은행",),
    (3, 6, 5): ("하나은행",),
    (3, 4, 4, 2): ("농협", "NH농협은행"),
    (4, 2, 7): ("카카오뱅크",),
    (3, 6, 2, 3): ("기업은행", "IBK기업은행"),
}
BANK_NAMES: dict[str, tuple[str, ...]] = {
    "-".join(map(str, groups)): names for groups, names in _BANK_FORMATS.items()
}


def bank_name_for(account: str, rng: random.Random) -> str:
    """The name of a bank that writes its account numbers like ``account``."""
    key = "-".join(str(len(group)) for group in account.split("-"))
    return rng.choice(BANK_NAMES.get(key, ("은행",)))


def _bank_account(rng: random.Random) -> str:
    groups = rng.choice(list(_BANK_FORMATS))
    parts = [_num(rng, n) for n in groups]
    if groups == (4, 2, 7):
        parts[0] = "3333"
    return "-".join(parts)


_NAMES = ("minsu", "jiyoung", "hyunwoo", "seoyeon", "dkim", "sora", "jpark", "eunji", "taeho")
_DOMAINS = (
    "naver.com",
    "gmail.com",
    "daum.net",
    "kakao.com",
    "hanmail.net",
    "corp.co.kr",
    "samsung.com",
    "korea.ac.kr",
    "outlook.com",
    "startup.io",
)


def _email(rng: random.Random) -> str:
    sep = rng.choice((".", "_", "", "+"))
    local = f"{rng.choice(_NAMES)}{sep}{rng.choice(_NAMES) if sep else rng.randint(70, 99)}"
    return f"{local}@{rng.choice(_DOMAINS)}"


# (prefix, total length, grouping) per brand; Amex and Diners group as 4-6-5 / 4-6-4.
_CARD_BRANDS = (
    ("4", 16, (4, 4, 4, 4)),
    ("51", 16, (4, 4, 4, 4)),
    ("55", 16, (4, 4, 4, 4)),
    ("2221", 16, (4, 4, 4, 4)),
    ("34", 15, (4, 6, 5)),
    ("37", 15, (4, 6, 5)),
    ("6011", 16, (4, 4, 4, 4)),
    ("35", 16, (4, 4, 4, 4)),
    ("62", 16, (4, 4, 4, 4)),
    ("36", 14, (4, 6, 4)),
)


def card(rng: random.Random) -> str:
    """Luhn-valid card number of a random brand, plain, spaced or hyphenated."""
    prefix, length, groups = rng.choice(_CARD_BRANDS)
    number = with_check_digit(prefix + _num(rng, length - len(prefix) - 1), luhn_is_valid)
    sep = rng.choice(("", " ", "-"))
    out, at = [], 0
    for size in groups:
        out.append(number[at : at + size])
        at += size
    return sep.join(out)


def iban(rng: random.Random) -> str:
    country, bban = rng.choice(
        (
            ("DE", _num(rng, 18)),
            ("GB", _pick(rng, string.ascii_uppercase, 4) + _num(rng, 14)),
            ("FR", _num(rng, 23)),
            ("NL", _pick(rng, string.ascii_uppercase, 4) + _num(rng, 10)),
            ("ES", _num(rng, 20)),
            ("CH", _num(rng, 17)),
        )
    )
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    compact = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    if rng.random() < 0.5:
        return compact
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.8:
        first = rng.choice([n for n in range(1, 224) if n not in (10, 127)])
        return ".".join(str(n) for n in (first, *(rng.randint(0, 255) for _ in range(3))))
    return ":".join(
        f"{rng.randint(0x2400, 0x2A0F) if i == 0 else rng.randint(0, 0xFFFF):x}" for i in range(8)
    )


def _ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    sep = "-" if rng.random() < 0.85 else " "
    return f"{area:03d}{sep}{rng.randint(1, 99):02d}{sep}{rng.randint(1, 9999):04d}"


GENERATORS: dict[str, Generator] = {
    "KR_RRN": _kr_rrn,
    "KR_FRN": frn,
    "KR_PASSPORT": _passport,
    "KR_DRIVER_LICENSE": driver_license,
    "KR_BRN": brn,
    "KR_CRN": crn,
    "PHONE_NUMBER": _phone,
    "KR_BANK_ACCOUNT": _bank_account,
    "EMAIL_ADDRESS": _email,
    "CREDIT_CARD": card,
    "IBAN_CODE": iban,
    "IP_ADDRESS": _ip,
    "US_SSN": _ssn,
    "PERSON": person_name,
    "KR_ADDRESS": kr_address,
    **SECRET_GENERATORS,
}
