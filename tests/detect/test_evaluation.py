"""Evaluation corpus and scorer, plus the CI recall / false-alarm thresholds for Haetae."""

from __future__ import annotations

import base64
import datetime as dt
import os
import random
import re
import subprocess
import sys
import unicodedata
import urllib.parse
from collections import Counter
from pathlib import Path

import orjson
import pytest

from gateway.detect import SUPPORTED_ENTITIES, DetectionEngine, Finding
from gateway.dev.evaluation import (
    DEFAULT_SEED,
    ENTITIES,
    STRUCTURED_ENTITIES,
    NamedDetector,
    Report,
    Sample,
    Span,
    build_corpus,
    corpus_digest,
    evaluate,
    presidio_baseline,
    write_corpus,
)
from gateway.dev.evaluation import values as gen
from gateway.dev.evaluation.checks import (
    brn_is_valid,
    crn_is_valid,
    frn_is_valid,
    iban_is_valid,
    luhn_is_valid,
    rrn_is_valid,
)
from gateway.dev.evaluation.report import render_markdown

#: Entities (and "FALSE_ALARMS") that currently miss the CI threshold, with the reason. The
#: threshold tests xfail for these and fail once they pass, so this list cannot go stale.
KNOWN_GAPS: dict[str, str] = {
    # Empty: every structured identifier and secret is at or above the bar on positives and
    # disguised variants, and clear negatives raise no alarm (docs/detection.md, Measured).
}

RECALL_THRESHOLD = 0.99
DISGUISED_RECALL_THRESHOLD = 0.99
FALSE_ALARM_THRESHOLD = 0.01
#: Free text: names, addresses and markings are not held to the identifiers' 0.99.
FREE_TEXT = ("CONFIDENTIAL_MARKER", "PERSON", "KR_ADDRESS")
#: Structured identifiers and secrets.
THRESHOLD_ENTITIES = tuple(e for e in ENTITIES if e not in FREE_TEXT)
#: Floors for names, addresses and markings (recall, precision), a little under what is
#: measured today (PERSON 96.8 % / 100 %, KR_ADDRESS 100 % / 100 %, CONFIDENTIAL_MARKER
#: 100 % / 100 %) so that a regression fails CI. Bare names are the weak spot: Kiwi misses
#: about one in six (see docs/detection.md).
FREE_TEXT_FLOORS: dict[str, tuple[float, float]] = {
    "PERSON": (0.90, 0.95),
    "KR_ADDRESS": (0.95, 0.95),
    "CONFIDENTIAL_MARKER": (0.95, 0.95),
}
#: Hard-negative families built against one entity: that entity must not fire on any of them.
HARD_NEGATIVE_GUARDS: dict[str, str] = {
    "marking_concept": "CONFIDENTIAL_MARKER",
    "crn_lookalike": "KR_CRN",
}

# Shape of each entity's value after folding disguises (NFKC, format characters removed).
_SEP = r"[- .]?"
SHAPES: dict[str, str] = {
    "KR_RRN": rf"\d{{6}}{_SEP}\d{{7}}",
    "KR_FRN": rf"\d{{6}}{_SEP}[5-8]\d{{6}}",
    "KR_CRN": rf"\d{{6}}{_SEP}\d{{7}}",
    "KR_BRN": rf"\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{5}}",
    "KR_PASSPORT": r"[MSROD](?:\d{3}[A-Z]\d{4}|\d{8})",
    "KR_DRIVER_LICENSE": rf"\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{6}}{_SEP}\d{{2}}",
    "PHONE_NUMBER": r"\+?[\d][\d .-]{6,16}\d",
    "KR_BANK_ACCOUNT": r"\d{3,6}(?:[- .]\d{2,7}){2,3}",
    "EMAIL_ADDRESS": r"[\w.+-]+@[a-z0-9.-]+\.[a-z]{2,}",
    "CREDIT_CARD": r"\d{4}(?:[- .]?\d{2,6}){2,4}",
    "IBAN_CODE": r"[A-Z]{2}\d{2}(?:[ .]?[A-Z0-9]{1,4})+",
    "IP_ADDRESS": r"[\d.]{7,15}|[0-9a-f:]{15,39}",
    "US_SSN": rf"\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{4}}",
    "SECRET_AWS_ACCESS_KEY": r"A[KS]IA[A-Z2-7]{16}",
    "SECRET_AWS_SECRET_KEY": r"[A-Za-z0-9/+]{40}",
    "SECRET_GITHUB_TOKEN": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{82}",
    "SECRET_OPENAI_KEY": r"sk-(?:proj-|svcacct-)?[\w-]+T3BlbkFJ[\w-]+",
    "SECRET_ANTHROPIC_KEY": r"sk-ant-api03-[\w-]{93}AA",
    "SECRET_GOOGLE_API_KEY": r"AIza[\w-]{35}",
    "SECRET_SLACK_TOKEN": r"xox[bpa]-\d{11}-\d{13}-[A-Za-z0-9]{24}",
    "SECRET_PRIVATE_KEY": r"-----BEGIN [A-Z ]+-----\n[A-Za-z0-9+/=\n]+\n-----END [A-Z ]+-----",
    "SECRET_JWT": r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
    "SECRET_DB_URL": r"[A-Za-z0-9]{10,20}",  # the password: the label is the secret part
    "GENERIC_SECRET": r"[A-Za-z0-9+/=_-]{24,88}",
    "SECRET_STRIPE_KEY": r"[sr]k_live_[A-Za-z0-9]{24,99}",
    "SECRET_GITLAB_TOKEN": r"glpat-[\w-]{20}",
    "SECRET_NPM_TOKEN": r"npm_[A-Za-z0-9]{36}",
    "SECRET_HF_TOKEN": r"hf_[A-Za-z]{34}",
    "SECRET_PASSWORD": r"\S{6,}",
    "CONFIDENTIAL_MARKER": r"[^\s\[\]].*[^\s\[\]]",
    "PERSON": r"(?:남궁|선우|제갈|황보)[가-힣]{2}|[가-힣]{3}",
    "KR_ADDRESS": (
        r"[가-힣]+(?: [가-힣]+)* [가-힣0-9]+(?:로|길|동) [0-9]+(?:-[0-9]+)?(?:번지)?"
        r"(?:, [0-9]+층| [0-9]+동 [0-9]+호)?(?: \([가-힣]+\))?"
    ),
}


@pytest.fixture(scope="module")
def corpus() -> list[Sample]:
    return build_corpus()


def _fold(value: str) -> str:
    """Undo the corpus' disguises so the value can be checked against its shape."""
    value = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch.isprintable())
    value = value.replace("%40", "@").replace("[.]", ".").replace("[:]", ":")
    if " at " in value:
        value = value.replace(" at ", "@").replace(" dot ", ".")
    if "@" in value:  # "+" is part of an e-mail local part
        return value
    return value[:1] + value[1:].replace("+", " ")  # a URL's "+" is a space; "+82" stays


# The corpus' number words, read independently of the detector's tables.
_NUMBER_WORDS = {
    **{word: str(d) for d, word in enumerate("공일이삼사오육칠팔구")},
    **{word: str(d) for d, word in enumerate("〇一二三四五六七八九")},
    **{
        word: str(d)
        for d, word in enumerate(
            ["영", "하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉"]
        )
    },
    **{
        word: str(d)
        for d, word in enumerate(
            ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        )
    },
}
_WORD = re.compile("|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)))


def _plain_values(entity: str, value: str) -> list[str]:
    """The plain values of ``entity``'s shape a disguised value spells or encodes."""
    shape = SHAPES[entity]
    folded = _fold(value)
    spellings = [folded, folded.replace(" ", ""), *_respell(value)]
    plain = [spelling for spelling in spellings if re.fullmatch(shape, spelling)]
    for message in _decoded(value):
        plain += [found.group() for found in re.finditer(shape, _fold(message))]
    return plain


def _respell(value: str) -> tuple[str, str]:
    """Digits of any script, other separators and number words, written plainly: with the
    spaces between groups kept, and closed up."""
    value = "".join(
        str(unicodedata.digit(ch)) if unicodedata.digit(ch, None) is not None else ch
        for ch in value
    )
    value = _WORD.sub(lambda m: _NUMBER_WORDS[m.group()], value)
    value = " ".join(value.split())  # tabs, line breaks, Unicode spaces
    value = re.sub(r" ?([-.,]) ?", r"\1", value).replace(",", "-")
    return value, re.sub(r"(?<=\d) (?=\d)", "", value)


def _decoded(value: str) -> list[str]:
    """What a percent-, hex- or base64-encoded value holds, nested once."""
    out: list[str] = []
    for text in (value, urllib.parse.unquote(value)):
        for decode in (bytes.fromhex, base64.b64decode):
            try:
                inner = decode(text).decode("utf-8")
            except ValueError:
                continue
            out.append(urllib.parse.unquote(inner))
            for decode_again in (bytes.fromhex, base64.b64decode):
                try:
                    out.append(urllib.parse.unquote(decode_again(inner).decode("utf-8")))
                except ValueError:
                    continue
    out.append(urllib.parse.unquote(value))
    return out


def test_corpus_is_deterministic() -> None:
    first = build_corpus(seed=7)  # how long it takes is `haetae eval`'s to show, not a test's
    assert first == build_corpus(seed=7)
    assert first != build_corpus(seed=8)


_DIGEST_SCRIPT = (
    "from gateway.dev.evaluation import build_corpus, corpus_digest\n"
    "print(corpus_digest(build_corpus()))\n"
)


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_corpus_is_the_same_in_every_process(corpus: list[Sample], hash_seed: str) -> None:
    """``haetae eval`` scores the same texts in CI as here: no draw depends on ``hash()``."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", _DIGEST_SCRIPT],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == corpus_digest(corpus)


def test_eval_uses_the_documented_seed() -> None:
    """The seed is stated in docs/detection.md, so a reader can rebuild the measured corpus."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "detection.md").read_text("utf-8")
    assert f"seed {DEFAULT_SEED}" in docs
    assert build_corpus() == build_corpus(seed=DEFAULT_SEED)


def test_marking_labels_follow_the_definition(corpus: list[Sample]) -> None:
    """Markings are labelled as written on a document; the concept words never are."""
    concept = re.compile(r"기밀성|기밀[ ]?유지|비밀번호|confidentiality", re.IGNORECASE)
    for sample in corpus:
        for span in sample.spans:
            value = sample.text[span.start : span.end]
            assert (span.entity == "CONFIDENTIAL_MARKER") <= (not concept.search(value))
        if sample.kind == "hard_negative" and sample.id.startswith("hard-marking_concept"):
            assert not sample.spans
    concepts = [s for s in corpus if s.id.startswith("hard-marking_concept")]
    assert len(concepts) >= 12


def test_corpus_sizes(corpus: list[Sample]) -> None:
    assert len({s.id for s in corpus}) == len(corpus)
    kinds = Counter(s.kind for s in corpus)
    positives = Counter(s.spans[0].entity for s in corpus if s.kind == "positive")
    disguised = Counter(s.spans[0].entity for s in corpus if s.kind == "disguised")
    assert all(positives[e] >= 20 for e in ENTITIES), positives
    assert all(disguised[e] >= 10 for e in STRUCTURED_ENTITIES), disguised
    assert kinds["negative"] >= 300
    assert kinds["hard_negative"] >= 100
    assert {s.language for s in corpus} == {"ko", "en"}


def test_every_span_is_its_value(corpus: list[Sample]) -> None:
    for sample in corpus:
        assert bool(sample.spans) == (sample.kind in ("positive", "disguised")), sample.id
        for span in sample.spans:
            assert 0 <= span.start < span.end <= len(sample.text), sample.id
            value = sample.text[span.start : span.end]
            assert value == value.strip(), sample.id
            shape = SHAPES[span.entity]
            if sample.kind == "positive":
                assert re.fullmatch(shape, value), (sample.id, value)
            else:  # "M123 4567 8": grouped with spaces
                folded = _fold(value)
                if re.fullmatch(shape, folded) or re.fullmatch(shape, folded.replace(" ", "")):
                    continue
                # Another spelling (digits, separators, words) or an encoded message holding it.
                assert _plain_values(span.entity, value), (sample.id, value)


def test_checksummed_values_in_the_corpus_validate(corpus: list[Sample]) -> None:
    checks = {
        "KR_BRN": brn_is_valid,
        "KR_CRN": crn_is_valid,
        "KR_FRN": frn_is_valid,
        "CREDIT_CARD": luhn_is_valid,
        "IBAN_CODE": iban_is_valid,
    }
    for sample in corpus:
        for span in sample.spans:
            if span.entity in checks:
                value = sample.text[span.start : span.end]
                plain = [_fold(value)] if sample.kind == "positive" else []
                plain += _plain_values(span.entity, value) if sample.kind == "disguised" else []
                assert any(checks[span.entity](v) for v in plain), (sample.id, value)


def test_generators_produce_valid_numbers() -> None:
    rng = random.Random(1)
    for _ in range(300):
        number = gen.rrn(rng)
        assert rrn_is_valid(number), number
        assert _birth(number) is not None, number
        recent = gen.rrn_post_2020(rng)
        assert not rrn_is_valid(recent), recent
        born = _birth(recent)
        assert born is not None and born >= dt.date(2020, 10, 1), recent
        assert frn_is_valid(gen.frn(rng))
        assert brn_is_valid(gen.brn(rng))
        assert crn_is_valid(gen.crn(rng))
        assert luhn_is_valid(gen.card(rng))
        assert iban_is_valid(gen.iban(rng))


def test_check_digit_rules_on_published_numbers() -> None:
    assert rrn_is_valid("900101-1234568") and not rrn_is_valid("900101-1234567")
    assert brn_is_valid("124-81-00998") and not brn_is_valid("124-81-00997")
    assert crn_is_valid("130111-0006246") and not crn_is_valid("130111-0006247")
    assert luhn_is_valid("4111 1111 1111 1111") and not luhn_is_valid("4111 1111 1111 1112")
    assert iban_is_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_is_valid("GB83 WEST 1234 5698 7654 32")


def _birth(number: str) -> dt.date | None:
    d = [int(ch) for ch in number if ch.isdigit()]
    century = {1: 1900, 2: 1900, 3: 2000, 4: 2000}[d[6]]
    try:
        return dt.date(century + d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5])
    except ValueError:
        return None


# --- scorer -------------------------------------------------------------------------------

_TEXT = "주민번호 900101-1234568 입니다"  # the label is 900101-1234568 at 5..19
_LABEL = Span("KR_RRN", 5, 19)


def _run(*findings: Finding, kind: str = "positive", **kwargs: object) -> Report:
    spans = (_LABEL,) if kind in ("positive", "disguised") else ()
    sample = Sample("s", _TEXT, spans, kind, "ko")  # type: ignore[arg-type]
    return evaluate(lambda text: list(findings), [sample], **kwargs)  # type: ignore[arg-type]


def _f(entity: str, start: int, end: int, score: float = 1.0) -> Finding:
    return Finding(entity, start, end, score, "test")


def test_exact_match_counts() -> None:
    score = _run(_f("KR_RRN", 5, 19)).entities["KR_RRN"]
    assert (score.recall, score.precision) == (1.0, 1.0)


@pytest.mark.parametrize(("start", "end", "hit"), [(5, 12, True), (5, 11, False), (0, 12, True)])
def test_partial_overlap_needs_half_the_label(start: int, end: int, hit: bool) -> None:
    score = _run(_f("KR_RRN", start, end)).entities["KR_RRN"]
    assert score.recall == (1.0 if hit else 0.0)
    assert score.precision == (1.0 if hit else 0.0)


def test_wrong_entity_is_a_miss_and_a_false_finding() -> None:
    report = _run(_f("KR_FRN", 5, 19))
    assert report.entities["KR_RRN"].recall == 0.0
    assert report.entities["KR_RRN"].missed == ["s"]
    assert report.entities["KR_FRN"].false_findings == 1


def test_low_scores_and_out_of_scope_entities_are_set_aside() -> None:
    report = _run(_f("KR_RRN", 5, 19, score=0.4), _f("DATE_TIME", 5, 11))
    assert report.entities["KR_RRN"].recall == 0.0
    assert report.out_of_scope == Counter({"DATE_TIME": 1})


def test_finding_on_a_negative_is_a_false_alarm() -> None:
    report = _run(_f("PHONE_NUMBER", 5, 19), kind="negative")
    assert (report.negatives, report.negatives_alarmed, report.false_alarm_rate) == (1, 1, 1.0)
    assert report.negative_entities == Counter({"PHONE_NUMBER": 1})
    assert report.negative_alarms[0].excerpt == "900101-1234568"
    assert report.entities["PHONE_NUMBER"].precision == 0.0


def test_hard_negative_alarms_are_listed_but_not_false_alarms() -> None:
    report = _run(_f("KR_RRN", 5, 19), kind="hard_negative")
    assert report.false_alarm_rate == 0.0
    assert [a.entity for a in report.hard_negative_alarms] == ["KR_RRN"]


def test_disguised_recall_is_separate_and_unsupported_is_flagged() -> None:
    report = _run(kind="disguised", supported={"EMAIL_ADDRESS"})
    score = report.entities["KR_RRN"]
    assert (score.positives, score.disguised, score.disguised_recall) == (0, 1, 0.0)
    assert not score.supported


def test_jsonl_round_trip(corpus: list[Sample], tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    assert write_corpus(path, corpus[:50]) == 50
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert set(rows[0]) == {"id", "text", "spans", "kind", "language"}
    span = rows[0]["spans"][0]
    assert rows[0]["text"][span["start"] : span["end"]] == _value(corpus[0])


def _value(sample: Sample) -> str:
    return sample.text[sample.spans[0].start : sample.spans[0].end]


# --- CI thresholds for Haetae -------------------------------------------------------------


@pytest.fixture(scope="module")
def haetae(corpus: list[Sample]) -> Report:
    engine = DetectionEngine()
    engine.warm_up()
    detector = NamedDetector("Haetae", engine.scan, engine.entities)
    return evaluate(detector, [s for s in corpus if s.kind != "hard_negative"])


@pytest.mark.parametrize("entity", THRESHOLD_ENTITIES)
def test_recall_on_positives(haetae: Report, entity: str) -> None:
    if entity not in SUPPORTED_ENTITIES:
        pytest.skip(f"{entity}: no recognizer yet")
    score = haetae.entities[entity]
    recall = score.recall or 0.0
    if entity in KNOWN_GAPS:
        assert recall < RECALL_THRESHOLD, f"{entity} now passes: remove it from KNOWN_GAPS"
        pytest.xfail(f"known gap ({recall:.0%}): {KNOWN_GAPS[entity]}")
    assert recall >= RECALL_THRESHOLD, f"{entity} recall {recall:.1%}, missed {score.missed}"


@pytest.mark.parametrize("entity", STRUCTURED_ENTITIES)
def test_recall_on_disguised_variants(haetae: Report, entity: str) -> None:
    """Full-width, zero-width, bidi, odd separators, inside JSON, URLs and code."""
    score = haetae.entities[entity]
    recall = score.disguised_recall or 0.0
    gap = f"{entity} (disguised)"
    if gap in KNOWN_GAPS:
        assert recall < DISGUISED_RECALL_THRESHOLD, f"{gap} now passes: remove from KNOWN_GAPS"
        pytest.xfail(f"known gap ({recall:.0%}): {KNOWN_GAPS[gap]}")
    assert recall >= DISGUISED_RECALL_THRESHOLD, f"{entity} {recall:.1%}, missed {score.missed}"


@pytest.mark.parametrize("entity", sorted(FREE_TEXT_FLOORS))
def test_free_text_entities_hold_their_floors(haetae: Report, entity: str) -> None:
    score = haetae.entities[entity]
    recall_floor, precision_floor = FREE_TEXT_FLOORS[entity]
    assert (score.recall or 0.0) >= recall_floor, (entity, score.recall, score.missed)
    assert (score.precision or 0.0) >= precision_floor, (entity, score.precision)


@pytest.fixture(scope="module")
def haetae_hard(corpus: list[Sample]) -> Report:
    engine = DetectionEngine(list(set(HARD_NEGATIVE_GUARDS.values())))
    return evaluate(engine.scan, [s for s in corpus if s.kind == "hard_negative"])


@pytest.mark.parametrize(("family", "entity"), sorted(HARD_NEGATIVE_GUARDS.items()))
def test_guarded_hard_negatives_stay_quiet(haetae_hard: Report, family: str, entity: str) -> None:
    """The marking words used as concepts, and CRN-valid numbers that are something else."""
    assert haetae_hard.hard_negatives >= 100
    alarms = [
        (a.sample_id, a.excerpt)
        for a in haetae_hard.hard_negative_alarms
        if a.sample_id.startswith(f"hard-{family}-") and a.entity == entity
    ]
    assert alarms == []


def test_every_korean_name_in_the_templates_is_labelled(corpus: list[Sample]) -> None:
    """Names other templates write next to a value are PERSON labels too, never unlabelled."""
    for sample in corpus:
        if sample.kind != "positive":
            continue
        for name in ("김민수", "이서연", "박지훈"):
            at = sample.text.find(name)
            if at != -1:
                assert Span("PERSON", at, at + len(name)) in sample.spans, sample.id


def test_false_alarms_on_clear_negatives(haetae: Report) -> None:
    rate = haetae.false_alarm_rate
    if "FALSE_ALARMS" in KNOWN_GAPS:
        assert rate > FALSE_ALARM_THRESHOLD, "false alarms are fixed: remove from KNOWN_GAPS"
        pytest.xfail(f"known gap ({rate:.1%}): {KNOWN_GAPS['FALSE_ALARMS']}")
    assert rate <= FALSE_ALARM_THRESHOLD, [(a.sample_id, a.entity) for a in haetae.negative_alarms]


def test_side_by_side_report_renders(haetae: Report, corpus: list[Sample]) -> None:
    presidio = evaluate(presidio_baseline(), corpus[::40])
    markdown = render_markdown(haetae, presidio)
    assert "| KR_RRN |" in markdown and "not supported" in markdown
    assert "false-alarm rate" in markdown
