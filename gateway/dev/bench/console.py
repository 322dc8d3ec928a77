"""``haetae bench --console``: the server time of each console page over a large audit log.

Records are generated (``audit.generate_records``: 90 days, plausible users,
providers, decisions and findings), written through the store's chained path
into a scratch SQLite file, and a gateway is started on loopback over that file.
Each page is fetched ``repeat`` times by a signed-in browser (an httpx client
with the session cookie); the baseline is the admin API's own JSON for the same
data, fetched with a token, so the ratio is what the console adds (its in-process
API calls, rendering, the session): the store's work is in both.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from gateway.audit.open import open_audit_store
from gateway.dev.bench.audit import generate_records

__all__ = ["run_console_benchmark"]

_TOKEN = "bench-console-token-000001"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def run_console_benchmark(*, records: int, repeat: int, output: Path | None = None) -> int:
    from gateway.app import build_app
    from gateway.dev.testing import ServerThread
    from gateway.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="haetae-console-bench-") as folder:
        database = Path(folder) / "audit.db"
        began = time.perf_counter()
        _fill(database, records)
        filled = time.perf_counter() - began
        settings = load_settings(
            environ={},
            overrides={
                "audit.url": f"sqlite:///{database}",
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
    lines = [
        f"\nconsole pages over {records:,} audit records (SQLite; written in {filled:.1f} s), "
        f"{repeat} fetches each\n",
        "| page | p50 ms | max ms | admin API JSON p50 ms | page vs. API |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, page, api in rows:
        ratio = statistics.median(page) / statistics.median(api)
        lines.append(
            f"| {name} | {statistics.median(page):.1f} | {max(page):.1f} | "
            f"{statistics.median(api):.1f} | {ratio:.2f}× |"
        )
    text = "\n".join(lines)
    print(text)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
    return 0


def _fill(database: Path, records: int) -> None:
    store = open_audit_store(f"sqlite:///{database}")
    store._open()
    generated = generate_records(records, end=time.time())
    for i in range(0, len(generated), 5000):
        store._write_batch(generated[i : i + 5000])
    store.analyze()
    store.close()


def _measure(base: str, repeat: int) -> list[tuple[str, list[float], list[float]]]:
    bearer = {"authorization": f"Bearer {_TOKEN}"}
    week = {"start": "7d", "tz": "Asia/Seoul"}
    rrn_day = {"entity": "KR_RRN", "start": "1d"}
    with (
        httpx.Client(base_url=base, follow_redirects=True, timeout=60) as browser,
        httpx.Client(base_url=base + "/admin/v1", headers=bearer, timeout=60) as api,
    ):
        form = browser.get("/console/signin").text
        csrf = _CSRF.search(form)
        assert csrf is not None
        browser.post("/console/signin/token", data={"csrf": csrf.group(1), "token": _TOKEN})

        def stats_calls() -> None:
            api.get("/audit/stats", params=week | {"by": "decision", "per": "day"})
            for by in ("rule", "entity", "provider", "user", "user"):
                api.get("/audit/stats", params=week | {"by": by, "per": "all"})

        cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            ("overview (7 days)", lambda: browser.get("/console/"), stats_calls),
            (
                "audit, newest 50, with total",
                lambda: browser.get("/console/audit"),
                lambda: api.get("/audit", params={"total": "true"}),
            ),
            (
                "audit, entity=KR_RRN, 1 day",
                lambda: browser.get("/console/audit", params=rrn_day),
                lambda: api.get("/audit", params=rrn_day | {"total": "true"}),
            ),
            (
                "policies",
                lambda: browser.get("/console/policies"),
                lambda: (api.get("/policies"), api.get("/policies/history")),
            ),
        ]
        return [(name, _times(page, repeat), _times(json, repeat)) for name, page, json in cases]


def _times(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm: first-use imports and caches are not what a reviewer waits for
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return samples
