"""Loading policy files: precise errors, includes, detector settings, versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.detect import Finding
from gateway.errors import ConfigError
from gateway.policy import load_policy, parse_policy

KNOWN = {"KR_RRN", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "SECRET_AWS_ACCESS_KEY"}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_policy(path, KNOWN)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "policy: p\nrules:\n  - id: a\n    when: {provder: [x]}\n    action: block\n",
            "p.yaml:4: rules[0] (rule 'a').when.provder: unknown key",
        ),
        (
            "policy: p\nrules:\n  - id: a\n    when:\n      entities: [KR_RRM]\n"
            "    action: block\n",
            "p.yaml:5: rules[0] (rule 'a').when.entities[0]: 'KR_RRM' is not an entity",
        ),
        (
            "policy: p\nrules:\n  - id: a\n    when: {provider: [x]}\n    action: redact\n",
            "p.yaml:5: rules[0] (rule 'a').action: action 'redact' needs 'entities'",
        ),
        (
            "policy: p\nrules:\n  - id: a\n    when: {source: [10.0.0.300/8]}\n    action: block\n",
            "p.yaml:4: rules[0] (rule 'a').when.source: '10.0.0.300/8' is not an address",
        ),
        (
            "policy: p\nrules:\n  - id: a\n    when: {prompt_chars: {min: 9, max: 1}}\n"
            "    action: warn\n",
            "p.yaml:4: rules[0] (rule 'a').when.prompt_chars: 'min' (9) is above 'max' (1)",
        ),
        (
            "policy: p\ngroups: [staff]\nrules:\n  - id: a\n    when: {groups: [staf]}\n"
            "    action: block\n",
            "p.yaml:5: rules[0] (rule 'a').when.groups[0]: group 'staf' is not in the policy's",
        ),
        (
            "policy: p\ndetection:\n  thresholds: {NOPE: 0.3}\n",
            "p.yaml:3: detection.thresholds.NOPE: 'NOPE' is not an entity",
        ),
        ("policy: p\nrules:\n  - id: a\n    when: {provider: [x]\n", "p.yaml:5: not valid YAML"),
        ("rules: []\n", "a policy needs a name"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    message = error_of(write(tmp_path, "p.yaml", text))
    assert expected in message


def test_includes_merge_rules_and_the_version_covers_every_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "shared/base.yaml",
        "rules: [{id: rrn, when: {entities: [KR_RRN]}, action: block}]\n",
    )
    write(
        tmp_path,
        "shared/contacts.yaml",
        "include: [base.yaml]\n"
        "rules: [{id: mail, when: {entities: [EMAIL_ADDRESS]}, action: redact}]\n",
    )
    top = write(
        tmp_path,
        "p.yaml",
        # base.yaml arrives twice (directly and through contacts.yaml): read once
        "policy: p\ninclude: [shared/base.yaml, shared/contacts.yaml]\n"
        "rules: [{id: cards, when: {entities: [CREDIT_CARD]}, action: block}]\n",
    )
    policy = load_policy(top, KNOWN)
    assert [r.id for r in policy.rules] == ["rrn", "mail", "cards"]
    assert len(policy.files) == 3
    before = policy.version
    write(
        tmp_path,
        "shared/base.yaml",
        "rules: [{id: rrn, when: {entities: [KR_RRN]}, action: redact}]\n",
    )
    assert load_policy(top, KNOWN).version != before


def test_include_cycles_and_conflicts_are_errors(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "include: [b.yaml]\n")
    write(tmp_path, "b.yaml", "include: [a.yaml]\n")
    cycle = write(tmp_path, "p.yaml", "policy: p\ninclude: [a.yaml]\n")
    assert "include cycle: p.yaml → a.yaml → b.yaml → a.yaml" in error_of(cycle)

    write(tmp_path, "f.yaml", "rules:\n  - {id: x, when: {provider: [a]}, action: block}\n")
    clash = write(
        tmp_path,
        "q.yaml",
        "policy: q\ninclude: [f.yaml]\nrules:\n  - {id: x, when: {provider: [b]}, action: block}\n",
    )
    message = error_of(clash)
    assert "q.yaml:4: rules[0] (rule 'x').id: rule id 'x' is also used at" in message
    assert "f.yaml:2" in message

    write(tmp_path, "t.yaml", "detection: {thresholds: {KR_RRN: 0.3}}\n")
    contradict = write(
        tmp_path, "r.yaml", "policy: r\ninclude: [t.yaml]\ndetection: {thresholds: {KR_RRN: 0.9}}\n"
    )
    assert "threshold 0.9 contradicts 0.3" in error_of(contradict)

    write(tmp_path, "d.yaml", "default_action: block\n")
    top_only = write(tmp_path, "s.yaml", "policy: s\ninclude: [d.yaml]\n")
    assert "d.yaml:1: default_action: only the including policy sets this" in error_of(top_only)

    missing = write(tmp_path, "m.yaml", "policy: m\ninclude: [nowhere.yaml]\n")
    assert "m.yaml:2: include[0]: cannot read" in error_of(missing)


def test_an_error_in_a_fragment_names_the_fragment(tmp_path: Path) -> None:
    write(
        tmp_path,
        "frag.yaml",
        "rules:\n  - id: bad\n    when: {entities: [KR_RRX]}\n    action: block\n",
    )
    top = write(tmp_path, "p.yaml", "policy: p\ninclude: [frag.yaml]\n")
    assert "frag.yaml:3: rules[0] (rule 'bad').when.entities[0]" in error_of(top)


def finding(entity: str, start: int, end: int, score: float = 0.9) -> Finding:
    return Finding(entity, start, end, score, "test")


def test_thresholds_and_allow_lists_decide_which_findings_count(tmp_path: Path) -> None:
    write(tmp_path, "public.txt", "press@example.com\n")
    policy = load_policy(
        write(
            tmp_path,
            "p.yaml",
            """
policy: p
detection:
  min_score: 0.5
  thresholds: {PHONE_NUMBER: 0.8, "SECRET_*": 0.3}
  allow:
    - {values: [Support@Example.com], entities: [EMAIL_ADDRESS]}
    - {file: public.txt}
rules:
  - {id: r, when: {entities: [EMAIL_ADDRESS, PHONE_NUMBER, SECRET_AWS_ACCESS_KEY]}, action: redact}
""",
        ),
        KNOWN,
    )
    text = "support@example.com kim@example.com press@example.com 010-1234-5678 AKIA"
    findings = [
        finding("EMAIL_ADDRESS", 0, 19),  # allow-listed, case-insensitively
        finding("EMAIL_ADDRESS", 20, 35),
        finding("EMAIL_ADDRESS", 36, 53),  # allow-listed from the file
        finding("PHONE_NUMBER", 54, 67, 0.7),  # below its own threshold
        finding("SECRET_AWS_ACCESS_KEY", 68, 72, 0.35),  # above its lower threshold
    ]
    screened = policy.screen([text], [findings])
    assert screened.counts == {"EMAIL_ADDRESS": 1, "SECRET_AWS_ACCESS_KEY": 1}
    assert [f.start for f in screened.findings[0]] == [20, 68]


def test_scan_adds_entities_to_what_is_scanned() -> None:
    policy = parse_policy(b"policy: p\ndetection: {scan: [PHONE_NUMBER]}\n", KNOWN)
    assert policy.scanned_entities == {"PHONE_NUMBER"}


def test_a_policy_that_fails_is_never_returned_half_built(tmp_path: Path) -> None:
    # the first rule is fine, the second is not: nothing is returned at all
    text = (
        "policy: p\nrules:\n  - {id: ok, when: {provider: [a]}, action: block}\n"
        "  - {id: bad, when: {provider: [a]}, action: mask}\n"
    )
    with pytest.raises(ConfigError, match="rule 'bad'"):
        parse_policy(text.encode(), KNOWN)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            "{entities: {KR_RRN: {min_cout: 2}}}",
            ["when.entities.KR_RRN.min_cout: unknown key"],
        ),
        ("{attachments: maybe}", ["when.attachments: should be a boolean or list"]),
        (
            "{provider.jurisdiction: [NO]}",
            ["jurisdiction[0]: Input should be a valid string (YAML"],
        ),
    ],
)
def test_values_of_the_wrong_shape_get_one_plain_line(
    tmp_path: Path, condition: str, expected: list[str]
) -> None:
    text = f"policy: p\nrules:\n  - id: a\n    when: {condition}\n    action: block\n"
    message = error_of(write(tmp_path, "p.yaml", text))
    problems = message.splitlines()[1:]
    assert len(problems) == len(expected)
    for line, wanted in zip(problems, expected, strict=True):
        assert wanted in line and line.startswith(str(tmp_path / "p.yaml") + ":4: ")


def test_a_fragment_including_the_policy_itself_is_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, "frag.yaml", "include: [p.yaml]\n")
    top = write(tmp_path, "p.yaml", "policy: p\ninclude: [frag.yaml]\n")
    assert "include cycle: p.yaml → frag.yaml → p.yaml" in error_of(top)
