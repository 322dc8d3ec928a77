"""Metrics: decisions, rules, entities, scan and upstream time, bytes, audit backlog."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from gateway.providers.catalog import load_catalog
from tests.support.telemetry import CHAT, Traced

RRN = "900101-1234568"
EMAIL = "kim.minsu@example.co.kr"

Points = dict[tuple[str, frozenset[tuple[str, Any]]], float]


def points(stack: Traced) -> Points:
    """Every data point: counters and gauges by value, histograms by count."""
    data = stack.metrics.get_metrics_data()
    out: Points = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    key = (metric.name, frozenset((point.attributes or {}).items()))
                    out[key] = getattr(point, "value", None) or getattr(point, "count", 0)
    return out


def delta(before: Points, after: Points, name: str, **labels: Any) -> float:
    """How much the points of ``name`` whose labels include ``labels`` grew."""
    wanted = set(labels.items())
    return sum(
        value - before.get(key, 0)
        for key, value in after.items()
        if key[0] == name and wanted <= set(key[1])
    )


def chat(stack: Traced, text: str) -> httpx.Response:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
    return httpx.post(stack.url(CHAT), content=orjson.dumps(body), timeout=10)


def test_decisions_rules_entities_and_timings_are_counted(stack: Traced) -> None:
    before = points(stack)
    assert chat(stack, "hello there").status_code == 200
    assert chat(stack, f"write to {EMAIL}").status_code == 200
    assert chat(stack, f"my number is {RRN}").status_code == 403
    after = points(stack)
    count = delta
    assert count(before, after, "haetae.decisions", action="allow", provider="openai") == 1
    assert count(before, after, "haetae.decisions", action="redact", provider="openai") == 1
    assert count(before, after, "haetae.decisions", action="block", status=403) == 1
    assert count(before, after, "haetae.rule.matches", rule="redact-contacts", mode="enforced") == 1
    assert count(before, after, "haetae.rule.matches", rule="pipa-resident-number") == 1
    assert count(before, after, "haetae.findings", entity="EMAIL_ADDRESS") == 1
    assert count(before, after, "haetae.findings", entity="KR_RRN") == 1
    assert count(before, after, "haetae.scan.duration", provider="openai") == 3
    # The block never went upstream.
    assert count(before, after, "haetae.upstream.duration", provider="openai") == 2
    assert count(before, after, "haetae.request.duration", action="block") == 1
    assert count(before, after, "haetae.scan.input", provider="openai") > 3 * 40


def test_the_audit_backlog_is_a_gauge(stack: Traced) -> None:
    names = {name for name, _ in points(stack)}
    assert {"haetae.audit.queue.depth", "haetae.audit.dropped"} <= names


def test_a_refusal_before_routing_is_counted_without_a_provider(stack: Traced) -> None:
    before = points(stack)
    assert httpx.post(stack.url("/nope/v1/chat"), content=b"{}").status_code == 404
    after = points(stack)
    assert delta(before, after, "haetae.decisions", provider="none", status=404) == 1


def test_the_prometheus_endpoint_serves_the_same_counters(stack: Traced) -> None:
    chat(stack, f"my number is {RRN}")
    response = httpx.get(stack.url("/metrics"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("haetae_decisions_total{") and 'action="block"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1
    assert "haetae_scan_duration_seconds_bucket{" in text
    assert "haetae_audit_queue_depth" in text
    assert stack.fake.received == []  # the scrape is answered by the gateway itself


def test_the_metrics_endpoint_is_read_only(stack: Traced) -> None:
    response = httpx.post(stack.url("/metrics"), content=b"x")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_no_provider_is_shadowed_by_the_gateways_own_paths() -> None:
    assert not {"metrics", "healthz", "readyz", "admin"} & set(load_catalog())


def test_without_the_setting_metrics_is_just_an_unknown_provider(tmp_path) -> None:
    import asyncio

    from gateway.app import build_app
    from gateway.settings import load_settings
    from gateway.telemetry import Telemetry
    from tests.support.stack import DEFAULT_POLICY

    overrides = {
        "policy": str(DEFAULT_POLICY),
        "audit.url": f"sqlite:///{tmp_path / 'audit.db'}",
    }
    app = build_app(load_settings(environ={}, overrides=overrides), environ={})
    assert app.telemetry == Telemetry()  # no OTEL_* variables given: all off

    async def scrape() -> httpx.Response:
        app.audit.start()
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
                return await client.get("/metrics")
        finally:
            app.audit.close()

    response = asyncio.run(scrape())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_provider"
