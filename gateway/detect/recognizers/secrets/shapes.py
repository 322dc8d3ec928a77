"""What ordinary strings that look like keys are: the shape tests of bare tokens.

Each test answers one question about a candidate (is it a digest, an id, a path, words,
base64 of a file, a line of a PEM block) and reads it a bounded number of times, or a
window of fixed size around it, so the bare-token scan stays linear in its text.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import sys
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence

__all__ = [
    "BEGIN",
    "HASH_PREFIX",
    "HEX",
    "UUID",
    "VERSION",
    "armored_blocks",
    "decoded_kind",
    "entropy",
    "in_url",
    "inside",
    "is_identifier",
    "min_entropy",
    "object_id",
    "path_parts",
    "wrapped_line",
]

HEX = re.compile(r"(?:0x)?[0-9A-Fa-f]+")
UUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
VERSION = re.compile(r"v?\d+(?:\.\d+){1,3}(?:[-+~][0-9A-Za-z.+~-]*)?", re.IGNORECASE)
HASH_PREFIX = re.compile(r"(?i:sha(?:1|224|256|384|512)|md5|blake2[bs]?|xxh\d*)[-_:]")
_LINE_RUN = re.compile(r"[A-Za-z0-9+/]{60,}={0,2}\r?")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2}")
# Object ids join a lower-case word with "_" (call_, msg_, cus_); a few vendors use "-"
# (chatcmpl-, file-, org-), as many key prefixes do (sk-, md-, pypi-): those are listed.
_ID_PREFIX = re.compile(
    r"([a-z]{2,12}(?:_[a-z]{2,12})?_|(?:chatcmpl|cmpl|file|org|user|ftjob|ft|modr|batch)-)"
    r"(?=[A-Za-z0-9]*[0-9])"
)
_KEYISH = re.compile(r"sk|key|tok|secret|pat|auth|pass|pwd|priv|cred|sess")
_WORD_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")
_FILE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"RIFF", "RIFF (WebP/WAV) file"),
    (b"%PDF", "PDF document"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"BM", "BMP image"),
    (b"\x00\x00\x00\x07ssh-", "SSH public key"),
    (b"\x00\x00\x00\x0bssh-ed25519", "SSH public key"),
    (b"\x00\x00\x00\x13ecdsa-sha2-", "SSH public key"),
    (b"\x00\x00\x00", "media file"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"<?xml", "XML text"),
    (b"<svg", "SVG image"),
)


def entropy(value: str) -> float:
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in Counter(value).values())


def min_entropy(size: int) -> float:
    """Bits per character below which a string of ``size`` is not random.

    A random string cannot exceed log2(size); random base62 of 20 characters averages
    ~4.0 (the bound is 4.3), of 40 ~4.8; random lower case and digits of 32, ~4.4.
    Words and identifiers stay near 3-3.8.
    """
    return min(3.9, math.log2(size) - 0.9)


def is_identifier(value: str) -> bool:
    """Words joined in camelCase, snake_case or kebab-case (``getUserAccountById``).

    The share of letters in word-like parts (three letters or more, most of whose letter
    pairs are frequent in English: ``th``, ``er``, ``on`` …) among the letters and digits,
    short digit runs (``v2``, ``2024``) set aside. Random tokens break into pieces whose
    letter pairs are mostly rare (``qz``, ``xk``) and score far lower.
    """
    parts = _WORD_PARTS.findall(value)
    # Stop as soon as the non-word letters exceed what an identifier may hold: a random
    # token gives that away in its first few pieces.
    budget = 0.3 * sum(len(p) for p in parts if len(p) > 4 or not p.isdigit())
    other = 0
    for part in parts:
        if part.isdigit():
            if len(part) > 4:
                other += len(part)
        elif len(part) < 3 or not _wordlike(part.lower()):
            other += len(part)
        if other > budget:
            return False
    return True


def _wordlike(part: str) -> bool:
    pairs = len(part) - 1
    rare_allowed = pairs - 0.6 * pairs
    rare = 0
    for i in range(pairs):
        if part[i : i + 2] not in _COMMON_PAIRS:
            rare += 1
            if rare > rare_allowed:
                return False
    return True


#: The most frequent letter pairs of English words and code names (about 150 of 676).
_PAIRS = (
    "th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as "
    "ou io le ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la "
    "ns di fo ho pe ec pr no ct us ac ot il tr ly nc et ut ss so rs un lo wa ge ie wh "
    "ee wi em ad ol rt po we na ul ni ts mo ow pa im mi ai sh ir su id os iv ia am fi "
    "ci vi pl ig tu ev ld ry mp fe bl ab gh ty op wo sa ay ex ke fr oo av ag if ap gr "
    "od bo sp rd do uc bu ei ov by rm ep tt oc fa ef cu rn sc gi da yo cr cl du ga qu "
    "ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi rc rr eg au ck ew mu br bi "
    "pt ak pu ui rg ib tl ny ki rk ys ob mm fu ph og ms ye ud mb ip ub oi rl gu dr ng "
    "fg cf tx sg sv db js py md ml cb fn ln nm pk kw"
)
_COMMON_PAIRS = frozenset(_PAIRS.split())


def object_id(value: str) -> bool:
    """An API object id: a lower-case word, ``_`` or ``-``, then a random body.

    Tool-call, message, response and payment ids (``call_…``, ``toolu_…``, ``msg_…``,
    ``chatcmpl-…``, ``pi_…``) travel in every agent conversation; credential prefixes
    are the vendor table's and were deferred to it before this test. A prefix that names
    a key (``sk``, ``key``, ``token``, ``secret`` …) is not an id.
    """
    found = _ID_PREFIX.match(value)
    return found is not None and _KEYISH.search(found.group(1)) is None


def decoded_kind(value: str) -> str | None:
    """What base64 ``value`` decodes to when that is ordinary data, else None."""
    if len(value) < 24 or _B64.fullmatch(value) is None:
        return None
    body = value.rstrip("=")
    cut = len(body) - len(body) % 4
    altchars = b"-_" if ("-" in body or "_" in body) else None
    try:
        raw = base64.b64decode(body[:cut], altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None
    for magic, kind in _FILE_MAGIC:
        if raw.startswith(magic):
            return f"base64 of a {kind}"
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for char in decoded if char.isprintable() or char in "\t\n\r")
    if decoded and printable >= 0.95 * len(decoded):
        return "base64 of text"
    return None


def _path_segment(part: str) -> bool:
    """A segment of a file or URL path: short, a number, a version or words."""
    return (
        len(part) <= 4
        or part.isdigit()
        or VERSION.fullmatch(part) is not None
        or is_identifier(part)
    )


def path_parts(text: str, start: int, end: int, min_length: int) -> list[tuple[int, int]] | None:
    """None when ``text[start:end]`` is no path; else the segments to judge on their own.

    A run whose ``/`` segments are all path-like is a path (nothing to judge); one that
    starts like a path (``/``, ``./``, ``~/``) may still hold a token as a segment
    (``/v1/keys/9vJq…``), which is judged alone. Random base64 has ``/`` too, but its
    segments are neither words nor short: a run with two such segments is no path.
    """
    value = text[start:end]
    segments = value.split("/")
    if len([part for part in segments if part]) < 2 or decoded_kind(value) is not None:
        return None
    if all(_path_segment(part) for part in segments if part):
        return []
    if not value.startswith(("/", "./", "~/")):
        return None
    if sum(1 for part in segments if part and not _path_segment(part)) > 1:
        return None  # random base64 that happens to start with "/"
    spans: list[tuple[int, int]] = []
    position = start
    for part in segments:
        if len(part) >= min_length and not _path_segment(part):
            spans.append((position, position + len(part)))
        position += len(part) + 1
    return spans


def in_url(text: str, start: int) -> bool:
    """Whether the whitespace-free run holding ``start`` is a URL before it."""
    floor = max(0, start - 2048)
    run_start = max(text.rfind(" ", floor, start) + 1, text.rfind("\n", floor, start) + 1, floor)
    return text.find("://", run_start, start) >= 0 or text.startswith("www.", run_start)


BEGIN = "-----BEGIN "
_END = "-----END "


def armored_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of ``-----BEGIN X-----`` … ``-----END X-----`` blocks (to the end if unclosed).

    One pass of ``str.find``; a block ends at its ``-----END`` or at the next header.
    """
    blocks: list[tuple[int, int]] = []
    at = text.find(BEGIN)
    while at >= 0:
        following = text.find(BEGIN, at + len(BEGIN))
        closing = text.find(_END, at, following if following >= 0 else len(text))
        end = closing if closing >= 0 else (following if following >= 0 else len(text))
        blocks.append((at, end))
        at = following
    return blocks


def inside(blocks: Sequence[tuple[int, int]], position: int) -> bool:
    """Whether ``position`` lies in one of the sorted, disjoint ``blocks`` (bisection)."""
    index = bisect_right(blocks, (position, sys.maxsize)) - 1
    return index >= 0 and blocks[index][0] <= position < blocks[index][1]


def wrapped_line(text: str, start: int, end: int) -> bool:
    """A whole line of 60+ base64 characters next to another such line (PEM, MIME)."""
    if end - start < 60 or (start and text[start - 1] != "\n"):
        return False
    if end < len(text) and text[end] not in "\r\n":
        return False
    following = _LINE_RUN.match(text, end + (2 if text.startswith("\r\n", end) else 1))
    if following is not None and following.end() - following.start() >= 16:
        return True
    previous_end = start - 1
    previous_start = text.rfind("\n", max(0, previous_end - 200), previous_end) + 1
    return _LINE_RUN.fullmatch(text, previous_start, previous_end) is not None
