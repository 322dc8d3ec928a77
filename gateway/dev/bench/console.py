"""``haetae bench --console``: the server time of each console page over a large audit log.

Records are generated (``audit.generate_records``: 90 days, plausible users,
providers, decisions and findings), written through the store's chained path
(hourly counts included) into a scratch SQLite file, or a scratch schema of
PostgreSQL (``--audit-url``) dropped afterwards, and a gateway is started on
loopback over it. Each page is fetched ``repeat`` times by a signed-in browser
(an httpx client with the session cookie); the baseline is the admin API's own
JSON for the same data, fetched with a token, so the ratio is what the console
adds (its in-process API calls, rendering, the session): the store's work is in
both. Chain verification reads every record and is timed once, apart.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from gateway.dev.bench.audit import DAY, generate_records, scratch_url

__all__ = ["run_console_benchmark"]

_TOKEN = "bench-console-token-000001"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def run_console_benchmark(
    *, records: int, repeat: int, output: Path | None = None, url: str = "sqlite"
) -> int:
    from gateway.app import build_app
    from gateway.dev.testing import ServerThread
    from gateway.settings import load_settings

    with (
        tempfile.TemporaryDirectory(prefix="haetae-console-bench-") as folder,
        scratch_url(url, Path(folder)) as audit_url,
    ):
        began = time.perf_counter()
        _fill(audit_url, records)
        filled = time.perf_counter() - began
        settings = load_settings(
            environ={},
            overrides={
                "audit.url": audit_url,
                "audit.signing_key_file": None,
                "audit.witness": "off",
                "audit.spool": "off",
                "rollout.local_dir": str(Path(folder) / "policies"),
                "console.timezone": "Asia/Seoul",
            },
        )
        app = build_app(settings, environ={"HAETAE_ADMIN_TOKEN": f"bench:{_TOKEN}"})
        with ServerThread(app, lifespan="on") as server:
            rows = _measure(server.base_url, repeat)
            backend = "PostgreSQL" if audit_url.startswith("postgresql") else "SQLite"
            text = _table(rows, records, backend, filled, repeat)
            print(text, flush=True)  # before the long chain check, which may be stopped
            took, rate, slowest = _verify_once(server.base_url)
    text += (
        f"\n\nverify the chain (every record, once, as a background job): {took:,.0f} ms, "
        f"{rate:,.0f} records a second; its progress page while it ran: {slowest:.1f} ms "
        "at most"
    )
    print(text.rsplit("\n", 1)[-1])
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
    return 0


def _table(
    rows: list[tuple[str, list[float], list[float]]],
    records: int,
    backend: str,
    filled: float,
    repeat: int,
) -> str:
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    lines = [
        f"\nconsole pages over {records:,} audit records ({backend}; written in {filled:.1f} s), "
        f"{repeat} fetches each; load average {load} on {os.cpu_count()} cores\n",
        "| page | p50 ms | p95 ms | max ms | admin API JSON p50 ms | page vs. API |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, page, api in rows:
        ratio = statistics.median(page) / statistics.median(api)
        lines.append(
            f"| {name} | {statistics.median(page):.1f} | {_p95(page):.1f} | {max(page):.1f} | "
            f"{statistics.median(api):.1f} | {ratio:.2f}× |"
        )
    return "\n".join(lines)


def _fill(url: str, records: int, piece: int = 100_000) -> None:
    """90 days of records, generated and written a piece at a time (memory stays bounded)."""
    from gateway.audit.open import open_audit_store

    store = open_audit_store(url)
    store._open()
    end, days = time.time(), 90.0
    step = days * DAY / records
    for first in range(0, records, piece):
        n = min(piece, records - first)
        generated = generate_records(
            n, end=end - (records - first - n) * step, days=n * step / DAY, seed=5 + first
        )
        for i in range(0, n, 5000):
            store._write_batch(generated[i : i + 5000])
    store.analyze()
    store.close()


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _measure(base: str, repeat: int) -> list[tuple[str, list[float], list[float]]]:
    bearer = {"authorization": f"Bearer {_TOKEN}"}
    week = {"start": "7d", "tz": "Asia/Seoul"}
    rrn_day = {"entity": "KR_RRN", "start": "1d"}
    one_user = {"user": "user0042"}
    by_user = {"rows": "user", "cols": "provider", "start": "7d"}
    by_rule = {"rows": "rule", "cols": "day", "start": "7d"}
    csv = {"format": "csv"}
    with (
        httpx.Client(base_url=base, follow_redirects=True, timeout=600) as browser,
        httpx.Client(base_url=base + "/admin/v1", headers=bearer, timeout=600) as api,
    ):
        _sign_in(browser)
        second = {"cursor": api.get("/audit").json()["next_cursor"]}

        def stats_calls() -> None:  # the overview's: its top ten of each
            api.get("/audit/stats", params=week | {"by": "decision", "per": "day"})
            for by, extra in (("rule", {}), ("entity", {}), ("provider", {}), ("user", {}),
                              ("user", {"decision": "block"})):  # fmt: skip
                api.get("/audit/stats", params=week | extra | {"by": by, "per": "all", "top": "10"})

        def top_users() -> None:  # the cross-tab's: the top 50 users' pairs, column totals
            api.get(
                "/audit/stats", params=week | {"by": "user,provider", "per": "all", "top": "50"}
            )
            api.get("/audit/stats", params=week | {"by": "provider", "per": "all"})

        def first_chunk(client: httpx.Client, path: str) -> None:
            with client.stream("GET", path, params=csv) as answer:
                next(answer.iter_raw())  # the first rows are what the auditor waits for

        def stats(by: str, per: str) -> Callable[[], object]:
            query = {"start": "7d", "tz": "Asia/Seoul", "by": by, "per": per}
            return lambda: api.get("/audit/stats", params=query)

        cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            ("overview (7 days)", lambda: browser.get("/console/"), stats_calls),
            (
                "audit, newest 50, with total",
                lambda: browser.get("/console/audit"),
                lambda: api.get("/audit", params={"total": "true"}),
            ),
            (
                "audit, second page (cursor)",
                lambda: browser.get("/console/audit", params=second),
                lambda: api.get("/audit", params=second | {"total": "true"}),
            ),
            (
                "audit, entity=KR_RRN, 1 day",
                lambda: browser.get("/console/audit", params=rrn_day),
                lambda: api.get("/audit", params=rrn_day | {"total": "true"}),
            ),
            (
                "audit, one user, 90 days",
                lambda: browser.get("/console/audit", params=one_user),
                lambda: api.get("/audit", params=one_user | {"total": "true"}),
            ),
            (
                "cross-tab user × provider, 7 days",
                lambda: browser.get("/console/audit/crosstab", params=by_user),
                top_users,
            ),
            (
                "cross-tab rule × day, 7 days",
                lambda: browser.get("/console/audit/crosstab", params=by_rule),
                stats("rule", "day"),
            ),
            (
                "export CSV, first rows",
                lambda: first_chunk(browser, "/console/audit/export"),
                lambda: first_chunk(api, "/audit/export"),
            ),
            (
                "policies",
                lambda: browser.get("/console/policies"),
                lambda: (api.get("/policies"), api.get("/policies/history")),
            ),
        ]
        return [(name, _times(page, repeat), _times(json, repeat)) for name, page, json in cases]


def _sign_in(browser: httpx.Client) -> None:
    form = browser.get("/console/signin").text
    csrf = _CSRF.search(form)
    assert csrf is not None
    browser.post("/console/signin/token", data={"csrf": csrf.group(1), "token": _TOKEN})


def _verify_once(base: str) -> tuple[float, float, float]:
    """The chain check of every record, started as the console's button starts it and
    watched as its page is: (ms until the job ended, its records a second, the slowest
    progress page's ms while it ran)."""
    with httpx.Client(base_url=base, follow_redirects=True, timeout=600) as browser:
        _sign_in(browser)
        csrf = _CSRF.search(browser.get("/console/audit").text)
        assert csrf is not None
        began = time.perf_counter()
        answer = browser.post("/console/audit/verify", data={"csrf": csrf.group(1)})
        answer.raise_for_status()
        slowest = 0.0
        while True:
            asked = time.perf_counter()
            page = browser.get("/console/audit/verify")
            slowest = max(slowest, (time.perf_counter() - asked) * 1000)
            if 'http-equiv="refresh"' not in page.text:
                break
            time.sleep(1)
        took = (time.perf_counter() - began) * 1000
    bearer = {"authorization": f"Bearer {_TOKEN}"}
    job = httpx.get(f"{base}/admin/v1/audit/verify/job", headers=bearer, timeout=60).json()
    assert job["job"]["report"]["ok"], job  # the generated chain is whole
    return took, float(job["job"]["rate_per_second"]), slowest


def _times(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm: first-use imports and caches are not what a reviewer waits for
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return samples
