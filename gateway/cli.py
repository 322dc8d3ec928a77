"""The ``haetae`` command: serve, demo, scan, audit, bench, policy."""

# Building the parser imports only the ``cli_*`` modules, which declare their options
# with the standard library; each command imports what it runs when it runs, so that
# ``haetae --help`` answers without loading Presidio, pydantic or the web stack.

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway import cli_company, cli_console, cli_keys, cli_rollout, cli_siem, cli_usage
from gateway.cli_audit import add_audit_commands
from gateway.cli_policy import register as register_policy_commands
from gateway.config_file import CONFIG_FILE_VARIABLE
from gateway.errors import ConfigError

if TYPE_CHECKING:
    from gateway.settings import Settings

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except ConfigError as exc:
        print(f"haetae: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="haetae", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the gateway")
    _config_options(serve)
    serve.add_argument(
        "--policy", type=Path, help="policy file (default: the shipped policies/default.yaml)"
    )
    serve.add_argument("--host", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default 8080)")
    serve.set_defaults(run=_serve)

    demo = commands.add_parser(
        "demo", help="run the gateway against a built-in fake provider and show each decision"
    )
    demo.add_argument("--port", type=int, default=8080, help="gateway port (default 8080)")
    demo.add_argument("--policy", type=Path, help="policy file (default: the shipped default)")
    demo.add_argument(
        "--exit", action="store_true", help="exit after the examples instead of serving"
    )
    demo.set_defaults(run=_demo)

    scan = commands.add_parser(
        "scan", help="print the findings in a text (stdin or --file) as JSON"
    )
    scan.add_argument("--file", type=Path, help="read the text from this file")
    scan.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"id", "text"} lines, write {"id", "findings"} lines (batch evaluation)',
    )
    scan.add_argument(
        "--explain",
        action="store_true",
        help="add how each score was reached, and why other candidates were not reported",
    )
    scan.add_argument("--entities", help="comma-separated entity types to scan for (default: all)")
    scan.add_argument(
        "--language",
        choices=["auto", "ko", "en"],
        default="auto",
        help="rules to apply: ko (Korean on top of common), en, or auto by script (default)",
    )
    _config_options(scan)
    scan.add_argument(
        "--min-fields",
        type=int,
        default=2,
        help="with a company index (company.index_dir): fields of one row for COMPANY_RECORD",
    )
    scan.add_argument(
        "--min-tokens",
        type=int,
        default=40,
        help="with a company index: shortest passage for COMPANY_DOCUMENT/_SOURCE_CODE",
    )
    scan.set_defaults(run=_scan)

    evaluate = commands.add_parser(
        "eval", help="score the detector against out-of-the-box Presidio on a labelled corpus"
    )
    evaluate.add_argument("--output", type=Path, help="also write the Markdown report here")
    evaluate.add_argument("--jsonl", type=Path, help="also write the corpus as JSONL")
    evaluate.add_argument(
        "--no-speed", action="store_true", help="skip the scan-time and start-up comparison"
    )
    evaluate.add_argument(
        "--ocr",
        action="store_true",
        help="instead: OCR accuracy on rendered Korean and English screenshots",
    )
    evaluate.set_defaults(run=_eval)

    add_audit_commands(commands)

    bench = commands.add_parser("bench", help="measure the gateway against direct calls")
    bench.add_argument("--quick", action="store_true", help="fewer requests (for a smoke run)")
    bench.add_argument("--transport", choices=["httpx", "aiohttp", "both"], default="both")
    bench.add_argument("--output", type=Path, help="also write the tables to this file")
    bench.add_argument(
        "--workers", type=int, default=1, help="also measure aiohttp with this many workers"
    )
    bench.add_argument(
        "--hostile",
        action="store_true",
        help="instead: latency of well-behaved clients while a hostile upstream streams",
    )
    bench.add_argument(
        "--attacks",
        action="store_true",
        help="instead: latency of other clients while attackers send crafted input",
    )
    bench.add_argument(
        "--uploads",
        action="store_true",
        help="instead: what reading an uploaded file costs over the same text as a prompt",
    )
    bench.add_argument(
        "--answers",
        action="store_true",
        help="instead: what inspecting answers adds (first byte, per event, whole answer)",
    )
    bench.add_argument(
        "--console",
        action="store_true",
        help="instead: server time of each console page over 1,000,000 audit records",
    )
    bench.add_argument(
        "--records",
        type=int,
        help="with --console: how many generated records (1,000,000; --quick: 5,000)",
    )
    bench.add_argument(
        "--audit-url",
        default="sqlite",
        help="with --console or --writer-cpu: a PostgreSQL URL to write them to instead of a "
        "scratch SQLite file (into a schema of their own, dropped afterwards)",
    )
    bench.add_argument(
        "--company",
        action="store_true",
        help="instead: company matching (1,000,000 registered rows, 10,000 documents) "
        "against the default policy's scan; --quick: 20,000 rows, 200 documents",
    )
    bench.add_argument(
        "--forward-proxy",
        action="store_true",
        help="instead: the forward proxy (TLS interception) against the base-URL reverse proxy",
    )
    bench.add_argument(
        "--icap",
        action="store_true",
        help="instead: ICAP REQMOD (and RESPMOD) through the real Squid against Squid alone",
    )
    bench.add_argument(
        "--attachments",
        action="store_true",
        help="instead: reading and scanning a PDF, a screenshot and a spreadsheet, cold and resent",
    )
    bench.add_argument(
        "--durable",
        action="store_true",
        help="instead: what making each opening durable costs: journaled, awaiting its commit, "
        "against neither",
    )
    bench.add_argument(
        "--writer-cpu",
        action="store_true",
        help="instead: CPU per request outside the event loop (the audit writer), "
        "checkout against checkout (--tree)",
    )
    bench.add_argument(
        "--instructions",
        action="store_true",
        help="instead: instructions per 1 KB request under valgrind, by thread, checkout "
        "against checkout (--tree); the machine's load does not change them",
    )
    bench.add_argument(
        "--tree",
        action="append",
        default=[],
        help="with --writer-cpu or --instructions: NAME=PATH of a checkout to measure "
        "(repeat; the first is the baseline; none: this checkout)",
    )
    bench.add_argument(
        "--limits",
        action="store_true",
        help="instead: what the limit check adds, counted in Redis (loopback) or in process",
    )
    bench.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="with --limits: the Redis to count in (a prefix of its own, deleted after)",
    )
    bench.add_argument(
        "--mb",
        type=float,
        help="with --hostile: its stream's size (20); with --attacks: the digits prompt's (10)",
    )
    bench.set_defaults(run=_bench)
    cli_keys.register(commands)
    cli_console.register(commands)
    cli_company.register(commands, _config_options)
    register_policy_commands(commands)
    cli_rollout.register(commands)
    cli_siem.register(commands, _config_options)
    cli_usage.register(commands)
    return parser


def _config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get(CONFIG_FILE_VARIABLE),
        help=f"YAML config file (or ${CONFIG_FILE_VARIABLE})",
    )


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    from gateway.settings import load_settings

    config = Path(args.config) if getattr(args, "config", None) else None
    return load_settings(config, overrides={k: v for k, v in overrides.items() if v is not None})


def _configure_logging(level: str, log_format: str = "text") -> None:
    from gateway.telemetry import configure_logging

    configure_logging(level, "json" if log_format == "json" else "text")


def _serve(args: argparse.Namespace) -> int:
    from gateway.server import SettingsSource, run_gateway

    overrides = {"policy": args.policy, "listen.host": args.host, "listen.port": args.port}
    settings = _settings(args, **overrides)
    _configure_logging(settings.log_level, settings.log_format)
    config = Path(args.config) if getattr(args, "config", None) else None
    given = {k: v for k, v in overrides.items() if v is not None}
    run_gateway(settings, SettingsSource(config, given))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from gateway.dev.demo import run_demo
    from gateway.settings import shipped_policy

    _configure_logging("warning")
    policy = args.policy or shipped_policy()
    return run_demo(port=args.port, policy=policy, exit_after_examples=args.exit)


def _scan(args: argparse.Namespace) -> int:
    import orjson

    from gateway.detect.company import COMPANY_ENTITIES
    from gateway.detect.company.recognizers import build_company_recognizers
    from gateway.detect.engine import DetectionEngine
    from gateway.keys import load_company_index

    entities = args.entities.split(",") if args.entities else None
    company = load_company_index(_settings(args).company)
    wanted = COMPANY_ENTITIES if entities is None else COMPANY_ENTITIES & set(entities)
    builtin = None if entities is None else [e for e in entities if e not in COMPANY_ENTITIES]
    if wanted and company is None and entities is not None:
        raise ConfigError(f"{', '.join(sorted(wanted))}: no company index (company.index_dir)")
    try:
        extra = (
            build_company_recognizers(
                company, wanted, min_fields=args.min_fields, min_tokens=args.min_tokens
            )
            if company is not None
            else []
        )
        engine = DetectionEngine(entities=builtin, extra_recognizers=extra, language=args.language)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    source = args.file.open(encoding="utf-8") if args.file else sys.stdin
    with source:
        if not args.jsonl:
            report = _findings_json(engine, source.read(), args.explain)
            sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
            return 0
        for number, line in enumerate(source, 1):
            if not line.strip():
                continue
            try:
                item = orjson.loads(line)
                text, item_id = item["text"], item.get("id", number)
            except (orjson.JSONDecodeError, KeyError, TypeError):
                raise ConfigError(f'line {number}: expected {{"id": ..., "text": ...}}') from None
            findings = _findings_json(engine, text, args.explain)
            sys.stdout.write(orjson.dumps({"id": item_id, "findings": findings}).decode() + "\n")
    return 0


#: what ``--explain`` calls informational: below the shipped policies' ``min_score``
_REPORTED_FROM = 0.5


def _findings_json(engine: Any, text: str, explain: bool) -> Any:
    """The findings as JSON; with ``explain``, also what was considered and not reported.

    A dropped candidate is shown masked (``transforms.mask_value``): the explanation of a
    placeholder must not print a real key that happened to look like one in full.
    """
    from gateway.detect.transforms import mask_value

    pairs = engine.explain(text) if explain else [(f, None) for f in engine.scan(text)]
    out = []
    for finding, explanation in pairs:
        entry: dict[str, Any] = {
            "entity_type": finding.entity_type,
            "start": finding.start,
            "end": finding.end,
            "score": round(finding.score, 3),
            "recognizer": finding.recognizer,
        }
        if finding.source:  # company findings: what matched, by registered name, and how much
            entry["source"] = finding.source
            entry["matched"] = finding.matched
        if explain:
            entry["explanation"] = explanation
            if finding.score < _REPORTED_FROM:
                entry["note"] = f"informational: below the default threshold {_REPORTED_FROM}"
        out.append(entry)
    if not explain:
        return out
    dropped = [
        {
            "entity_type": note.entity_type,
            "start": note.start,
            "end": note.end,
            "value": mask_value(note.entity_type, text[note.start : note.end]),
            "reason": note.reason,
            "recognizer": note.recognizer,
        }
        for note in engine.not_reported(text)
    ]
    return {"findings": out, "not_reported": dropped}


def _eval(args: argparse.Namespace) -> int:
    if args.ocr:
        from gateway.dev.evaluation.ocr import run_ocr_evaluation

        return run_ocr_evaluation(output=args.output)
    from gateway.dev.evaluation.report import run_evaluation

    return run_evaluation(output=args.output, jsonl=args.jsonl, speed=not args.no_speed)


def _bench(args: argparse.Namespace) -> int:
    if args.hostile:
        from gateway.dev.bench.hostile import run_hostile_benchmark

        return run_hostile_benchmark(megabytes=args.mb or 20.0, output=args.output)
    if args.uploads:
        from gateway.dev.bench.uploads import run_upload_benchmark

        return run_upload_benchmark(quick=args.quick, output=args.output)
    if args.answers:
        from gateway.dev.bench.answers import run_answers_benchmark

        return run_answers_benchmark(rounds=20 if args.quick else 200, output=args.output)
    if args.attachments:
        from gateway.dev.bench.attachments import run_attachment_benchmark

        return run_attachment_benchmark(output=args.output)
    if args.attacks:
        from gateway.dev.bench.attacks import run_attack_benchmark

        return run_attack_benchmark(megabytes=args.mb or 10.0, output=args.output)
    if args.durable:
        from gateway.dev.bench.durable import run_durable_benchmark

        return run_durable_benchmark(rounds=1 if args.quick else 3, quick=args.quick)
    if args.instructions:
        from gateway.dev.bench.instructions import run_instruction_benchmark
        from gateway.dev.bench.writer_cpu import parse_trees

        return run_instruction_benchmark(parse_trees(args.tree), requests=50 if args.quick else 200)
    if args.writer_cpu:
        from gateway.dev.bench.writer_cpu import parse_trees, run_writer_cpu_benchmark

        return run_writer_cpu_benchmark(
            parse_trees(args.tree),
            rounds=1 if args.quick else 5,
            requests=300 if args.quick else 2000,
            audit_url=args.audit_url,
            output=args.output,
        )
    if args.limits:
        from gateway.dev.bench.limits import run_limits_benchmark

        rounds = 50 if args.quick else 500
        return run_limits_benchmark(rounds, args.redis_url, output=args.output)
    if args.console:
        from gateway.dev.bench.console import run_console_benchmark

        records = args.records or (5_000 if args.quick else 1_000_000)
        repeat = 5 if args.quick else 20
        return run_console_benchmark(
            records=records, repeat=repeat, output=args.output, url=args.audit_url
        )
    if args.company:
        from gateway.dev.bench.company import run_company_benchmark

        if args.quick:
            return run_company_benchmark(rows=20_000, documents=200, rounds=3, output=args.output)
        return run_company_benchmark(output=args.output)
    if args.forward_proxy:
        from gateway.dev.bench.forward_proxy import run_forward_proxy_benchmark

        return run_forward_proxy_benchmark(quick=args.quick, output=args.output)
    if args.icap:
        from gateway.dev.bench.icap import run_icap_benchmark

        return run_icap_benchmark(quick=args.quick, output=args.output)
    from gateway.dev.bench.proxy import run_benchmark

    transports = ["httpx", "aiohttp"] if args.transport == "both" else [args.transport]
    return run_benchmark(
        quick=args.quick, transports=transports, output=args.output, workers=args.workers
    )


if __name__ == "__main__":
    sys.exit(main())
