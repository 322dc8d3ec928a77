"""Korean banks: the names people write and the lengths of their account numbers.

No bank publishes a check digit, and the lengths below are what the banks' own account
guides and the public tables built from them give (each bank has several generations of
numbers: branch-coded 11-14 digit accounts, newer product-coded ones, virtual accounts).
They are used as a filter, not as proof: a closed-up digit run next to a bank's name is an
account of that bank only if it has one of that bank's lengths (and its prefix, where the
bank numbers every ordinary account the same way). docs/detection.md lists the table with
what each entry rests on.

Names that are also everyday words or places (우리 "we", 하나 "one", 국민 "the people",
기업 "company", 대구, 부산, 광주, 제주, 전북, 경남) count only with 은행 or their brand
(KB, IBK, BNK, KDB, iM).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BANKS", "TRANSFER_WORDS", "Bank"]


@dataclass(frozen=True)
class Bank:
    names: tuple[str, ...]
    lengths: frozenset[int]
    prefixes: tuple[str, ...] = ()  # when every personal account starts so (e.g. 3333)


def _bank(names: str, lengths: tuple[int, ...], prefixes: tuple[str, ...] = ()) -> Bank:
    return Bank(tuple(names.split()), frozenset(lengths), prefixes)


#: Ordered so that a longer name is tried before a shorter one it contains.
BANKS: tuple[Bank, ...] = (
    _bank("kb국민은행 kb국민 국민은행 kb은행", (11, 12, 14)),
    _bank("신한은행 신한", (11, 12)),
    _bank("우리은행", (11, 12, 13)),
    _bank("하나은행 keb하나 외환은행", (11, 12, 14)),
    _bank("nh농협은행 nh농협 농협은행 농협 단위농협 지역농협", (11, 12, 13, 14)),
    _bank("ibk기업은행 기업은행 ibk", (10, 11, 12, 14)),
    _bank("카카오뱅크 카뱅", (13,), ("3333", "3355", "3388", "7777", "7979")),
    _bank("토스뱅크 토스", (12,), ("1000", "1001", "1002")),
    _bank("케이뱅크 k뱅크", (12,), ("100", "110", "700")),
    _bank("sc제일은행 sc제일 제일은행 sc은행", (11, 12)),
    _bank("한국씨티은행 씨티은행 씨티", (10, 11, 12, 13)),
    _bank("새마을금고 mg새마을금고", (13, 14), ("9",)),
    _bank("우체국예금 우체국", (14,)),
    _bank("sh수협은행 수협은행 수협", (11, 12)),
    _bank("im뱅크 대구은행 dgb", (11, 12, 14)),
    _bank("bnk부산은행 부산은행", (12, 13)),
    _bank("bnk경남은행 경남은행", (12, 13)),
    _bank("광주은행", (12, 13)),
    _bank("전북은행", (12, 13)),
    _bank("제주은행", (10, 11, 12)),
    _bank("kdb산업은행 산업은행 kdb", (11, 14)),
    _bank("신협", (12, 13)),
    _bank("저축은행", (12, 13, 14)),
)

#: Words that make a digit run an account without naming the bank: 10-14 digits then.
TRANSFER_WORDS: tuple[str, ...] = (
    "계좌",
    "송금",
    "이체",
    "입금",
    "예금주",
    "account no",
    "account number",
    "bank account",
    "acct",
)
