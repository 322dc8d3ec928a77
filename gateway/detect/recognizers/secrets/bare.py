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
- lines of ``-----BEGIN …-----`` blocks and of wrapped base64 (public keys, certificates),
  and API object ids (``call_…``, ``msg_…``, ``cus_…``);
- a token a vendor recognizer claims (its prefix or marker is in it): that recognizer's
  checksum and placeholder rules decide, so an invented ``ghp_`` token stays unreported.

What is left is scored by character classes, length and context: three classes (lower,
upper, digit) score 0.6, two 0.45; 32 characters or more (24 with two classes) add 0.1;
a secret word in the 40 characters before (key, token, 키, 비밀번호 …) adds 0.25; a hash
or id word (sha256, commit, checksum, request id …) or a code position (``.name``,
``name(``) takes 0.3 away. The policy's threshold (0.5) then decides. The shape tests
live in ``shapes``.

Cost: one C-level regex pass for runs of 20+ token characters; Python looks only at
those runs, cheapest tests first (a hex digest is dropped after one ``fullmatch``), and
each test reads its candidate once, so a scan stays linear in the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect.findings import FindingLike
from gateway.detect.gates import ascii_bytes
from gateway.detect.recognizers.base import recognizer_result
from gateway.detect.recognizers.secrets import prefilter, shapes, table
from gateway.detect.recognizers.secrets.common import looks_like_placeholder
from gateway.detect.recognizers.secrets.documented import documented_vendor
from gateway.detect.rejections import is_collecting, note_rejected

__all__ = [
    "ENTITY",
    "BareTokenRecognizer",
    "candidates",
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
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_.~-"
_RUN = re.compile(rf"[{re.escape(_TOKEN_CHARS)}]{{{MIN_LENGTH},}}={{0,2}}")
# The text as one byte per character, "t" for a token character and " " for any other: the
# first run of MIN_LENGTH is found by ``bytes.find`` (memory speed), where the regex engine
# tries a match at every token character of the prose (~0.25 ms for 32 KB of mixed text).
_AS_TOKEN_BYTE = bytes(ord("t") if chr(code) in _TOKEN_CHARS else ord(" ") for code in range(256))
_LEAST_RUN = b"t" * MIN_LENGTH
_EDGE = ".~"  # sentence punctuation; "-" and "_" may start or end a token
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


def looks_random(value: str) -> bool:
    """A generated value rather than a name: letters and digits, not words, not a stand-in.

    Looser than a bare token's test (hex passes): used where the place already says
    credential, such as a URL's user name followed by a host.
    """
    return (
        any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and not shapes.is_identifier(value)
        and not looks_like_placeholder(value)
        and shapes.entropy(value) >= 3.0
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
    if shapes.UUID.fullmatch(value):
        return None, "UUID"
    if shapes.HEX.fullmatch(value):
        return None, "hex: a hash, digest, commit or id"
    if shapes.inside(blocks, start):
        return None, "inside a -----BEGIN …----- block (a key or certificate)"
    if shapes.wrapped_line(text, start, end):
        return None, "a line of a wrapped base64 block (data)"
    if looks_like_placeholder(value):
        return None, "placeholder"
    if shapes.HASH_PREFIX.match(value):
        return None, "hash (algorithm prefix)"
    has_digit = any(c.isdigit() for c in value)
    has_letter = any(c.isalpha() for c in value)
    if not (has_digit and has_letter):
        if not has_letter:
            return None, "no letters: a number"
        return None, _QUIET if shapes.is_identifier(value) else "no digits: a word or name"
    if shapes.VERSION.fullmatch(value):
        return None, "version string"
    if shapes.in_url(text, start):
        return None, "part of a URL"
    if shapes.is_identifier(value):
        return None, _QUIET
    if shapes.entropy(value) < shapes.min_entropy(len(value)):
        return None, "low entropy"
    kind = shapes.decoded_kind(value)
    if kind is not None:
        return None, kind
    claimed = claimed_by_vendor(value) if markers is None else markers.claim(start, end, value)
    if claimed:
        return None, "left to its vendor's recognizer"
    if shapes.object_id(value):
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


def _token_marks(text: str) -> bytes:
    """``text`` as one byte per character: "t" for a token character, " " for any other."""
    return ascii_bytes(text).translate(_AS_TOKEN_BYTE)


def _runs(text: str) -> list[tuple[int, int]]:
    """The spans ``_RUN.finditer(text)`` gives, the regex run only where a run begins.

    ``encode(…, "replace")`` writes one "?" per character beyond ASCII, so offsets in the
    marks are offsets in ``text``; the first MIN_LENGTH token characters in a row begin
    the leftmost match, which ``_RUN.match`` then reads (with its padding) as ``finditer``
    would.
    """
    marks = _token_marks(text)
    spans: list[tuple[int, int]] = []
    at = marks.find(_LEAST_RUN)
    while at != -1:
        run = _RUN.match(text, at)
        assert run is not None  # MIN_LENGTH token characters begin here
        spans.append(run.span())
        at = marks.find(_LEAST_RUN, run.end())
    return spans


def candidates(text: str) -> list[tuple[int, int]]:
    """Token runs, trimmed of edge punctuation; a dotted run is judged part by part."""
    spans: list[tuple[int, int]] = []
    for start, end in _runs(text):
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        if end - start < MIN_LENGTH:
            continue
        parts = [(start, end)] if "." not in text[start:end] else _dotted(text, start, end)
        for part_start, part_end in parts:
            inside = (
                shapes.path_parts(text, part_start, part_end, MIN_LENGTH)
                if "/" in text[start:end]
                else None
            )
            if inside is None:
                spans.append((part_start, part_end))
            else:
                note_rejected(ENTITY, part_start, part_end, "file or URL path", _NAME)
                spans.extend(inside)
    return spans


def _dotted(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Parts of a dotted run worth judging: none for a JWT, a version or a dotted name."""
    value = text[start:end]
    if "eyJ" in value or shapes.VERSION.fullmatch(value):
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

    def may_match(self, text: str) -> bool:
        """No candidate without a run of ``_RUN`` (``detect/gates.py``): MIN_LENGTH token
        characters in a row, looked for on the byte copy (``_runs``)."""
        return _token_marks(text).find(_LEAST_RUN) != -1  # not ``in``: see normalize.py

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        explaining = is_collecting()
        blocks = shapes.armored_blocks(text) if shapes.BEGIN in text else []
        spans = candidates(text)
        markers = Markers.of(text) if spans else None
        for start, end in spans:
            score, reason = judge(text, start, end, blocks, markers)
            if score is not None and score >= MIN_REPORTED:
                results.append(self._result(start, end, score))
            elif explaining and reason != _QUIET:
                why = reason or f"score {score} below {MIN_REPORTED}"
                note_rejected(ENTITY, start, end, why, _NAME)
        return results

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return recognizer_result(
            self,
            ENTITY,
            (start, end),
            score,
            "a random-looking token with no key name and no vendor prefix",
            "bare token (entropy, character classes, length, context)",
        )


_S = TypeVar("_S", bound=FindingLike)


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
