"""``haetae rollout bench``: two real replicas, a table, and its own keys cleaned up."""

from __future__ import annotations

import re

import pytest
import redis

from gateway.cli import main
from gateway.detect import SUPPORTED_ENTITIES
from gateway.dev.bench.rollout import FIRST_NAMES, bench_policies, run_rollout_bench
from gateway.policy import parse_policy
from gateway.policy.active import detector_spec
from tests.support.services import closed_port


@pytest.mark.slow
def test_the_bench_prints_a_row_per_measurement_and_leaves_no_keys(
    redis_url: str, key_prefix: str
) -> None:
    lines: list[str] = []
    code = run_rollout_bench(
        activations=2, redis_url=redis_url, out=lines.append, key_prefix=key_prefix
    )
    text = "\n".join(lines)
    # No timing assertion: whether the budget was met is the printed verdict.
    assert code == 0, text
    for label in (
        "baseline: activation on A alone",
        "B serving it, from the upload to A",
        "rules only (engine reused)",
        "new detection engine",
        "B serving it, after A answered",
        "first name scan: B serving, after A answered",
        "floor: Redis PUBLISH",
    ):
        row = next(line for line in text.splitlines() if label in line)
        numbers = re.findall(r"\d+\.\d+|\d+", row[len(label) + 2 :])
        assert len(numbers) == 5, row  # n, min, median, max, ratio
    verdicts = re.findall(
        r"slowest lag of B behind A.*: [\d.]+ ms, (within|OVER) the 1 s budget", text
    )
    assert len(verdicts) == 2
    with redis.Redis.from_url(redis_url) as client:  # only this test's keys: others share Redis
        assert list(client.scan_iter(match=f"{key_prefix}*")) == []


def test_each_bench_policy_is_a_new_version_and_half_need_a_new_engine() -> None:
    policies = bench_policies(4, "seed")
    assert [kind for kind, _ in policies] == ["rules only", "new engine"] * 2 + [FIRST_NAMES]
    compiled = [parse_policy(text.encode(), SUPPORTED_ENTITIES) for _, text in policies]
    assert len({policy.version for policy in compiled}) == 5
    specs = [detector_spec(policy) for policy in compiled]
    assert specs[0] == specs[2]  # rules only: the running engine serves
    assert len({specs[0], specs[1], specs[3]}) == 3  # each new-engine kind needs its own
    assert "PERSON" in specs[4][0] and all("PERSON" not in spec[0] for spec in specs[:4])


def test_an_unreachable_redis_is_said_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"redis://127.0.0.1:{closed_port()}/0"
    assert main(["rollout", "bench", "--activations", "1", "--redis-url", url]) == 2
    assert f"Redis at {url} is not reachable" in capsys.readouterr().out
