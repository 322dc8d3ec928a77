"""``admin.listen``: the admin API and the console on their own address, and only there."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.errors import ConfigError
from gateway.settings import load_settings
from tests.console.conftest import csrf_of
from tests.support.rollout import TOKEN, rollout_stack


def test_admin_and_console_move_to_their_own_listener(tmp_path: Path) -> None:
    with rollout_stack(tmp_path, settings={"admin.listen": "127.0.0.1:0"}) as stack:
        listener = stack.app.admin_listener
        assert listener is not None and listener.address is not None
        internal = f"http://127.0.0.1:{listener.address[1]}"
        bearer = {"authorization": f"Bearer {TOKEN}"}

        # the main listener: the proxy path works, administration is not there at all
        assert httpx.get(stack.url("/healthz")).status_code == 200
        for path in ("/admin/v1/policies", "/console/", "/console/signin"):
            assert httpx.get(stack.url(path), headers=bearer).status_code == 404

        # the internal one: both, with their own checks
        assert httpx.get(f"{internal}/admin/v1/policies", headers=bearer).status_code == 200
        assert httpx.get(f"{internal}/admin/v1/policies").status_code == 401
        with httpx.Client(base_url=internal, follow_redirects=True) as browser:
            form = browser.get("/console/signin")
            signed = browser.post(
                "/console/signin/token", data={"csrf": csrf_of(form.text), "token": TOKEN}
            )
            assert signed.url.path == "/console/"
            assert browser.get("/console/policies").status_code == 200
        assert httpx.get(f"{internal}/openai/v1/models").status_code == 404  # no proxying


def test_a_listen_address_must_be_host_and_port() -> None:
    with pytest.raises(ConfigError, match="must be host:port"):
        load_settings(environ={}, overrides={"admin.listen": "9090"})
