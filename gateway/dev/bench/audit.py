"""``haetae audit bench``: review queries over a million generated records.

The records go through the store's real write path (chained, in batches of
5,000) into a scratch location that is removed afterwards: a temporary file for
SQLite, a temporary schema for PostgreSQL. Each query asks for a first page of
50, newest first, and is run ``repeat`` times. The baseline is the same page
filtered on a column without an index (the client application), which is what
every query would cost without the review indexes.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gateway.audit.query import AuditFilter
from gateway.audit.record import AuditRecord, FindingSummary
from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["generate_records", "run_search_benchmark", "scratch_url"]

DAY = 86_400.0
_PROVIDERS = ("openai", "anthropic", "gemini", "upstage", "mistral", "deepseek", "azure", "naver")
_DECISIONS = ("allow",) * 80 + ("redact",) * 10 + ("pseudonymize",) * 5 + ("block",) * 5
_ENTITIES = ("KR_RRN", "EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON", "CREDIT_CARD", "AWS_KEY")
_APPS = ("sdk", "cursor", "chat-ui", "batch", "notebook", "cli", "ide", "bot")


def generate_records(
    count: int, *, end: float, days: float = 90.0, seed: int = 5
) -> list[AuditRecord]:
    """``count`` plausible records spread evenly over ``days`` before ``end``, oldest first."""
    rng = random.Random(seed)
    step = days * DAY / count
    start = end - days * DAY
    out = []
    for i in range(count):
        decision = rng.choice(_DECISIONS)
        entity = rng.choice(_ENTITIES)
        found = decision != "allow" or rng.random() < 0.1
        out.append(
            AuditRecord(
                record_id=uuid.UUID(int=rng.getrandbits(128)).hex,
                time=round(start + i * step, 6),
                request_id=f"q{i:09d}",
                client_address=f"10.{i % 250}.{(i // 250) % 250}.7",
                user=f"user{rng.randrange(5000):04d}",
                groups=[f"team{rng.randrange(20)}"],
                client_application=rng.choice(_APPS),
                provider=rng.choice(_PROVIDERS),
                host="api.example.com",
                api="chat",
                model="model-x",
                method="POST",
                path="/v1/chat/completions",
                jurisdiction="US",
                decision=decision,
                status=403 if decision == "block" else 200,
                upstream_status=None if decision == "block" else 200,
                rule_ids=[f"rule-{entity.lower()}"] if decision != "allow" else [],
                entities={entity: 1} if found else {},
                findings=[FindingSummary(entity, "messages[0].content", 1, 0.9, ["ab" * 16])]
                if found
                else [],
                policy_version="bench",
                timings_ms={"detect": 0.4, "total": 3.2},
            )
        )
    return out


def _scratch_store(url: str) -> tuple[SQLAuditStore, Callable[[], None]]:
    from gateway.audit.open import open_audit_store

    if url.startswith("sqlite"):
        folder = tempfile.TemporaryDirectory(prefix="haetae-audit-bench-")
        store = open_audit_store(f"sqlite:///{Path(folder.name) / 'bench.db'}")
        return store, folder.cleanup

    import psycopg
    from psycopg import sql

    from gateway.audit.postgres import PostgresAuditStore, split_schema

    base, _ = split_schema(url)
    schema = f"haetae_bench_{uuid.uuid4().hex[:8]}"
    pg = PostgresAuditStore(base, schema=schema, pool_size=2)

    def drop() -> None:
        pg.close()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    return pg, drop


@contextlib.contextmanager
def scratch_url(url: str, folder: Path) -> Iterator[str]:
    """The scratch store's URL: a file in ``folder``, or a schema of its own, dropped after."""
    if not url.startswith("postgresql"):
        yield f"sqlite:///{folder / 'audit.db'}"
        return
    store, drop = _scratch_store(url)
    schema = getattr(store, "schema", None)
    try:
        yield f"{url}{'&' if '?' in url else '?'}schema={schema}"
    finally:
        drop()


def _time(run: Callable[[], Any], repeat: int) -> tuple[float, float, float]:
    """(first, p50, max) in milliseconds."""
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return samples[0], statistics.median(samples), max(samples)


def run_search_benchmark(url: str, *, records: int, repeat: int) -> int:
    _print_append_cost(url)
    _print_flush_cost(url)
    store, cleanup = _scratch_store(url)
    try:
        store._open()
        now = time.time()
        began = time.perf_counter()
        generated = generate_records(records, end=now)
        made = time.perf_counter() - began
        began = time.perf_counter()
        for i in range(0, len(generated), 5000):
            store._write_batch(generated[i : i + 5000])
        stored = time.perf_counter() - began
        del generated
        store.analyze()
        day = AuditFilter(start=now - 2 * DAY, end=now - DAY)
        queries: list[tuple[str, AuditFilter]] = [
            ("user + 1 day", AuditFilter(user="user0042", start=day.start, end=day.end)),
            ("user + 30 days", AuditFilter(user="user0042", start=now - 31 * DAY, end=now - DAY)),
            ("decision=block + 1 day", AuditFilter(decision="block", start=day.start, end=day.end)),
            ("entity + 1 day", AuditFilter(entity="KR_RRN", start=day.start, end=day.end)),
            ("group + 1 day", AuditFilter(group="team3", start=day.start, end=day.end)),
        ]
        rows = []
        for name, where in queries:
            first, p50, worst = _time(_searcher(store, where), repeat)
            rows.append((name, first, p50, worst))
        week = AuditFilter(start=now - 8 * DAY, end=now - DAY)
        first, p50, worst = _time(
            lambda: store.stats(week, by="decision", per="day"), max(3, repeat // 4)
        )
        rows.append(("stats by decision/day, 7 days", first, p50, worst))
        baseline = _baseline(store, day, repeat)
        _print_table(url.split(":", 1)[0], records, made, stored, rows, baseline)
    finally:
        store.close()
        cleanup()
    return 0


def _searcher(store: SQLAuditStore, where: AuditFilter) -> Callable[[], Any]:
    return lambda: store.search(where, limit=50)


def _baseline(store: SQLAuditStore, day: AuditFilter, repeat: int) -> tuple[float, float, float]:
    """The first page by client application over the whole table: no index helps."""
    p = store.dialect.param
    sql = (
        "SELECT seq FROM audit_records WHERE client_application = "
        f"{p} ORDER BY time DESC, seq DESC LIMIT 51"
    )
    return _time(lambda: store._select(sql, ("no-such-app",)), max(3, repeat // 4))


def _print_table(
    backend: str,
    records: int,
    made: float,
    stored: float,
    rows: list[tuple[str, float, float, float]],
    baseline: tuple[float, float, float],
) -> None:
    print(
        f"\n{backend}: {records:,} records generated in {made:.1f} s, written (chained) in "
        f"{stored:.1f} s ({records / stored:,.0f} records/s)\n"
    )
    print("| query (first page of 50) | first ms | p50 ms | max ms | p50 vs. no index |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, first, p50, worst in rows:
        ratio = baseline[1] / p50 if p50 else float("inf")
        print(f"| {name} | {first:.2f} | {p50:.2f} | {worst:.2f} | {ratio:,.0f}× faster |")
    first, p50, worst = baseline
    print(
        f"| baseline: unindexed column, whole table | {first:.2f} | {p50:.2f} | {worst:.2f} | 1× |"
    )


def _print_append_cost(url: str, requests: int = 20_000) -> None:
    """What recording adds to one request on the event loop: build the record, queue it.

    The exchange carries two segments and three findings (so three HMACs); the
    writer thread is committing the same records meanwhile, as in the gateway.
    """
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from gateway.audit.build import AuditKeys, Fingerprinter, build_record
    from gateway.audit.evidence import EvidenceSealer

    fingerprint = Fingerprinter(b"k" * 32)
    sealer = EvidenceSealer(X25519PrivateKey.generate().public_key())
    variants = [
        ("build_record + append", AuditKeys(fingerprint)),
        ("… with sealed evidence", AuditKeys(fingerprint, sealer)),
    ]
    exchange = _sample_exchange()
    print(f"\n{url.split(':', 1)[0]}: record + append, {requests:,} requests on this thread\n")
    print("| cost per request | p50 µs | p99 µs | p50 / budget (300 µs) |")
    print("| --- | ---: | ---: | ---: |")
    for name, keys in variants:
        store, cleanup = _scratch_store(url)
        try:
            store.start()
            samples = []
            for _ in range(requests):
                began = time.perf_counter_ns()
                store.append(build_record(exchange, "redact", 200, None, keys=keys))
                samples.append(time.perf_counter_ns() - began)
            store.close()
        finally:
            cleanup()
        samples.sort()
        p50 = samples[len(samples) // 2] / 1000
        p99 = samples[len(samples) * 99 // 100] / 1000
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {p50 / 300:.1%} |")


def _print_flush_cost(url: str, requests: int = 4_000) -> None:
    """What a forwarded request waits for before it leaves: its opening, committed.

    Each simulated request builds its opening, appends it and awaits ``flush``,
    as the pipeline does before forwarding. The openings that arrive while one
    commit runs share the next (group commit), so commits per request fall as
    concurrency rises. The baseline is the record appended without waiting,
    which is all a forwarded request paid before openings existed.
    """
    from gateway.audit.build import AuditKeys, Fingerprinter

    keys = AuditKeys(Fingerprinter(b"k" * 32))
    exchange = _sample_exchange()
    print(f"\n{url.split(':', 1)[0]}: opening durable before forwarding, {requests:,} requests\n")
    print("| requests in flight | waits for commit | p50 ms | p99 ms | requests/s | per commit |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for concurrency, wait in ((1, False), (1, True), (8, True), (32, False), (32, True)):
        store, cleanup = _scratch_store(url)
        try:
            store.start()
            samples, seconds = asyncio.run(
                _openings(store, exchange, keys, requests, concurrency, wait=wait)
            )
            store.close()
            per_commit = requests / max(1, store.commits)
        finally:
            cleanup()
        samples.sort()
        p50, p99 = samples[len(samples) // 2], samples[len(samples) * 99 // 100]
        print(
            f"| {concurrency} | {'yes' if wait else 'no (baseline)'} | {p50:.3f} | {p99:.3f} "
            f"| {requests / seconds:,.0f} | {per_commit:.1f} |"
        )


async def _openings(
    store: SQLAuditStore, exchange: Any, keys: Any, total: int, concurrency: int, *, wait: bool
) -> tuple[list[float], float]:
    from gateway.audit.build import build_record
    from gateway.audit.phases import mark_opening

    remaining = total
    samples: list[float] = []

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            began = time.perf_counter()
            store.append(mark_opening(build_record(exchange, "allow", None, None, keys=keys)))
            if wait:
                await store.flush()
            else:
                await asyncio.sleep(0)  # let the others run, as a forwarded request would
            samples.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    if not wait:
        await store.flush(timeout=60)  # the same records written, for the same commit count
    return samples, time.perf_counter() - began


def _sample_exchange() -> Any:
    from gateway.detect import SUPPORTED_ENTITIES, Finding
    from gateway.exchange import Exchange
    from gateway.policy import load_policy
    from gateway.providers.catalog import build_providers, load_catalog
    from gateway.providers.dialect import Segment
    from gateway.providers.endpoints import Endpoint
    from gateway.settings import shipped_policy
    from gateway.subject import Subject

    async def receive() -> Any:
        return {}

    policy = load_policy(shipped_policy(), SUPPORTED_ENTITIES)
    provider = build_providers(load_catalog(), {}, {})["openai"]
    text = "mail kim.minsu@example.co.kr or call 010-1234-5678, kim.minsu@example.co.kr"
    exchange = Exchange(
        request_id="q1", method="POST", path="/openai/v1/chat/completions", query=b"",
        headers=[], client_address="10.0.0.1", receive=receive, policy=policy,
    )  # fmt: skip
    exchange.subject = Subject(user="alice", groups=("eng",), address="10.0.0.1", method="header")
    exchange.provider = provider
    exchange.endpoint = Endpoint("inspect", None, "chat")
    exchange.model = "gpt-4o"
    exchange.scanned = True  # as after Detect: the model and path are recorded as they are
    exchange.segments = [
        Segment(("system",), "be brief"),
        Segment(("messages", 0, "content"), text),
    ]
    exchange.findings = [
        [],
        [
            Finding("EMAIL_ADDRESS", 5, 28, 1.0, "email"),
            Finding("PHONE_NUMBER", 37, 50, 0.9, "phone"),
            Finding("EMAIL_ADDRESS", 52, 75, 1.0, "email"),
        ],
    ]
    exchange.entity_counts = {"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1}
    exchange.timings_ms = {"identify": 0.01, "detect": 0.5, "decide": 0.02, "total": 1.2}
    return exchange
