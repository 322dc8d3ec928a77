"""Bare tokens (``GENERIC_SECRET``): a random-looking string pasted with no key name.

A key pasted alone (``이 키로 호출해 줘: 9vJq…``) has no vendor prefix and no ``api_key=``
before it; what gives it away is its shape: 20 or more characters of a token alphabet,
letters mixed with digits, as random as a generated value. Ordinary text holds many
such strings that are not secrets, and each class is recognised and set aside, with its
reason (``haetae scan --explain`` prints it):

- documented examples (``documented_examples.yaml``) and placeholders (``xxxx``,
  ``<your-key>``, ``${VAR}``, ``sk-...``, runs of one character);
- hex strings (MD5/SHA digests, git commits, trace ids) and UUIDs: shaped exactly like
  hashes and ids, which ordinary prompts carry far more often than hex keys;
- base64 whose bytes are text, or a file (PNG, JPEG, PDF, ZIP … by their magic bytes);
- file and URL paths, anything inside a URL, dotted names, version strings, JWT-shaped
  strings (``SECRET_JWT`` decides those), and identifiers made of words (camelCase,
  snake_case, kebab-case);
- strings without a digit or without a letter, and low entropy for their length;
- a token a vendor recognizer claims (its prefix or marker is in it): that recognizer's
  checksum and placeholder rules decide, so an invented ``ghp_`` token stays unreported.

What is left is scored by character classes, length and context: three classes
(lower, upper, digit) score 0.6, two 0.45; 32 characters or more (24 with two classes)
add 0.1; a secret word
in the 40 characters before (key, token, 키, 비밀번호 …) adds 0.25; a hash or id word
(sha256, commit, checksum, request id …) or a code position (``.name``, ``name(``)
takes 0.3 away. The policy's threshold (0.5) then decides.

Cost: one C-level regex pass for runs of 20+ token characters; Python looks only at
those runs, cheapest tests first (a hex digest is dropped after one ``fullmatch``), and
each test reads its candidate once, so a scan stays linear in the text.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import sys
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, TypeVar

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.recognizers.secrets import prefilter, table
from gateway.detect.recognizers.secrets.common import looks_like_placeholder
from gateway.detect.recognizers.secrets.documented import documented_vendor
from gateway.detect.rejections import is_collecting, note_rejected

__all__ = [
    "ENTITY",
    "BareTokenRecognizer",
    "armored_blocks",
    "claimed_by_vendor",
    "defer_to_others",
    "judge",
    "looks_random",
]

ENTITY = "GENERIC_SECRET"
_NAME = "BareTokenRecognizer"

MIN_LENGTH = 20
#: longer runs are data (a base64 payload, a minified line), not a key
MAX_LENGTH = 256
#: scores below this are dropped; between it and 0.5 they are informational
MIN_REPORTED = 0.4
#: not worth a line in an explanation: every long word or code name would get one
_QUIET = "identifier made of words"

# Runs of token characters; "=" only as base64 padding at the end.
_RUN = re.compile(rf"[A-Za-z0-9+/_.~-]{{{MIN_LENGTH},}}={{0,2}}")
_EDGE = ".~"  # sentence punctuation; "-" and "_" may start or end a token
_HEX = re.compile(r"(?:0x)?[0-9A-Fa-f]+")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
_VERSION = re.compile(r"v?\d+(?:\.\d+){1,3}(?:[-+~][0-9A-Za-z.+~-]*)?", re.IGNORECASE)
_HASH_PREFIX = re.compile(r"(?i:sha(?:1|224|256|384|512)|md5|blake2[bs]?|xxh\d*)[-_:]")
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
# Words before a token that make it a credential, or a hash or an id.
_SECRET_WORDS = re.compile(
    r"(?i:(?:\b|_)(?:key|token|secret|passw|pwd|credential|auth|bearer|api|login|session))"
    r"|키|토큰|비밀|비번|암호|인증|자격"
)
_HASH_WORDS = re.compile(
    r"(?i:(?:\b|_)(?:hash|sha\d*|md5|digest|checksum|commit|revision|etag|integrity"
    r"|fingerprint|uuid|guid|nonce|trace|request|order|invoice|tracking|image|file|video"
    r"|document|id)(?:\b|_|s\b))"
    r"|해시|커밋|주문|송장|운송장|아이디"
)
_FILE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"RIFF", "RIFF (WebP/WAV) file"),
    (b"%PDF", "PDF document"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"BM", "BMP image"),
    (b"\x00\x00\x00", "media file"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"<?xml", "XML text"),
    (b"<svg", "SVG image"),
)


def _entropy(value: str) -> float:
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in Counter(value).values())


def _min_entropy(size: int) -> float:
    """Bits per character below which a string of ``size`` is not random.

    A random string cannot exceed log2(size); random base62 of 20 characters averages
    ~4.0 (the bound is 4.3), of 40 ~4.8; random lower case and digits of 32, ~4.4.
    Words and identifiers stay near 3-3.8.
    """
    return min(3.9, math.log2(size) - 0.9)


def _is_identifier(value: str) -> bool:
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


def _object_id(value: str) -> bool:
    """An API object id: a lower-case word, ``_`` or ``-``, then a random body.

    Tool-call, message, response and payment ids (``call_…``, ``toolu_…``, ``msg_…``,
    ``chatcmpl-…``, ``pi_…``) travel in every agent conversation; credential prefixes
    are the vendor table's and were deferred to it before this test. A prefix that names
    a key (``sk``, ``key``, ``token``, ``secret`` …) is not an id.
    """
    found = _ID_PREFIX.match(value)
    return found is not None and _KEYISH.search(found.group(1)) is None


def _decoded_kind(value: str) -> str | None:
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
        or _VERSION.fullmatch(part) is not None
        or _is_identifier(part)
    )


def _path_parts(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """None when ``text[start:end]`` is no path; else the segments to judge on their own.

    A run whose ``/`` segments are all path-like is a path (nothing to judge); one that
    starts like a path (``/``, ``./``, ``~/``) may still hold a token as a segment
    (``/v1/keys/9vJq…``), which is judged alone. Random base64 has ``/`` too, but its
    segments are neither words nor short, and it does not start with one.
    """
    value = text[start:end]
    segments = value.split("/")
    if len([part for part in segments if part]) < 2 or _decoded_kind(value) is not None:
        return None
    if all(_path_segment(part) for part in segments if part):
        return []
    if not value.startswith(("/", "./", "~/")):
        return None
    spans: list[tuple[int, int]] = []
    position = start
    for part in segments:
        if len(part) >= MIN_LENGTH and not _path_segment(part):
            spans.append((position, position + len(part)))
        position += len(part) + 1
    return spans


def _in_url(text: str, start: int) -> bool:
    """Whether the whitespace-free run holding ``start`` is a URL before it."""
    floor = max(0, start - 2048)
    run_start = max(text.rfind(" ", floor, start) + 1, text.rfind("\n", floor, start) + 1, floor)
    return text.find("://", run_start, start) >= 0 or text.startswith("www.", run_start)


_BEGIN = "-----BEGIN "
_END = "-----END "


def armored_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of ``-----BEGIN X-----`` … ``-----END X-----`` blocks (to the end if unclosed).

    One pass of ``str.find``; a block ends at its ``-----END`` or at the next header.
    """
    blocks: list[tuple[int, int]] = []
    at = text.find(_BEGIN)
    while at >= 0:
        following = text.find(_BEGIN, at + len(_BEGIN))
        closing = text.find(_END, at, following if following >= 0 else len(text))
        end = closing if closing >= 0 else (following if following >= 0 else len(text))
        blocks.append((at, end))
        at = following
    return blocks


def _inside(blocks: Sequence[tuple[int, int]], position: int) -> bool:
    """Whether ``position`` lies in one of the sorted, disjoint ``blocks`` (bisection)."""
    index = bisect_right(blocks, (position, sys.maxsize)) - 1
    return index >= 0 and blocks[index][0] <= position < blocks[index][1]


def _wrapped_line(text: str, start: int, end: int) -> bool:
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


def looks_random(value: str) -> bool:
    """A generated value rather than a name: letters and digits, not words, not a stand-in.

    Looser than a bare token's test (hex passes): used where the place already says
    credential, such as a URL's user name followed by a host.
    """
    return (
        any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and not _is_identifier(value)
        and not looks_like_placeholder(value)
        and _entropy(value) >= 3.0
    )


def judge(
    text: str,
    start: int,
    end: int,
    blocks: Sequence[tuple[int, int]] = (),
    markers: Markers | None = None,
) -> tuple[float | None, str]:
    """Score the candidate ``text[start:end]``: (score, why) or (None, why not).

    ``blocks``: the text's armored blocks (``armored_blocks``), whose lines are key or
    certificate material that the private-key recognizer or nobody reports. ``markers``:
    the text's vendor markers (``Markers.of``), to find the ones in the candidate without
    a search per candidate.
    """
    value = text[start:end]
    if len(value) > MAX_LENGTH:
        return None, f"longer than {MAX_LENGTH} characters: data, not a key"
    vendor = documented_vendor(value)
    if vendor is not None:
        return None, f"documented example ({vendor})"
    if _UUID.fullmatch(value):
        return None, "UUID"
    if _HEX.fullmatch(value):
        return None, "hex: a hash, digest, commit or id"
    if _inside(blocks, start):
        return None, "inside a -----BEGIN …----- block (a key or certificate)"
    if _wrapped_line(text, start, end):
        return None, "a line of a wrapped base64 block (data)"
    if looks_like_placeholder(value):
        return None, "placeholder"
    if _HASH_PREFIX.match(value):
        return None, "hash (algorithm prefix)"
    has_digit = any(c.isdigit() for c in value)
    has_letter = any(c.isalpha() for c in value)
    if not (has_digit and has_letter):
        if not has_letter:
            return None, "no letters: a number"
        return None, _QUIET if _is_identifier(value) else "no digits: a word or name"
    if _VERSION.fullmatch(value):
        return None, "version string"
    if _in_url(text, start):
        return None, "part of a URL"
    if _is_identifier(value):
        return None, _QUIET
    if _entropy(value) < _min_entropy(len(value)):
        return None, "low entropy"
    kind = _decoded_kind(value)
    if kind is not None:
        return None, kind
    claimed = claimed_by_vendor(value) if markers is None else markers.claim(start, end, value)
    if claimed:
        return None, "left to its vendor's recognizer"
    if _object_id(value):
        return None, "prefixed object id (call_, msg_, cus_ …)"
    return _score(text, start, end, value), ""


def _score(text: str, start: int, end: int, value: str) -> float:
    classes = (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
    )
    score = 0.6 if classes >= 3 else 0.45
    if len(value) >= (24 if classes < 3 else 32):
        score += 0.1
    before = text[max(0, start - 40) : start]
    if _SECRET_WORDS.search(before):
        score += 0.25
    if _HASH_WORDS.search(before):
        score -= 0.3
    if (start and text[start - 1] == ".") or text.startswith("(", end):
        score -= 0.3  # an attribute or a call: code, not a pasted value
    return round(min(score, 0.9), 2)


def claimed_by_vendor(value: str) -> bool:
    """The value starts with a vendor's token marker, or a table row matches in it.

    Only a marker at the start counts: two-letter markers (``SK``, ``pw``) occur inside
    random text every few dozen tokens and would hide real keys.
    """
    head = value[:24]
    if any(head.startswith(w) and prefilter.is_marker(w) for w in prefilter.find_words(head)):
        return True
    return table.claims(value)


@dataclass(frozen=True, slots=True)
class Markers:
    """Where vendor markers (exact-case token prefixes) occur in one text, in order."""

    offsets: list[int]
    words: list[str]

    @classmethod
    def of(cls, text: str) -> Markers:
        """From the shared automaton's hits, which every secret recognizer reuses."""
        hits = prefilter.words_present(text)
        found = sorted(
            (offset, word)
            for word, offsets in hits.items()
            if prefilter.is_marker(word)
            for offset in offsets
        )
        return cls([offset for offset, _ in found], [word for _, word in found])

    def claim(self, start: int, end: int, value: str) -> bool:
        """``claimed_by_vendor(value)`` from the markers inside ``[start, end)``."""
        first = bisect_left(self.offsets, start)
        last = bisect_left(self.offsets, end, first)
        if first == last:
            return False
        inside = {
            w
            for o, w in zip(self.offsets[first:last], self.words[first:last], strict=True)
            if o + len(w) <= end
        }
        if any(o == start for o in self.offsets[first:last]):
            return True
        return table.claims_with(value, inside)


def _candidates(text: str) -> list[tuple[int, int]]:
    """Token runs, trimmed of edge punctuation; a dotted run is judged part by part."""
    spans: list[tuple[int, int]] = []
    for run in _RUN.finditer(text):
        start, end = run.span()
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        if end - start < MIN_LENGTH:
            continue
        parts = [(start, end)] if "." not in text[start:end] else _dotted(text, start, end)
        for part_start, part_end in parts:
            inside = _path_parts(text, part_start, part_end) if "/" in text[start:end] else None
            if inside is None:
                spans.append((part_start, part_end))
            else:
                note_rejected(ENTITY, part_start, part_end, "file or URL path", _NAME)
                spans.extend(inside)
    return spans


def _dotted(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Parts of a dotted run worth judging: none for a JWT, a version or a dotted name."""
    value = text[start:end]
    if "eyJ" in value or _VERSION.fullmatch(value):
        note_rejected(ENTITY, start, end, "JWT-shaped or version: not a bare token", _NAME)
        return []
    spans = []
    position = start
    for part in value.split("."):
        if len(part) >= MIN_LENGTH:
            spans.append((position, position + len(part)))
        position += len(part) + 1
    return spans


class BareTokenRecognizer(EntityRecognizer):
    """Random-looking strings with no key name and no vendor prefix; see the module."""

    SUPPORTED: ClassVar[str] = ENTITY

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[ENTITY], name=_NAME, supported_language=supported_language
        )

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        explaining = is_collecting()
        blocks = armored_blocks(text) if _BEGIN in text else []
        candidates = _candidates(text)
        markers = Markers.of(text) if candidates else None
        for start, end in candidates:
            score, reason = judge(text, start, end, blocks, markers)
            if score is not None and score >= MIN_REPORTED:
                results.append(self._result(start, end, score))
            elif explaining and reason != _QUIET:
                why = reason or f"score {score} below {MIN_REPORTED}"
                note_rejected(ENTITY, start, end, why, _NAME)
        return results

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=_NAME,
            original_score=score,
            pattern_name="bare token (entropy, character classes, length, context)",
        )
        return RecognizerResult(
            entity_type=ENTITY,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: _NAME,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


class _Spanned(Protocol):
    @property
    def entity_type(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def score(self) -> float: ...


_S = TypeVar("_S", bound=_Spanned)


def defer_to_others(results: list[_S]) -> list[_S]:
    """Drop bare tokens that another finding covers: one value is reported once.

    A vendor recognizer, a key assignment (``api_key=…``) or an IBAN says more about
    the value than its shape does, so its finding stays and the bare one goes. Works on
    Presidio's results and on findings (the joined view adds its own after the scan).
    """
    if not any(r.entity_type == ENTITY for r in results):
        return results
    others = [r for r in results if r.entity_type != ENTITY]
    kept = list(others)
    for result in results:
        if result.entity_type != ENTITY:
            continue
        cover = next(
            (
                o
                for o in others
                if o.start < result.end
                and result.start < o.end
                and (o.score >= 0.5 or o.entity_type.startswith("SECRET_"))
            ),
            None,
        )
        if cover is None:
            kept.append(result)
        else:
            why = f"reported as {cover.entity_type}"
            note_rejected(ENTITY, result.start, result.end, why, _NAME)
    return kept
