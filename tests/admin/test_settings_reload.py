"""Settings reload: admin tokens, roles and the log level change while serving; everything
else is named as needing a restart; an invalid file changes nothing; every reload,
from the admin API or SIGHUP, is an admin record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.audit.open import open_audit_store
from gateway.audit.record import AuditRecord
from tests.support.polling import wait_for
from tests.support.stack import gateway_stack

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "admin:" + "a" * 32
AUDITOR = "kim:" + "k" * 32


def _bearer(line: str) -> dict[str, str]:
    return {"authorization": f"Bearer {line.split(':', 1)[1]}"}


def _config(path: Path, tokens: Path, *, roles: dict[str, str], level: str, read: int) -> None:
    path.write_text(
        orjson.dumps(
            {
                "admin": {"token_file": str(tokens), "roles": roles},
                "log_level": level,
                "timeouts": {"read": read},
            }
        ).decode()
    )


def _reloads(url: str) -> list[AuditRecord]:
    store = open_audit_store(url)
    try:
        return [
            r
            for r in store.iter_chain()
            if r.decision == "admin" and (r.details or {}).get("action") == "settings.reload"
        ]
    finally:
        store.close()


def test_the_admin_api_reloads_tokens_and_roles_and_names_what_needs_a_restart(
    tmp_path: Path,
) -> None:
    tokens, config = tmp_path / "admin-tokens", tmp_path / "haetae.yaml"
    tokens.write_text(ADMIN + "\n")
    _config(config, tokens, roles={"admin": "admin"}, level="info", read=60)
    with gateway_stack(tmp_path, config_file=config) as stack:
        reload_url = stack.url("/admin/v1/settings/reload")
        whoami = stack.url("/admin/v1/whoami")
        assert httpx.get(whoami, headers=_bearer(AUDITOR), timeout=5).status_code == 401

        tokens.write_text(f"{ADMIN}\n{AUDITOR}\n")
        _config(config, tokens, roles={"admin": "admin", "kim": "auditor"}, level="debug", read=30)
        answer = httpx.post(reload_url, headers=_bearer(ADMIN), timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "applied": ["admin.tokens", "log_level"],
            "needs_restart": ["timeouts"],
        }
        assert httpx.get(whoami, headers=_bearer(AUDITOR), timeout=5).json()["role"] == "auditor"
        # the auditor may not reload: refused, and on record
        assert httpx.post(reload_url, headers=_bearer(AUDITOR), timeout=5).status_code == 403

        config.write_text("admin: {roles: {kim: emperor}}\n")  # invalid: nothing changes
        refused = httpx.post(reload_url, headers=_bearer(ADMIN), timeout=10)
        error = refused.json()["error"]
        assert refused.status_code == 400 and "nothing changed" in error["message"]
        assert "아무것도 바뀌지 않았습니다" in error["message_ko"]
        assert httpx.get(whoami, headers=_bearer(AUDITOR), timeout=5).status_code == 200
        records = _reloads(stack.audit_url)
    assert [(r.user, (r.details or {})["outcome"]) for r in records] == [
        ("admin", "ok"), ("kim", "denied"), ("admin", "refused"),
    ]  # fmt: skip
    assert (records[0].details or {})["applied"] == ["admin.tokens", "log_level"]
    assert (records[0].details or {})["needs_restart"] == ["timeouts"]


@pytest.mark.slow
def test_sighup_reloads_a_serving_gateway_and_is_recorded(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tokens, config = tmp_path / "admin-tokens", tmp_path / "haetae.yaml"
    tokens.write_text(ADMIN + "\n")
    audit_url = f"sqlite:///{tmp_path / 'audit.db'}"
    settings = {
        "listen": {"host": "127.0.0.1", "port": port},
        "admin": {"token_file": str(tokens)},
        "audit": {"url": audit_url, "signing_key_file": str(tmp_path / "keys" / "k.pem")},
        "detection": {"scan_processes": 0},
        "log_level": "info",
    }
    config.write_text(orjson.dumps(settings).decode())
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAETAE_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--config", str(config)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool | None:
            try:
                return httpx.get(base + "/readyz", timeout=1).status_code == 200 or None
            except httpx.HTTPError:
                return None

        wait_for(ready, 60.0)
        tokens.write_text(f"{ADMIN}\n{AUDITOR}\n")
        server.send_signal(signal.SIGHUP)

        def kim_admitted() -> bool | None:
            answer = httpx.get(base + "/admin/v1/whoami", headers=_bearer(AUDITOR), timeout=2)
            return answer.status_code == 200 or None

        wait_for(kim_admitted, 15.0)
        assert server.poll() is None  # SIGHUP reloads; it does not end the process
        (record,) = wait_for(lambda: _reloads(audit_url) or None, 10.0)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert record.user == "SIGHUP" and record.method == "SIGNAL" and record.details is not None
    assert record.details["outcome"] == "ok" and record.details["applied"] == ["admin.tokens"]
    assert b"settings reloaded on SIGHUP: applied admin.tokens" in err
