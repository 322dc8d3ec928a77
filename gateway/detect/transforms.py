"""Edit actions a policy can apply to findings: partial masking, keyed hashing, pseudonyms.

All three share one rule with :func:`gateway.detect.redact.redact_text`: overlapping findings
merge into one span named by the best-scored finding, and each merged span is replaced once.
Only ``mask_text`` keeps the text's length; the others change it, so the findings' offsets
are never valid for the output.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from gateway.detect.findings import Finding

__all__ = [
    "DEFAULT_MASK_RULES",
    "MIN_KEY_BYTES",
    "MaskRule",
    "PlaceholderCollisionError",
    "Pseudonymizer",
    "Span",
    "hash_tag",
    "hash_text",
    "mask_text",
    "mask_value",
    "merge_findings",
    "normalize_value",
    "replace_spans",
]

#: A shorter HMAC key would make the digests of low-entropy values (RRNs, phone numbers)
#: the only thing between an observer and a brute-force of the key.
MIN_KEY_BYTES = 16

HASH_HEX_CHARS = 8
PSEUDONYM_HEX_CHARS = 10

_DASHES = frozenset("\u2212\ufe63\uff0d")  # minus signs that are not category Pd
_ENTITY_UNSAFE = re.compile(r"[^A-Z0-9_]")


class Span(NamedTuple):
    """A merged, non-overlapping region of the text and the entity that names it."""

    start: int
    end: int
    entity_type: str
    score: float


def merge_findings(findings: Iterable[Finding]) -> list[Span]:
    """Merge overlapping findings (touching ones stay apart), exactly as ``redact_text`` does.

    Each merged span keeps the entity type of its best-scored finding (ties: the earliest).
    """
    merged: list[Span] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            entity, score = last.entity_type, last.score
            if finding.score > score:
                entity, score = finding.entity_type, finding.score
            merged[-1] = Span(last.start, max(last.end, finding.end), entity, score)
        else:
            merged.append(Span(finding.start, finding.end, finding.entity_type, finding.score))
    return merged


def replace_spans(
    text: str,
    findings: Iterable[Finding],
    replace: Callable[[str, str], str],
    replace_part: Callable[[str, str], str] | None = None,
) -> str:
    """Replace each merged span by ``replace(entity_type, value)``.

    Offsets out of range raise instead of being clamped: a finding that does not fit the text
    was computed on another text, and editing the wrong characters could leak the right ones.
    Pieces are joined left to right, which is equivalent to right-to-left in-place edits.
    ``replace_part``, when given, replaces a span holding part of a value split across
    places (``Finding.joined``) instead.
    """
    findings = list(findings)
    split = [(f.start, f.end) for f in findings if f.joined] if replace_part else []
    spans = merge_findings(findings)
    parts: list[str] = []
    cursor = 0
    for span in spans:
        if not 0 <= span.start <= span.end <= len(text):
            raise ValueError(f"finding {span.start}:{span.end} outside text of {len(text)}")
        parts.append(text[cursor : span.start])
        chosen = replace
        if replace_part and any(a < span.end and span.start < b for a, b in split):
            chosen = replace_part
        parts.append(chosen(span.entity_type, text[span.start : span.end]))
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


# --- masking -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaskRule:
    """How much of a value stays readable; only letters and digits are ever masked.

    ``keep_start``/``keep_end`` count letters/digits, not characters, so separators never use
    up the budget. ``local_part_before`` limits masking to the text before the last occurrence
    of that character (``"@"`` masks an e-mail's mailbox and keeps its domain). Whatever the
    rule, at least a third (and at least one) of the masked region's letters/digits are
    masked: ``keep_start`` shrinks first, then ``keep_end``.
    """

    keep_start: int = 0
    keep_end: int = 2
    local_part_before: str | None = None
    mask_char: str = "*"


#: Per-entity defaults. CREDIT_CARD keeps only the last 4 digits: PCI DSS would allow the
#: first 6 too, but the BIN names the issuer and, with the Luhn check, leaves only ~10^5
#: candidates for a 16-digit number; an LLM prompt never needs it.
DEFAULT_MASK_RULES: Mapping[str, MaskRule] = {
    "KR_RRN": MaskRule(keep_start=7, keep_end=0),  # birth date + gender digit: 900101-1******
    "CREDIT_CARD": MaskRule(keep_start=0, keep_end=4),  # ****-****-****-1111
    "PHONE_NUMBER": MaskRule(keep_start=3, keep_end=4),  # 010-****-5678
    "EMAIL_ADDRESS": MaskRule(keep_start=1, keep_end=0, local_part_before="@"),  # k**@x.kr
    "PERSON": MaskRule(keep_start=1, keep_end=0),  # 홍** (Korean convention keeps the surname)
}
_DEFAULT_RULE = MaskRule()


def _mask_value(value: str, rule: MaskRule) -> str:
    """Mask one value by ``rule``, keeping its length and every non-alphanumeric character."""
    head, tail = value, ""
    if rule.local_part_before is not None:
        cut = value.rfind(rule.local_part_before)
        if cut >= 0:
            head, tail = value[:cut], value[cut:]
    count = sum(1 for char in head if char.isalnum())
    keep_start, keep_end = max(rule.keep_start, 0), max(rule.keep_end, 0)
    excess = keep_start + keep_end - (count - max(1, count // 3))
    if excess > 0:
        cut_start = min(keep_start, excess)
        keep_start -= cut_start
        keep_end = max(keep_end - (excess - cut_start), 0)
    out: list[str] = []
    seen = 0
    for char in head:
        if char.isalnum():
            masked = keep_start <= seen < count - keep_end
            out.append(rule.mask_char if masked else char)
            seen += 1
        else:
            out.append(char)
    return "".join(out) + tail


def mask_value(entity_type: str, value: str, keep: Mapping[str, MaskRule] | None = None) -> str:
    """One value masked by its entity type's rule (see :data:`DEFAULT_MASK_RULES`)."""
    rules = keep or DEFAULT_MASK_RULES
    return _mask_value(value, rules.get(entity_type, _DEFAULT_RULE))


def mask_text(
    text: str, findings: Iterable[Finding], *, keep: Mapping[str, MaskRule] | None = None
) -> str:
    """Partially mask each finding so a human (or the LLM) still sees what kind of value it was.

    ``keep`` overrides :data:`DEFAULT_MASK_RULES` per entity type; other types keep their last
    two letters/digits. Length and separators are preserved, so the text's layout survives.
    """
    rules = {**DEFAULT_MASK_RULES, **(keep or {})}
    return replace_spans(
        text, findings, lambda entity, value: _mask_value(value, rules.get(entity, _DEFAULT_RULE))
    )


# --- keyed digests -----------------------------------------------------------------------


def normalize_value(entity_type: str, value: str) -> str:
    """The form that is hashed: formatting variants of one value must digest alike.

    NFKC folds full-width digits; whitespace and dashes are dropped so ``900101-1234568`` and
    ``9001011234568`` agree. E-mail addresses are also case-folded. Other values keep their
    case: secrets such as API keys are case-sensitive.
    """
    folded = unicodedata.normalize("NFKC", value)
    kept = "".join(
        char
        for char in folded
        if not (char.isspace() or char in _DASHES or unicodedata.category(char) == "Pd")
    )
    return kept.casefold() if entity_type == "EMAIL_ADDRESS" else kept


def _check_key(key: bytes) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"HMAC key must be at least {MIN_KEY_BYTES} bytes")
    return key


def _digest(key: bytes, purpose: bytes, entity_type: str, value: str, hex_chars: int) -> str:
    """HMAC-SHA256 over (purpose, entity, normalized value); ``purpose`` keeps the hash and
    pseudonym digests of one value unrelated, so one output cannot be matched to the other.
    """
    message = b"\x00".join(
        (purpose, entity_type.encode(), normalize_value(entity_type, value).encode())
    )
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:hex_chars]


def hash_text(text: str, findings: Iterable[Finding], *, key: bytes) -> str:
    """Replace each finding by ``<ENTITY:xxxxxxxx>``, a keyed digest that is stable per value.

    Equal values (after :func:`normalize_value`) get equal tags, so logs and the LLM can still
    tell "the same RRN twice" apart from "two RRNs"; without ``key`` nobody can test a guess.
    The 8 hex chars are 32 bits: two given values collide with odds 2^-32, and among n distinct
    values some pair collides with odds ~n^2/2^33 (1% at ~9,300 values, 50% at ~77,000), so
    the tag correlates values within a conversation but is not a unique identifier.
    Not reversible: use :class:`Pseudonymizer` when the answer must get the values back.
    """
    secret = _check_key(key)
    return replace_spans(text, findings, lambda entity, value: hash_tag(secret, entity, value))


def hash_tag(key: bytes, entity_type: str, value: str) -> str:
    """``<ENTITY:xxxxxxxx>`` for one value (see :func:`hash_text`)."""
    digest = _digest(_check_key(key), b"haetae-hash-v1", entity_type, value, HASH_HEX_CHARS)
    return f"<{entity_type}:{digest}>"


# --- reversible pseudonyms ---------------------------------------------------------------


class PlaceholderCollisionError(ValueError):
    """Two different values of one text got the same placeholder; restoring would be wrong."""


class Pseudonymizer:
    """Replaces values by placeholders such as ``[[EMAIL_ADDRESS_3f9a2c1b0d]]``, reversibly.

    Format, and why:

    * ``[[`` ``]]`` and ``[A-Z0-9_a-f]`` are ASCII characters that no JSON encoder escapes
      (unlike ``"``, ``\\``, and ``<``/``>``/``&``, which Go's encoder turns into ``\\u003c``),
      so the placeholder reads the same in a decoded SSE delta and in a raw JSON body, and
      no provider can return it ``\\u``-escaped as it could non-ASCII brackets like ``⟦⟧``.
    * ``[[`` is one token in common BPE vocabularies and the upper-case entity name is made
      of familiar sub-words, so models copy it verbatim; CommonMark renders ``[[x]]`` as
      plain text, so a model has no markup to "fix". ``[[`` followed by ``UPPER_hex]]``
      hardly occurs in prose or code (nested lists are ``[[1, 2]]``).
    * Fixed delimiters with no ``[``/``]`` inside make placeholders non-overlapping, which
      lets :class:`gateway.detect.restore.StreamRestorer` hold back only a ``[``-started tail.
    * The 10 hex chars (40 bits) are an HMAC-SHA256 of (entity, normalized value): stable
      across turns and replicas that share ``key``, with no shared state. A collision inside
      one text raises :class:`PlaceholderCollisionError` (fail closed); among n distinct values
      its odds are ~n^2/2^41 (one in a million at ~1,500 values).

    Formatting variants of one value (``900101-1234568``, ``9001011234568``) share a
    placeholder; the mapping restores the first-seen form.
    """

    def __init__(self, key: bytes) -> None:
        self._key = _check_key(key)

    def placeholder(self, entity_type: str, value: str) -> str:
        """The placeholder for one value; entity names are forced into ``[A-Z0-9_]``."""
        digest = _digest(self._key, b"haetae-pseudonym-v1", entity_type, value, PSEUDONYM_HEX_CHARS)
        name = _ENTITY_UNSAFE.sub("_", entity_type.upper()) or "PII"
        return f"[[{name}_{digest}]]"

    def pseudonymize(self, text: str, findings: Iterable[Finding]) -> tuple[str, dict[str, str]]:
        """Replace each finding; return the text and the placeholder → original value mapping.

        Mappings of several texts of one request can be merged with ``dict.update``: the
        placeholders are deterministic, so the same value yields the same key everywhere.
        """
        mapping: dict[str, str] = {}
        identity: dict[str, tuple[str, str]] = {}

        def replace(entity: str, value: str) -> str:
            tag = self.placeholder(entity, value)
            who = (entity, normalize_value(entity, value))
            if identity.setdefault(tag, who) != who:
                raise PlaceholderCollisionError(f"two {entity} values share {tag}")
            mapping.setdefault(tag, value)
            return tag

        return replace_spans(text, findings, replace), mapping
