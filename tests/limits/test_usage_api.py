"""``GET /admin/v1/usage`` over a real gateway: real requests, priced, reported, audited."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from tests.support.polling import wait_for
from tests.support.stack import gateway_stack

ADMIN = "usage-admin-token-0001"
VIEWER = "usage-viewer-token-001"
AUTHOR = "usage-author-token-001"
POLICY = """\
policy: usage
limits:
  - id: three
    per: user
    requests: 3
    window: 1h
"""


def test_usage_endpoint_reports_what_went_through(tmp_path: Path) -> None:
    environ = {"HAETAE_ADMIN_TOKEN": f"root:{ADMIN},watcher:{VIEWER},writer:{AUTHOR}"}
    settings = {
        "admin.roles": {"watcher": "viewer", "writer": "policy_author"},
        "audit.timezone": "Asia/Seoul",
        "identity.trusted_headers.proxies": ["127.0.0.1/32"],
    }
    with gateway_stack(tmp_path, policy_text=POLICY, settings=settings, environ=environ) as stack:
        client = openai.OpenAI(
            api_key="sk-test",
            base_url=stack.url("/openai/v1"),
            max_retries=0,
            default_headers={"x-forwarded-user": "mina", "x-forwarded-groups": "risk"},
        )
        ids = []
        for _ in range(3):
            raw = client.chat.completions.with_raw_response.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "a b c"}]
            )
            ids.append(raw.headers["x-haetae-request-id"])
        with pytest.raises(openai.RateLimitError):  # the fourth in the hour
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "a b c"}]
            )
        records = [stack.record(i) for i in ids]
        tokens_in = sum((r.usage or {})["input_tokens"] for r in records)
        tokens_out = sum((r.usage or {})["output_tokens"] for r in records)
        cost = sum((r.details or {})["cost"]["amount"] for r in records)
        assert cost == pytest.approx((tokens_in * 0.15 + tokens_out * 0.60) / 1e6)

        api = httpx.Client(base_url=stack.url("/admin/v1"), timeout=10)

        def report() -> dict | None:
            reply = api.get(
                "/usage",
                params={"by": "user,group,provider,model,day"},
                headers={"authorization": f"Bearer {VIEWER}"},
            )
            assert reply.status_code == 200, reply.text
            body: dict = reply.json()
            return body if body["rows"] and body["rows"][0]["requests"] == 4 else None

        body = wait_for(report, 5, message="the usage report did not count the requests")
        assert body["tz"] == "Asia/Seoul" and body["currency"] == "USD"
        (row,) = body["rows"]
        assert row["keys"]["user"] == "mina" and row["keys"]["group"] == "risk"
        assert row["keys"]["provider"] == "openai" and row["keys"]["model"] == "gpt-4o-mini"
        assert len(row["keys"]["day"]) == 10
        assert row["limited"] == 1
        assert (row["input_tokens"], row["output_tokens"]) == (tokens_in, tokens_out)
        assert abs(row["cost_usd"] - cost) < 1e-6

        # bad input: a clear 400; a role without audit.stats: 403; nobody: 401
        bad = api.get(
            "/usage", params={"by": "colour"}, headers={"authorization": f"Bearer {ADMIN}"}
        )
        assert bad.status_code == 400 and "choose from" in bad.text
        assert api.get("/usage", headers={"authorization": f"Bearer {AUTHOR}"}).status_code == 403
        assert api.get("/usage").status_code == 401
        # every read is an admin record in the chain
        audit = api.get(
            "/audit",
            params={"decision": "admin", "limit": 50},
            headers={"authorization": f"Bearer {ADMIN}"},
        ).json()["records"]
        reads = [r for r in audit if r["path"] == "/admin/v1/usage"]
        assert {r["user"] for r in reads} >= {"watcher", "root", "writer"}
        query = next(r for r in reads if r["status"] == 200)["details"]
        assert "user,group,provider,model,day" in str(query)
