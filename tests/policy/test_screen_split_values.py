"""Screen: a value found in parts (``Finding.joined``) is judged and counted as one."""

from __future__ import annotations

from gateway.detect.findings import Finding
from gateway.policy.detection import AllowedValues, Screen

TEXTS = ["call 1588", "-1234 today", "and 010-2345-6789"]
PARTS = [
    [Finding("PHONE_NUMBER", 5, 9, 0.8, "joined", joined=1)],
    [Finding("PHONE_NUMBER", 0, 5, 0.8, "joined", joined=1)],
    [Finding("PHONE_NUMBER", 4, 17, 0.8, "phone")],
]


def test_a_split_value_counts_once_and_keeps_both_parts() -> None:
    screened = Screen(0.5, keep_scores=True)(TEXTS, PARTS)
    assert screened.counts == {"PHONE_NUMBER": 2}
    assert screened.scores == {"PHONE_NUMBER": [0.8, 0.8]}
    assert [len(found) for found in screened.findings] == [1, 1, 1]


def test_the_allow_list_reads_the_parts_put_together() -> None:
    allowed = {"PHONE_NUMBER": AllowedValues(exact=frozenset({"1588-1234"}))}
    screened = Screen(0.5, allowed=allowed)(TEXTS, PARTS)
    assert screened.counts == {"PHONE_NUMBER": 1}
    assert screened.findings[0] == [] and screened.findings[1] == []
    # a part alone is not the listed value: it does not hide the split one
    part_only = {"PHONE_NUMBER": AllowedValues(exact=frozenset({"1588"}))}
    assert Screen(0.5, allowed=part_only)(TEXTS, PARTS).counts == {"PHONE_NUMBER": 2}
