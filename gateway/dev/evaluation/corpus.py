"""A labelled, seeded evaluation corpus of Korean and English prompts.

The corpus is generated rather than collected so that it holds no real personal data, can be
published with the code, and grows with the entity list. Same seed, same samples: a change in
a score is a change in a recognizer, never in the data.

Decision on ``4111111111111111``: it is Luhn-valid and indistinguishable from a real card
number, and people paste test cards next to real ones, so it is a *positive* CREDIT_CARD.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

from gateway.dev.evaluation.negatives import clear_negatives, hard_negatives
from gateway.dev.evaluation.secret_values import SECRET_PART
from gateway.dev.evaluation.spellings import SPELLING_STYLES, spelled
from gateway.dev.evaluation.templates import (
    TEMPLATE_NAMES,
    Language,
    fill_particles,
    templates_for,
)
from gateway.dev.evaluation.values import GENERATORS, bank_name_for

__all__ = [
    "DEFAULT_SEED",
    "ENTITIES",
    "STRUCTURED_ENTITIES",
    "Kind",
    "Sample",
    "Span",
    "build_corpus",
    "corpus_digest",
    "write_corpus",
]

Kind = Literal["positive", "disguised", "negative", "hard_negative"]

DEFAULT_SEED = 20240601
POSITIVES_PER_ENTITY = 24
#: Free-text entities vary more than identifiers (bare names are the hard case): more samples.
POSITIVES_OF: dict[str, int] = {"PERSON": 60, "KR_ADDRESS": 48, "CONFIDENTIAL_MARKER": 40}
DISGUISED_PER_ENTITY = 14
#: Further disguised variants per identifier: two of each other spelling (``spellings``).
SPELLED_PER_ENTITY = 14

#: Every entity the corpus labels, whether or not a recognizer exists for it yet.
ENTITIES: tuple[str, ...] = tuple(GENERATORS)

#: Identifiers people obfuscate or paste inside data; these get ``disguised`` variants.
STRUCTURED_ENTITIES: tuple[str, ...] = (
    "KR_RRN", "KR_FRN", "KR_PASSPORT", "KR_DRIVER_LICENSE", "KR_BRN", "KR_CRN", "PHONE_NUMBER",
    "KR_BANK_ACCOUNT", "EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN",
)  # fmt: skip

#: Field names used when a value is pasted inside JSON, a URL or code.
_FIELD = {
    "KR_RRN": "rrn", "KR_FRN": "frn", "KR_PASSPORT": "passport_no",
    "KR_DRIVER_LICENSE": "license_no", "KR_BRN": "brn", "KR_CRN": "crn", "PHONE_NUMBER": "phone",
    "KR_BANK_ACCOUNT": "account", "EMAIL_ADDRESS": "email", "CREDIT_CARD": "card",
    "IBAN_CODE": "iban", "IP_ADDRESS": "ip", "US_SSN": "ssn",
}  # fmt: skip

_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
_BIDI = ("\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069")


@dataclass(frozen=True)
class Span:
    entity: str
    start: int
    end: int


@dataclass(frozen=True)
class Sample:
    id: str
    text: str
    spans: tuple[Span, ...]
    kind: Kind
    language: Language


def _embed(template: str, value: str, entity: str) -> tuple[str, Span]:
    """Put ``value`` where ``{v}`` is and return the text and the label's span.

    The label is the value, or runs on to ``{/v}`` where the template writes one (a marking
    and its caveat: ``CONFIDENTIAL - do not distribute``).
    """
    before, after = template.split("{v}")
    extra, _, after = after.rpartition("{/v}")
    text = before + value + extra + after
    return text, Span(entity, len(before), len(before) + len(value) + len(extra))


def _positive(rng: random.Random, entity: str, index: int, value: str) -> Sample:
    templates = templates_for(entity)
    language, template = templates[index % len(templates)]
    if "{bank}" in template:
        template = template.replace("{bank}", bank_name_for(value, rng))
    text, span = _embed(fill_particles(template, value), value, entity)
    if entity in SECRET_PART:
        part_start, part_end = SECRET_PART[entity](value)
        span = Span(entity, span.start + part_start, span.start + part_end)
    spans = (span, *_template_names(text, span))
    return Sample(f"pos-{entity}-{index:03d}", text, spans, "positive", language)


def _template_names(text: str, value: Span) -> list[Span]:
    """PERSON labels for the names a template wrote next to the value (김민수 in 예금주 김민수)."""
    spans = []
    for name in TEMPLATE_NAMES:
        at = text.find(name)
        while at != -1:
            if at >= value.end or at + len(name) <= value.start:
                spans.append(Span("PERSON", at, at + len(name)))
            at = text.find(name, at + len(name))
    return sorted(spans, key=lambda span: span.start)


def _fullwidth(value: str) -> str:
    # ASCII ! .. ~ map to U+FF01 .. U+FF5E; NFKC folds them back.
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in value)


def _insert(rng: random.Random, value: str, alphabet: Sequence[str]) -> str:
    chars = list(value)
    for at in sorted(rng.sample(range(1, len(value)), k=min(3, len(value) - 1)), reverse=True):
        chars.insert(at, rng.choice(alphabet))
    return "".join(chars)


def _separated(rng: random.Random, value: str, entity: str) -> str:
    if entity == "EMAIL_ADDRESS":
        local, domain = value.split("@")
        return f"{local} at {domain.replace('.', ' dot ')}"
    if entity == "IP_ADDRESS":
        return value.replace(".", "[.]").replace(":", "[:]")
    if any(sep in value for sep in "- "):
        sep = rng.choice((" ", "."))
        return value.replace("-", sep).replace(" ", sep)
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


_Wrapper = Callable[[str, str], tuple[Language, str]]

_WRAPPERS: tuple[_Wrapper, ...] = (
    lambda field, v: (
        "ko",
        '다음 JSON에서 이름만 뽑아줘: {"name": "김민수", "' + field + '": "' + v + '"}',
    ),
    lambda field, v: ("en", f"Open https://crm.internal/lookup?{field}={v}&lang=ko and summarize"),
    lambda field, v: ("en", 'customer = {"id": 42, "' + field + '": "' + v + '"}\nprint(customer)'),
)


def _disguised(rng: random.Random, entity: str, index: int, value: str) -> Sample:
    """One obfuscated or embedded form of ``value``; the label covers the whole disguise."""
    style = index % 7
    if style >= 4:  # pasted inside JSON, a URL query string or code
        field = _FIELD[entity]
        language, template = _WRAPPERS[(style - 4) % len(_WRAPPERS)](field, "{v}")
        if style == 5:  # as a browser's address bar would show it
            value = value.replace("@", "%40").replace(" ", "+")
    else:
        if style == 0:
            value = _fullwidth(value)
        elif style == 1:
            value = _insert(rng, value, _ZERO_WIDTH)
        elif style == 2:
            value = _insert(rng, value, _BIDI)
        else:
            value = _separated(rng, value, entity)
        templates = templates_for(entity)
        language, template = templates[rng.randrange(len(templates))]
        if "{bank}" in template:
            template = template.replace("{bank}", "국민은행")
    text, span = _embed(template, value, entity)
    return Sample(f"dis-{entity}-{index:03d}", text, (span,), "disguised", language)


def _spelled(rng: random.Random, entity: str, index: int, value: str) -> Sample:
    """The value spelt another way (digits, separators, words, encodings); label as above."""
    style = SPELLING_STYLES[(index - DISGUISED_PER_ENTITY) % len(SPELLING_STYLES)]
    language, template, disguised = spelled(rng, entity, value, style)
    text, span = _embed(template, disguised, entity)
    return Sample(f"dis-{entity}-{index:03d}", text, (span,), "disguised", language)


def _stream(seed: int, part: str) -> random.Random:
    """An independent random stream per part of the corpus.

    A string seed is hashed with SHA-512 by ``random``, not with ``hash()``, so the stream is
    the same in every process whatever ``PYTHONHASHSEED`` is; and adding a template or a
    sample to one entity leaves every other entity's values as they were.
    """
    return random.Random(f"haetae-corpus/{seed}/{part}")


def build_corpus(seed: int = DEFAULT_SEED) -> list[Sample]:
    """Generate the whole corpus: positives, disguised variants, negatives, hard negatives."""
    samples: list[Sample] = []
    for entity in ENTITIES:
        rng = _stream(seed, f"positive/{entity}")
        generate = GENERATORS[entity]
        for index in range(POSITIVES_OF.get(entity, POSITIVES_PER_ENTITY)):
            value = generate(rng)
            if entity == "CREDIT_CARD" and index == 0:
                value = "4111111111111111"  # the classic test card: a positive, see above
            samples.append(_positive(rng, entity, index, value))
    for entity in STRUCTURED_ENTITIES:
        rng = _stream(seed, f"disguised/{entity}")
        generate = GENERATORS[entity]
        for index in range(DISGUISED_PER_ENTITY):
            samples.append(_disguised(rng, entity, index, generate(rng)))
        # Drawn after the first kind, from the same stream: those samples stay as they were.
        for index in range(DISGUISED_PER_ENTITY, DISGUISED_PER_ENTITY + SPELLED_PER_ENTITY):
            samples.append(_spelled(rng, entity, index, generate(rng)))
    for index, (family, language, text) in enumerate(clear_negatives(_stream(seed, "negative"))):
        samples.append(Sample(f"neg-{family}-{index:03d}", text, (), "negative", language))
    hard = hard_negatives(_stream(seed, "hard_negative"))
    for index, (family, language, text) in enumerate(hard):
        samples.append(Sample(f"hard-{family}-{index:03d}", text, (), "hard_negative", language))
    return samples


def sample_to_json(sample: Sample) -> dict[str, object]:
    return {
        "id": sample.id,
        "text": sample.text,
        "spans": [
            {"entity": span.entity, "start": span.start, "end": span.end} for span in sample.spans
        ],
        "kind": sample.kind,
        "language": sample.language,
    }


def corpus_digest(samples: Sequence[Sample]) -> str:
    """SHA-256 of the corpus as JSONL: the same digest means the same texts and labels."""
    digest = hashlib.sha256()
    for sample in samples:
        digest.update(orjson.dumps(sample_to_json(sample)) + b"\n")
    return digest.hexdigest()


def write_corpus(path: Path, samples: Sequence[Sample] | None = None) -> int:
    """Write the corpus (default seed unless ``samples`` given) as JSONL; return the count."""
    rows = build_corpus() if samples is None else samples
    with path.open("wb") as out:
        for sample in rows:
            out.write(orjson.dumps(sample_to_json(sample)) + b"\n")
    return len(rows)
