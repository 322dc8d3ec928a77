"""Checksums that vendors build into their credentials.

A token whose checksum does not hold was mistyped or made up (documentation,
a test fixture, a model's hallucination): it is not a finding. One that holds
is certainly the vendor's format and scores 1.0. Each function takes the whole
matched token and says whether its checksum holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable

__all__ = [
    "CHECKSUMS",
    "base58check",
    "base62_crc32",
    "bech32",
    "discord_snowflake",
    "pypi_macaroon",
    "with_base62_crc32",
]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _to_base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    return "".join(reversed(digits)).rjust(width, "0")


def with_base62_crc32(prefix: str, random_part: str) -> str:
    """``prefix + random_part`` with the six-character checksum GitHub and npm append."""
    return prefix + random_part + _to_base62(zlib.crc32(random_part.encode()), 6)


def base62_crc32(token: str) -> bool:
    """GitHub's and npm's format: ``<prefix>_<random><6 base62 chars of CRC32(random)>``.

    GitHub: https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/
    npm: https://github.blog/changelog/2021-09-23-npm-has-a-new-access-token-format/
    """
    body = token.rpartition("_")[2]
    if len(body) <= 6:
        return False
    random_part, check = body[:-6], body[-6:]
    return _to_base62(zlib.crc32(random_part.encode()), 6) == check


def bech32(token: str) -> bool:
    """Bech32 (BIP 173) checksum, as in age secret keys (``AGE-SECRET-KEY-1…``)."""
    text = token.lower()
    hrp, sep, data = text.rpartition("1")
    if not sep or not hrp or len(data) < 6 or any(c not in _BECH32 for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32.index(c) for c in data]
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, term in enumerate(generator):
            if (top >> bit) & 1:
                checksum ^= term
    return checksum == 1


def base58check(token: str) -> bool:
    """Base58Check: the last 4 bytes are the first 4 of SHA-256(SHA-256(payload)).

    Bitcoin private keys in wallet import format (WIF) carry it.
    """
    number = 0
    for char in token:
        index = _BASE58.find(char)
        if index < 0:
            return False
        number = number * 58 + index
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(token) - len(token.lstrip("1"))) + raw
    if len(raw) < 5:
        return False
    payload, check = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == check


#: base64 of a macaroon's first bytes naming pypi.org as its location
_PYPI_LOCATION = b"pypi.org"


def pypi_macaroon(token: str) -> bool:
    """PyPI API tokens are macaroons whose location is pypi.org (or test.pypi.org).

    https://pypi.org/help/#apitoken
    """
    body = token.partition("-")[2]
    head = body[:64]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return False
    return _PYPI_LOCATION in decoded


def discord_snowflake(token: str) -> bool:
    """A Discord token's first part is the bot's or user's id (a 17-20 digit snowflake)
    in base64: without it, the dotted shape alone is too loose to call a token.

    https://discord.com/developers/docs/reference#snowflakes
    """
    head = token.partition(".")[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return False
    return decoded.isdigit() and 17 <= len(decoded) <= 20


CHECKSUMS: dict[str, Callable[[str], bool]] = {
    "discord_snowflake": discord_snowflake,
    "base62_crc32": base62_crc32,
    "bech32": bech32,
    "base58check": base58check,
    "pypi_macaroon": pypi_macaroon,
}
