"""How long a policy switch takes to reach a second replica (``haetae rollout bench``).

Starts two gateway processes on loopback that share the local Redis (under a
key prefix of their own, deleted afterwards), activates N policy versions on
replica A through the admin API, and times, for each, when B's ``/readyz``
first names the new version: from sending the upload to A, and from A's
answer to the activation (A switches before it answers, so that second figure
is what the other replicas lag behind). Half the versions change rules only
(the running detection engine is reused); the other half add a term list, so
both replicas build a new engine before switching. One last version is the
slowest case there is, shown on its own: the first policy to scan for names,
which makes each replica load its name model (once per process).

The baseline, measured in the same run, is A's own activation (upload, a
second admin's approval as four eyes requires, and activate on one replica);
the floors are Redis' pub/sub delivery and one ``/readyz`` round trip, the
resolution of the measurement. By default the replicas re-read the shared
pointer only every 30 s, so the figures are the push path's, not the periodic
re-read's.

    python -m gateway.dev.bench.rollout --activations 20
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# httpx and the replica harness are imported where they are used: ``haetae --help``
# imports this module for ``add_arguments`` and should load nothing more.
if TYPE_CHECKING:
    from gateway.dev.testing.replicas import Replica

__all__ = ["Switch", "bench_policies", "measure_switches", "run_rollout_bench"]

_TOKEN = "rollout-bench-token-0001"
_BUDGET = 1.0  # seconds: the promise, every replica within one second
_BASE = """\
policy: bench-{n}
rules:
  - id: no-cn
    when: {{ provider.jurisdiction: [CN] }}
    action: block
  - id: redact-email
    when: {{ entities: [EMAIL_ADDRESS] }}
    action: redact
"""
_TERMS = """\
detection:
  dictionaries:
    - {{ entity: CODENAME, terms: [bench-term-{n}] }}
"""
_TERMS_RULE = """\
  - id: codename
    when: {{ entities: [CODENAME] }}
    action: block
"""
_NAMES_RULE = """\
  - id: names
    when: { entities: [PERSON] }
    action: redact
"""
#: the kind of the last activation, the first to scan for names
FIRST_NAMES = "first name scan"


@dataclass(frozen=True, slots=True)
class Switch:
    kind: str  # "rules only" | "new engine" | FIRST_NAMES
    a_answered: float  # seconds from sending the upload to A's answer to the activation
    b_serving: float  # seconds from sending the upload to B first reporting the version

    @property
    def after_a(self) -> float:
        return self.b_serving - self.a_answered


def bench_policies(count: int, seed: str) -> list[tuple[str, str]]:
    """``count`` distinct policies, alternately rules-only and new-engine changes, then
    the first to scan for names."""
    policies = []
    for n in range(count):
        name = f"{seed}-{n}"
        if n % 2 == 0:
            policies.append(("rules only", _BASE.format(n=name)))
        else:
            text = _TERMS.format(n=name) + _BASE.format(n=name) + _TERMS_RULE.format()
            policies.append(("new engine", text))
    policies.append((FIRST_NAMES, _BASE.format(n=f"{seed}-names") + _NAMES_RULE))
    return policies


def measure_switches(
    a_url: str, b_url: str, policies: Sequence[tuple[str, str]], token: str, timeout: float = 10.0
) -> list[Switch]:
    """Activate each policy on A; time when B serves it. Raises if B lags past ``timeout``."""
    import httpx

    from gateway.dev.testing.replicas import reviewer_token

    switches = []
    headers = {"authorization": f"Bearer {token}"}
    reviewer = {"authorization": f"Bearer {reviewer_token(token)}"}
    with (
        httpx.Client(base_url=f"{a_url}/admin/v1", headers=headers, timeout=30) as a,
        httpx.Client(base_url=b_url, timeout=5) as b,
    ):
        for kind, text in policies:
            began = time.perf_counter()
            uploaded = a.post("/policies", content=text)
            uploaded.raise_for_status()
            version = uploaded.json()["version"]
            # Four eyes: a second person approves before the activation (timed with it).
            a.post(f"/policies/{version}/approve", headers=reviewer).raise_for_status()
            a.post(f"/policies/{version}/activate").raise_for_status()
            a_answered = time.perf_counter() - began
            deadline = time.monotonic() + timeout
            while b.get("/readyz").json().get("policy_version") != version:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"replica B did not switch to {version} in {timeout} s")
            switches.append(Switch(kind, a_answered, time.perf_counter() - began))
    return switches


def _pubsub_delivery(redis_url: str, channel: str, count: int) -> list[float]:
    """Seconds from PUBLISH to a subscriber on another connection receiving it."""
    import redis

    publisher = redis.Redis.from_url(redis_url)
    subscriber = redis.Redis.from_url(redis_url).pubsub()
    subscriber.subscribe(channel)
    delays = []
    try:
        _next_message(subscriber, "subscribe")
        for n in range(count):
            sent = time.perf_counter()
            publisher.publish(channel, str(n))
            _next_message(subscriber, "message")
            delays.append(time.perf_counter() - sent)
    finally:
        subscriber.close()
        publisher.close()
    return delays


def _next_message(subscriber: Any, kind: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        message = subscriber.get_message(timeout=left)
        if message is not None and message.get("type") == kind:
            return
    raise TimeoutError(f"no pub/sub {kind} within {timeout} s")


def _probe_round_trips(url: str, count: int) -> list[float]:
    import httpx

    with httpx.Client(base_url=url, timeout=5) as client:
        times = []
        for _ in range(count):
            began = time.perf_counter()
            client.get("/readyz")
            times.append(time.perf_counter() - began)
    return times


def format_table(rows: Sequence[tuple[str, Sequence[float]]], baseline: Sequence[float]) -> str:
    """One line per measurement: n, min, median, max (ms) and median / baseline median."""
    base = statistics.median(baseline)
    lines = [
        f"{'measurement':<44} {'n':>3} {'min ms':>8} {'median ms':>10} {'max ms':>8} "
        f"{'× baseline':>10}",
    ]
    for label, values in rows:
        if not values:
            continue
        median = statistics.median(values)
        lines.append(
            f"{label:<44} {len(values):>3} {min(values) * 1e3:>8.1f} {median * 1e3:>10.1f} "
            f"{max(values) * 1e3:>8.1f} {median / base:>10.2f}"
        )
    return "\n".join(lines)


def run_rollout_bench(
    activations: int = 8,
    redis_url: str = "redis://127.0.0.1:6379/0",
    poll_interval: float = 30.0,
    out: Callable[[str], Any] = print,
    key_prefix: str | None = None,
) -> int:
    """Start two replicas, measure, print the table (and whether each lag met the budget).

    The replicas keep their keys under ``key_prefix`` (default: ``haetae-bench:`` and a
    random id), and every key under it is deleted at the end.
    """
    import redis
    from redis.exceptions import RedisError

    try:
        with redis.Redis.from_url(redis_url, socket_connect_timeout=2) as client:
            client.ping()
    except (RedisError, OSError) as exc:
        out(f"rollout bench: Redis at {redis_url} is not reachable ({type(exc).__name__})")
        return 2
    seed = uuid.uuid4().hex[:12]
    prefix = key_prefix if key_prefix is not None else f"haetae-bench:{seed}:"
    policies = bench_policies(activations, seed)
    try:
        with tempfile.TemporaryDirectory(prefix="haetae-rollout-bench-") as temporary:
            folder = Path(temporary)
            switches, pubsub, probes = _run(folder, redis_url, prefix, poll_interval, policies)
    finally:
        _delete_keys(redis_url, prefix)
    regular = [s for s in switches if s.kind != FIRST_NAMES]
    names = [s for s in switches if s.kind == FIRST_NAMES]
    a_answered = [s.a_answered for s in regular]
    rows = [
        ("baseline: activation on A alone (A answered)", a_answered),
        ("B serving it, from the upload to A", [s.b_serving for s in regular]),
        ("  rules only (engine reused)", [s.b_serving for s in regular if s.kind == "rules only"]),
        ("  new detection engine", [s.b_serving for s in regular if s.kind == "new engine"]),
        ("B serving it, after A answered", [s.after_a for s in regular]),
        ("first name scan: A answered", [s.a_answered for s in names]),
        ("first name scan: B serving, after A answered", [s.after_a for s in names]),
        ("floor: Redis PUBLISH → subscriber", pubsub),
        ("floor: one GET /readyz on B", probes),
    ]
    out(
        f"Policy switch across two replicas: {len(regular)} activations on A (+1 first name "
        f"scan), Redis {redis_url}, B's periodic re-read every {poll_interval:g} s (so the push "
        "path is measured)"
    )
    out(format_table(rows, a_answered))
    for label, measured in (("", regular), (" on the first name scan", names)):
        worst = max(s.after_a for s in measured)
        verdict = "within" if worst <= _BUDGET else "OVER"
        out(
            f"slowest lag of B behind A{label}: {worst * 1e3:.1f} ms, "
            f"{verdict} the {_BUDGET:g} s budget"
        )
    return 0


def _run(
    folder: Path,
    redis_url: str,
    prefix: str,
    poll_interval: float,
    policies: Sequence[tuple[str, str]],
) -> tuple[list[Switch], list[float], list[float]]:
    policy = folder / "policy.yaml"
    from gateway.dev.testing.replicas import replicas
    from gateway.rollout.signing import generate_key_pair

    policy.write_text(_BASE.format(n="start"), encoding="utf-8")
    signing_key, _verify_key = generate_key_pair(folder / "keys")  # one key for both replicas
    specs = []
    for name in ("a", "b"):
        config = {
            "policy": str(policy),
            "audit": {"url": f"sqlite:///{folder / name / 'audit.db'}"},
            "rollout": {
                "redis_url": redis_url,
                "key_prefix": prefix,
                "poll_interval": poll_interval,
                "file_poll_interval": 0,
                "signing_key_file": str(signing_key),
            },
            "log_level": "warning",
        }
        specs.append((folder / name, config))
    with replicas(*specs, token=_TOKEN) as (a, b):
        _wait_for_agreement(a, b)
        pubsub = _pubsub_delivery(redis_url, f"{prefix}bench", 50)
        probes = _probe_round_trips(b.base_url, 50)
        switches = measure_switches(a.base_url, b.base_url, policies, _TOKEN)
    return switches, pubsub, probes


def _wait_for_agreement(a: Replica, b: Replica, timeout: float = 30.0) -> None:
    """Both replicas serve the same, Redis-confirmed version (the seed is settled)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [httpx.get(f"{r.base_url}/readyz", timeout=5).json() for r in (a, b)]
        versions = {s.get("policy_version") for s in states}
        if len(versions) == 1 and all(s.get("policy_source") == "redis" for s in states):
            return
        time.sleep(0.05)
    raise TimeoutError("the two replicas did not agree on a shared policy version")


def _delete_keys(redis_url: str, prefix: str) -> None:
    import redis
    from redis.exceptions import RedisError

    try:
        with redis.Redis.from_url(redis_url, socket_connect_timeout=2) as client:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            if keys:
                client.delete(*keys)
    except (RedisError, OSError):
        pass  # nothing to clean if it cannot be reached


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--activations", type=int, default=8, help="policy versions to activate (8)"
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/0", help="the Redis both replicas share"
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=30.0,
        help="the replicas' periodic re-read of the shared pointer, seconds (30: push only)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.dev.bench.rollout", description=__doc__
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.activations < 1:
        parser.error("--activations must be at least 1")
    return run_rollout_bench(args.activations, args.redis_url, args.poll_interval)


if __name__ == "__main__":
    raise SystemExit(main())
