import random
import re

import pytest

from gateway.detect import Finding
from gateway.detect.redact import redact_text
from gateway.detect.transforms import (
    MaskRule,
    PlaceholderCollisionError,
    Pseudonymizer,
    hash_text,
    mask_text,
    merge_findings,
    normalize_value,
    replace_spans,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
PLACEHOLDER = re.compile(r"\[\[[A-Z0-9_]+_[0-9a-f]{10}\]\]")


def f(entity: str, start: int, end: int, score: float = 0.9) -> Finding:
    return Finding(entity, start, end, score, "test")


def whole(entity: str, text: str) -> list[Finding]:
    return [f(entity, 0, len(text))]


@pytest.mark.parametrize(
    ("entity", "value", "expected"),
    [
        ("KR_RRN", "900101-1234568", "900101-1******"),
        ("KR_RRN", "9001011234568", "9001011******"),
        ("CREDIT_CARD", "4111-1111-1111-1111", "****-****-****-1111"),
        ("CREDIT_CARD", "4111 1111 1111 1111", "**** **** **** 1111"),
        ("CREDIT_CARD", "4111111111111111", "************1111"),
        ("PHONE_NUMBER", "010-1234-5678", "010-****-5678"),
        ("PHONE_NUMBER", "02-123-4567", "02-***-4567"),
        ("EMAIL_ADDRESS", "kim@example.co.kr", "k**@example.co.kr"),
        ("EMAIL_ADDRESS", "kim.minsu@example.com", "k**.*****@example.com"),
        ("EMAIL_ADDRESS", "k@x.kr", "*@x.kr"),
        ("PERSON", "홍길동", "홍**"),
        ("SECRET_OPENAI_KEY", "sk-abcdef", "**-****ef"),
        ("US_SSN", "123.45 6789", "***.** **89"),
        ("OTHER", "ab", "*b"),
        ("OTHER", "x", "*"),
        ("OTHER", "--", "--"),
    ],
)
def test_mask_per_entity(entity: str, value: str, expected: str) -> None:
    masked = mask_text(value, whole(entity, value))
    assert masked == expected
    assert len(masked) == len(value)


def test_mask_in_context_and_override() -> None:
    text = "call 010-1234-5678 now"
    assert mask_text(text, [f("PHONE_NUMBER", 5, 18)]) == "call 010-****-5678 now"
    rule = {"PHONE_NUMBER": MaskRule(keep_start=0, keep_end=0, mask_char="#")}
    assert mask_text(text, [f("PHONE_NUMBER", 5, 18)], keep=rule) == "call ###-####-#### now"


def test_mask_overlapping_uses_best_scored_entity() -> None:
    text = "id 900101-1234568."
    findings = [f("KR_RRN", 3, 17, 1.0), f("CREDIT_CARD", 5, 17, 0.6)]
    assert mask_text(text, findings) == "id 900101-1******."


def test_out_of_range_finding_raises() -> None:
    with pytest.raises(ValueError):
        mask_text("short", [f("X", 2, 10)])


REDACT_CASES = [
    ("no findings", []),
    ("mail a@b.co now", [f("EMAIL_ADDRESS", 5, 11)]),
    ("a@b.co and c@d.co", [f("EMAIL_ADDRESS", 11, 17), f("EMAIL_ADDRESS", 0, 6)]),
    ("id 900101-1234568.", [f("KR_RRN", 3, 17, 1.0), f("CREDIT_CARD", 5, 17, 0.6)]),
    ("xxxxxxxx", [f("A", 0, 4, 0.5), f("B", 2, 8, 0.9)]),
    ("abcdef", [f("A", 0, 2), f("B", 2, 4)]),  # touching spans stay apart
    ("abcdef", [f("A", 1, 3, 0.5), f("B", 1, 3, 0.5)]),  # tie: the first sorted one wins
]


def _random_cases(count: int) -> list[tuple[str, list[Finding]]]:
    rng = random.Random(1234)
    cases = []
    for _ in range(count):
        text = "".join(rng.choice("ab -") for _ in range(rng.randint(0, 20)))
        findings = []
        for _ in range(rng.randint(0, 5)):
            start = rng.randint(0, len(text))
            end = rng.randint(start, len(text))
            findings.append(f(rng.choice("ABC"), start, end, rng.choice([0.3, 0.6, 0.9])))
        cases.append((text, findings))
    return cases


@pytest.mark.parametrize(("text", "findings"), REDACT_CASES + _random_cases(300))
def test_shared_merge_matches_redact_text(text: str, findings: list[Finding]) -> None:
    assert replace_spans(text, findings, lambda e, _: f"<{e}>") == redact_text(text, findings)


def test_merge_findings_spans() -> None:
    spans = merge_findings([f("B", 2, 8, 0.9), f("A", 0, 4, 0.5), f("C", 10, 12)])
    assert [(s.start, s.end, s.entity_type) for s in spans] == [(0, 8, "B"), (10, 12, "C")]


@pytest.mark.parametrize(
    ("entity", "a", "b"),
    [
        ("KR_RRN", "900101-1234568", "9001011234568"),
        ("KR_RRN", "900101 - 1234568", "９００１０１－１２３４５６８"),
        ("PHONE_NUMBER", "010-1234-5678", "010 1234 5678"),
        ("EMAIL_ADDRESS", "Kim@Example.COM", "kim@example.com"),
    ],
)
def test_hash_normalizes_formatting(entity: str, a: str, b: str) -> None:
    assert normalize_value(entity, a) == normalize_value(entity, b)
    assert hash_text(a, whole(entity, a), key=KEY) == hash_text(b, whole(entity, b), key=KEY)


def test_hash_format_stability_and_key() -> None:
    text = "rrn 900101-1234568 and 900101-1234568 vs 800101-1234567"
    findings = [f("KR_RRN", 4, 18), f("KR_RRN", 23, 37), f("KR_RRN", 41, 55)]
    out = hash_text(text, findings, key=KEY)
    tags = re.findall(r"<KR_RRN:[0-9a-f]{8}>", out)
    assert out == f"rrn {tags[0]} and {tags[1]} vs {tags[2]}"
    assert tags[0] == tags[1] != tags[2]
    assert hash_text(text, findings, key=KEY) == out
    assert hash_text(text, findings, key=OTHER_KEY) != out


def test_secrets_keep_case_when_normalized() -> None:
    assert normalize_value("SECRET_OPENAI_KEY", "sk-AbC") != normalize_value("X", "sk-abc")


def test_short_key_rejected() -> None:
    with pytest.raises(ValueError):
        hash_text("x", [], key=b"short")
    with pytest.raises(ValueError):
        Pseudonymizer(b"")


def test_pseudonymize_round_trip_shape() -> None:
    text = "mail kim@example.co.kr or kim@example.co.kr, rrn 900101-1234568"
    findings = [f("EMAIL_ADDRESS", 5, 22), f("EMAIL_ADDRESS", 26, 43), f("KR_RRN", 49, 63)]
    out, mapping = Pseudonymizer(KEY).pseudonymize(text, findings)
    tags = PLACEHOLDER.findall(out)
    assert len(tags) == 3 and tags[0] == tags[1] != tags[2]
    assert tags[0].startswith("[[EMAIL_ADDRESS_") and tags[2].startswith("[[KR_RRN_")
    assert mapping == {tags[0]: "kim@example.co.kr", tags[2]: "900101-1234568"}
    assert out == f"mail {tags[0]} or {tags[1]}, rrn {tags[2]}"


def test_pseudonyms_stable_across_calls_and_instances() -> None:
    text = "kim@example.co.kr"
    first = Pseudonymizer(KEY).pseudonymize(text, whole("EMAIL_ADDRESS", text))
    again = Pseudonymizer(KEY).pseudonymize(text, whole("EMAIL_ADDRESS", text))
    other_turn = Pseudonymizer(bytes(KEY)).pseudonymize(
        "hi " + text, [f("EMAIL_ADDRESS", 3, 3 + len(text))]
    )
    assert first == again
    assert other_turn[1] == first[1]
    other_key = Pseudonymizer(OTHER_KEY).pseudonymize(text, whole("EMAIL_ADDRESS", text))
    assert set(other_key[1]).isdisjoint(first[1])


def test_pseudonym_depends_on_entity_and_normalized_value() -> None:
    p = Pseudonymizer(KEY)
    assert p.placeholder("KR_RRN", "900101-1234568") == p.placeholder("KR_RRN", "9001011234568")
    assert p.placeholder("KR_RRN", "9001011234568") != p.placeholder("PHONE", "9001011234568")
    assert p.placeholder("custom-type", "x").startswith("[[CUSTOM_TYPE_")


def test_pseudonymize_variants_keep_first_original() -> None:
    text = "9001011234568 900101-1234568"
    out, mapping = Pseudonymizer(KEY).pseudonymize(text, [f("KR_RRN", 0, 13), f("KR_RRN", 14, 28)])
    assert list(mapping.values()) == ["9001011234568"]
    assert out == " ".join([next(iter(mapping))] * 2)


def test_pseudonymize_overlapping_findings() -> None:
    text = "id 900101-1234568."
    findings = [f("KR_RRN", 3, 17, 1.0), f("CREDIT_CARD", 5, 17, 0.6)]
    out, mapping = Pseudonymizer(KEY).pseudonymize(text, findings)
    (tag,) = mapping
    assert out == f"id {tag}." and tag.startswith("[[KR_RRN_")
    assert mapping[tag] == "900101-1234568"


def test_pseudonym_collision_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    p = Pseudonymizer(KEY)
    monkeypatch.setattr(p, "placeholder", lambda entity, value: "[[X_0000000000]]")
    with pytest.raises(PlaceholderCollisionError):
        p.pseudonymize("aa bb", [f("X", 0, 2), f("X", 3, 5)])
