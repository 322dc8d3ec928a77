"""``haetae policy …``: schema, check, test, explain, diff and bench for policy files."""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``policy`` command group to the ``haetae`` parser."""
    policy = commands.add_parser("policy", help="write, check and test policy files")
    sub = policy.add_subparsers(title="policy commands")

    schema = sub.add_parser("schema", help="print the JSON Schema of policy files (for editors)")
    schema.set_defaults(run=_schema)

    check = sub.add_parser("check", help="validate, check references and lint policy files")
    check.add_argument("files", nargs="+", type=Path)
    check.add_argument(
        "--monitor-days", type=int, default=30, help="flag monitor rules older than this (30)"
    )
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.set_defaults(run=_check)

    test = sub.add_parser("test", help="run the test cases in policy files")
    test.add_argument("files", nargs="+", type=Path)
    test.set_defaults(run=_test)

    explain = sub.add_parser("explain", help="which rules match a request, and why")
    explain.add_argument("file", type=Path)
    explain.add_argument(
        "--request",
        required=True,
        help='a request sketch as JSON (as in tests:), or @file: \'{"provider": "deepseek"}\'',
    )
    explain.add_argument(
        "--response",
        metavar="TEXT",
        help="explain the decision on this answer text (rules with direction response/both)",
    )
    explain.set_defaults(run=_explain)

    diff = sub.add_parser("diff", help="what changed between two policies, rule by rule")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.set_defaults(run=_diff)

    bench = sub.add_parser("bench", help="time decide() for typical requests")
    bench.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    bench.set_defaults(run=_bench)


def _schema(args: argparse.Namespace) -> int:
    from gateway.policy.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def _check(args: argparse.Namespace) -> int:
    from gateway.detect import SUPPORTED_ENTITIES
    from gateway.policy.lint import lint_policy
    from gateway.policy.loader import compose_policy
    from gateway.policy.providers import policy_catalog

    today = datetime.date.today()
    errors = warnings = 0
    for path in args.files:
        try:
            composed = compose_policy(path)
            policy = composed.compile(SUPPORTED_ENTITIES)
        except ConfigError as exc:
            print(f"error: {exc}")
            errors += 1
            continue
        # The catalog this policy routes with: the shipped one plus its own `providers:`.
        catalog = policy_catalog(policy.name, policy.document.providers)
        findings = lint_policy(policy, catalog, today, args.monitor_days)
        for finding in sorted(findings, key=_rule_order):
            print(f"{composed.where(finding.path)}: {finding.level}: {finding.message}")
        errors += sum(f.level == "error" for f in findings)
        warnings += sum(f.level == "warning" for f in findings)
        if not any(f.level in ("error", "warning") for f in findings):
            print(
                f"{path}: ok ({policy.name}, version {policy.version}, {len(policy.rules)} rules)"
            )
    print(f"{errors} errors, {warnings} warnings")
    return 1 if errors or (args.strict and warnings) else 0


def _rule_order(finding: Any) -> tuple[str, int]:
    path = finding.path
    return str(path[0]), path[1] if len(path) > 1 and isinstance(path[1], int) else -1


def _test(args: argparse.Namespace) -> int:
    from gateway.policy.cases import format_reports, run_policy_tests

    reports = run_policy_tests(args.files)
    print(format_reports(reports))
    return 0 if all(report.ok for report in reports) else 1


def _explain(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from gateway.detect import SUPPORTED_ENTITIES
    from gateway.policy.cases import Sketcher
    from gateway.policy.explain import explain
    from gateway.policy.loader import load_policy
    from gateway.policy.providers import policy_catalog
    from gateway.policy.schema import RequestSketch

    text = args.request
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--request: cannot read {text[1:]}: {exc.strerror}") from None
    try:
        sketch = RequestSketch.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"--request: {problems}") from None
    policy = load_policy(args.file, SUPPORTED_ENTITIES)
    try:
        catalog = policy_catalog(policy.name, policy.document.providers)
        sketcher = Sketcher(policy, catalog, SUPPORTED_ENTITIES)
        request = sketcher(sketch)
    except ValueError as exc:
        raise ConfigError(f"--request: {exc}") from None
    if args.response is not None:
        _, report = explain(policy, sketcher.answer(request, args.response), "response")
    else:
        _, report = explain(policy, request)
    print(report)
    return 0


def _diff(args: argparse.Namespace) -> int:
    from gateway.policy.diff import diff_documents
    from gateway.policy.loader import compose_policy

    old, new = compose_policy(args.old), compose_policy(args.new)
    changes = diff_documents(old.document, new.document, old.version, new.version)
    print(f"--- {args.old} (version {old.version})")
    print(f"+++ {args.new} (version {new.version})")
    print("\n".join(changes.lines()))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from gateway.dev.bench.policy import run_policy_bench

    return run_policy_bench(quick=args.quick)
