"""A policy's ``providers:`` section goes live, and away, with the policy itself."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from gateway.app import Gateway
from gateway.dev.testing import ServerThread
from tests.support.polling import wait_for
from tests.support.rollout import (
    ADMIN,
    BASE_POLICY,
    chat,
    ready,
    rollout_gateway,
    with_internal_provider,
)

KEY_VARIABLE = "INTERNAL_LLM_KEY"


def upstream_url(app: Gateway) -> str:
    """Where the fake provider listens (every catalog provider points there in these tests)."""
    url = app.providers["openai"].base_url
    assert url is not None
    return url


def admin(gateway: ServerThread) -> httpx.Client:
    return httpx.Client(base_url=gateway.url("/admin/v1"), headers=ADMIN, timeout=10)


def rewrite(path: Path, text: str) -> None:
    aside = path.with_suffix(".new")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)


def test_an_activated_provider_is_routable_without_a_restart_and_gone_after_rollback(
    tmp_path: Path,
) -> None:
    with rollout_gateway(tmp_path, file_poll_interval=0) as (gateway, app, fake):
        before = chat(gateway.base_url, "hello", provider="internal-llm")
        assert before.status_code == 404
        assert before.json()["error"]["code"] == "unknown_provider"

        with admin(gateway) as api:
            version = api.post("/policies", content=with_internal_provider(upstream_url(app)))
            assert version.status_code == 201, version.text
            activated = api.post(f"/policies/{version.json()['version']}/activate")
            assert activated.status_code == 200, activated.text

            reply = chat(gateway.base_url, "hello", provider="internal-llm")
            assert reply.status_code == 200, reply.text
            assert fake.received[-1].path == "/v1/chat/completions"
            assert "internal-llm" in app.providers

            assert api.post("/policies/rollback").status_code == 200
        after = chat(gateway.base_url, "hello", provider="internal-llm")
        assert after.status_code == 404
        assert after.json()["error"]["code"] == "unknown_provider"
        assert "internal-llm" not in app.providers


def test_the_new_providers_facts_are_what_the_policy_judges(tmp_path: Path) -> None:
    with rollout_gateway(tmp_path, file_poll_interval=0) as (gateway, app, fake):
        text = with_internal_provider(upstream_url(app), jurisdiction="CN")
        with admin(gateway) as api:
            version = api.post("/policies", content=text).json()["version"]
            assert api.post(f"/policies/{version}/activate").status_code == 200
        sent = len(fake.received)
        blocked = chat(gateway.base_url, "hello", provider="internal-llm")
        assert blocked.status_code == 403 and "no-cn" in blocked.text  # BASE_POLICY's rule
        assert len(fake.received) == sent


def test_a_file_edit_adding_a_provider_goes_live_and_its_removal_too(tmp_path: Path) -> None:
    with rollout_gateway(tmp_path) as (gateway, app, _fake):
        first = app.policy.version
        rewrite(tmp_path / "policy.yaml", with_internal_provider(upstream_url(app)))
        wait_for(lambda: app.policy.version != first)
        assert chat(gateway.base_url, "hello", provider="internal-llm").status_code == 200

        rewrite(tmp_path / "policy.yaml", BASE_POLICY)
        wait_for(lambda: app.policy.version == first)
        assert chat(gateway.base_url, "hello", provider="internal-llm").status_code == 404


def test_providers_that_cannot_be_set_up_are_refused_at_validation(tmp_path: Path) -> None:
    # The deployment injects a key for the internal provider, but the variable is missing.
    settings = {"providers.internal-llm.credentials": {"mode": "inject", "env": KEY_VARIABLE}}
    with rollout_gateway(tmp_path, settings=settings) as (gateway, app, _fake):
        good = app.policy.version
        text = with_internal_provider(upstream_url(app))
        with admin(gateway) as api:
            uploaded = api.post("/policies", content=text)
            validated = api.post("/policies/validate", content=text)
            dry = api.post("/policies/dry-run", content=text)
            stored = api.get("/policies").json()["versions"]
        for reply in (uploaded, validated, dry):
            assert reply.status_code == 422, reply.text
            message = reply.json()["error"]["message"]
            assert f"environment variable {KEY_VARIABLE} is not set" in message
            assert "providers.internal-llm.credentials" in message
        assert [v["version"] for v in stored] == [good]  # nothing was stored

        rewrite(tmp_path / "policy.yaml", text)  # the file too: reported, never activated
        wait_for(lambda: "policy_reload_error" in ready(gateway.base_url))
        status = ready(gateway.base_url)
        assert KEY_VARIABLE in status["policy_reload_error"]["message"]
        assert status["policy_version"] == good == app.policy.version
        assert chat(gateway.base_url, "hello", provider="internal-llm").status_code == 404


def test_an_injected_key_configured_for_a_declared_provider_is_used(tmp_path: Path) -> None:
    settings = {
        "providers.internal-llm.credentials": {"mode": "inject", "env": KEY_VARIABLE},
        "providers.internal-llm.base_url": "{upstream}",  # the operator sets where it goes
    }
    environ = {KEY_VARIABLE: "sk-internal-0001"}
    with rollout_gateway(tmp_path, settings=settings, environ=environ) as (gateway, app, fake):
        with admin(gateway) as api:
            version = api.post("/policies", content=with_internal_provider(upstream_url(app)))
            assert version.status_code == 201, version.text
            assert api.post(f"/policies/{version.json()['version']}/activate").status_code == 200
        assert chat(gateway.base_url, "hello", provider="internal-llm").status_code == 200
        assert fake.received[-1].headers["authorization"] == "Bearer sk-internal-0001"


def test_a_policy_cannot_send_an_injected_key_to_an_address_of_its_choosing(
    tmp_path: Path,
) -> None:
    """Policies change through the admin API; the provider keys stay the operator's."""
    settings = {"providers.internal-llm.credentials": {"mode": "inject", "env": KEY_VARIABLE}}
    environ = {KEY_VARIABLE: "sk-internal-0001"}
    with rollout_gateway(tmp_path, settings=settings, environ=environ) as (gateway, app, fake):
        with admin(gateway) as api:
            reply = api.post("/policies", content=with_internal_provider(upstream_url(app)))
        assert reply.status_code == 422
        assert "providers.internal-llm.base_url" in reply.json()["error"]["message"]
        assert "sk-internal-0001" not in reply.text
        assert chat(gateway.base_url, "hello", provider="internal-llm").status_code == 404
    assert all("sk-internal-0001" not in str(r.headers) for r in fake.received)


def test_a_dry_run_judges_the_candidate_with_its_own_provider_facts(tmp_path: Path) -> None:
    with rollout_gateway(tmp_path, file_poll_interval=0) as (gateway, app, _fake):
        with admin(gateway) as api:
            active = api.post("/policies", content=with_internal_provider(upstream_url(app)))
            assert api.post(f"/policies/{active.json()['version']}/activate").status_code == 200
            # Upstage is Korean in the catalog, so the no-cn rule lets this through.
            assert chat(gateway.base_url, "hello", provider="upstage").status_code == 200
            assert chat(gateway.base_url, "hello", provider="internal-llm").status_code == 200
            requests = lambda: [  # noqa: E731 (admin records are in the same chain)
                r for r in app.audit.records_between(0, time.time() + 1) if r.decision != "admin"
            ]
            # two requests: each an opening and, once answered, a completion
            wait_for(lambda: len(requests()) == 4)

            # The candidate corrects upstage's jurisdiction and no longer declares internal-llm.
            candidate = BASE_POLICY + "providers:\n  upstage: { jurisdiction: CN }\n"
            report = api.post("/policies/dry-run", content=candidate, params={"days": 1}).json()
        assert report["evaluated"] == 2
        assert report["more_blocked"] == 2
        assert report["more_blocked_by_rule"] == {"no-cn": 1, "builtin.unknown-provider": 1}
