"""The `limits:` section: validated with clear errors, compiled, merged from includes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main
from gateway.errors import ConfigError
from gateway.policy import parse_policy
from gateway.policy.facts import PolicyInput

KNOWN = {"EMAIL_ADDRESS", "KR_RRN"}
HEAD = "policy: p\nlimits:\n"


def _limits(text: str):
    return parse_policy((HEAD + text).encode(), KNOWN).limits


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - {id: a, per: user, window: 60s}", "needs exactly one of requests, tokens or spend"),
        (
            "  - {id: a, per: user, requests: 1, tokens: 5, window: 60s}",
            "(has requests, tokens)",
        ),
        ("  - {id: a, per: user, requests: 1, window: 2w}", "a number and a unit s, m, h or d"),
        ("  - {id: a, per: user, requests: 1, window: 400d}", "longer than 366 days"),
        ("  - {id: a, per: team, requests: 1, window: 1h}", "per"),
        ("  - {id: a, per: [user, user], requests: 1, window: 1h}", "distinct"),
        ("  - {id: a, per: user, requests: 0, window: 1h}", "greater than or equal to 1"),
        ("  - {id: a, per: user, spend: -5, window: 30d}", "greater than 0"),
        ("  - {id: a, per: user, requests: 1, window: 1h, when: {entities: [NOPE]}}", "NOPE"),
        (
            "  - {id: a, per: user, requests: 1, window: 1h}\n"
            "  - {id: a, per: user, requests: 2, window: 1h}",
            "limit id 'a' is used twice",
        ),
    ],
)
def test_mistakes_are_named_with_their_line(entry: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        _limits(entry)
    assert message in str(error.value)
    assert "<policy>:" in str(error.value)


def test_check_command_names_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "  - id: rpm\n    per: user\n    requests: 5\n    window: 1 min\n")
    assert main(["policy", "check", str(bad)]) == 1
    assert "bad.yaml:6: limits[0] (limit 'rpm').window" in capsys.readouterr().out


def test_counters_per_combination_and_per_group() -> None:
    (limit,) = _limits("  - {id: g, per: [group, provider], requests: 1, window: 1h}")
    base = PolicyInput("openai", "US", None, "chat", "gpt-4o")
    two = list(limit.buckets(base._replace(groups=("risk", "ops"))))
    assert len(two) == 2 and len({b.key for b in two}) == 2
    none = list(limit.buckets(base))
    assert len(none) == 1 and none[0].key not in {b.key for b in two}
    other = list(limit.buckets(base._replace(groups=("risk",), provider="anthropic")))
    assert other[0].key not in {b.key for b in two}
    assert two[0].window_ms == 3_600_000 and two[0].amount == 1


def test_when_selects_requests_and_spend_counts_micro_dollars() -> None:
    (limit,) = _limits(
        "  - {id: s, per: user, spend: 12.5, window: 30d, when: {entities: [KR_RRN]}}"
    )
    base = PolicyInput("openai", "US", None, "chat", "gpt-4o", user="kim")
    assert list(limit.buckets(base)) == []
    (bucket,) = limit.buckets(base._replace(entity_counts={"KR_RRN": 1}))
    assert bucket.kind == "spend" and bucket.amount == 12_500_000


def test_limits_merge_from_included_fragments(tmp_path: Path) -> None:
    (tmp_path / "shared.yaml").write_text(
        "limits:\n  - {id: shared, per: user, tokens: 1000, window: 1d}\n", encoding="utf-8"
    )
    top = (
        "policy: p\ninclude: [shared.yaml]\n"
        "limits:\n  - {id: own, per: user, requests: 5, window: 60s}\n"
    )
    policy = parse_policy(top.encode(), KNOWN, base_dir=tmp_path)
    assert [limit.id for limit in policy.limits] == ["shared", "own"]
    clash = top.replace("id: own", "id: shared")
    with pytest.raises(ConfigError, match="also used at"):
        parse_policy(clash.encode(), KNOWN, base_dir=tmp_path)
