"""How long ``decide()`` takes for typical requests (``haetae policy bench``).

The budget is 0.1 ms per request. Each case is timed against a baseline from
the same run — ``decide()`` of a policy with no rules, i.e. the call itself —
so the table stays meaningful on a busy or slow machine.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from pathlib import Path

from gateway.policy.evaluate import CompiledPolicy
from gateway.policy.facts import PolicyInput
from gateway.policy.loader import load_policy, parse_policy

__all__ = ["run_policy_bench"]

ROOT = Path(__file__).resolve().parents[3]
BUDGET_US = 100.0


def _request(provider: str = "openai", jurisdiction: str = "US", **counts: int) -> PolicyInput:
    return PolicyInput(
        provider,
        jurisdiction,
        None,
        "chat",
        "gpt-4o",
        counts,
        host="api.openai.com",
        endpoint_countries=("US",),
        user="kim",
        groups=("retail-banking",),
        source="10.1.2.3",
        client_app="openai-python",
        anonymous=False,
        prompt_chars=1800,
    )


def _synthetic(rules: int, known: frozenset[str]) -> CompiledPolicy:
    lines = ["policy: synthetic", "rules:"]
    for i in range(rules):
        lines.append(
            f"  - {{id: r{i}, when: {{all: [{{provider: [p{i}]}}, {{groups: [g{i}]}}]}}, "
            "action: block}"
        )
    return parse_policy("\n".join(lines).encode(), known)


def _time(call: Callable[[], object], number: int) -> float:
    """Best of five runs, in microseconds per call."""
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6


def run_policy_bench(quick: bool = False) -> int:
    from gateway.detect import SUPPORTED_ENTITIES

    known = frozenset(SUPPORTED_ENTITIES)
    number = 2_000 if quick else 20_000
    policies = {
        name: load_policy(ROOT / "policies" / f"{name}.yaml", known)
        for name in ("default", "korea-public-sector", "finance", "developer")
    }
    empty = parse_policy(b"policy: empty\n", known)
    plain, mail = _request(), _request(EMAIL_ADDRESS=2, PHONE_NUMBER=1)
    china, big = _request("deepseek", "CN"), _synthetic(100, known)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("baseline: empty policy", lambda: empty.decide(plain)),
        ("build PolicyInput", lambda: _request()),
        ("default: allow", lambda: policies["default"].decide(plain)),
        ("default: redact e-mail", lambda: policies["default"].decide(mail)),
        ("default: block DeepSeek", lambda: policies["default"].decide(china)),
        ("korea-public-sector: pseudonymize", lambda: policies["korea-public-sector"].decide(mail)),
        ("finance: allow", lambda: policies["finance"].decide(plain)),
        ("developer: allow", lambda: policies["developer"].decide(plain)),
    ]
    # not a typical request: how cost grows with rules; outside the budget
    scale = ("synthetic, 100 rules (scale)", lambda: big.decide(plain))
    rows = [(label, _time(call, number)) for label, call in [*cases, scale]]
    baseline = rows[0][1]
    print(f"decide() per request, best of 5 × {number} calls (budget {BUDGET_US:.0f} µs):\n")
    print(f"| {'case':<36} | {'µs/call':>8} | {'× baseline':>10} | {'budget':>6} |")
    print(f"|{'-' * 38}|{'-' * 10}:|{'-' * 11}:|{'-' * 8}|")
    over = 0
    for label, micros in rows:
        verdict = "-" if label == scale[0] else "ok" if micros <= BUDGET_US else "OVER"
        over += verdict == "OVER"
        print(f"| {label:<36} | {micros:8.2f} | {micros / baseline:10.1f} | {verdict:>6} |")
    return 1 if over else 0
